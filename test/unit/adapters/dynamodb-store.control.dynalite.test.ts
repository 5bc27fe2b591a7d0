import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import type { DeploymentSummary } from '../../../lambdas/domain/types.ts';
import { deploymentSummary, serviceConfig, T0, unique, useLocalDynamoDb } from '../fixtures.ts';

/** The control plane's part of the store against dynalite: requests, queue, approvals, control, paging. */
const local = useLocalDynamoDb();
const store = () => local.store();
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000).toISOString();
const digestOf = (text: string) => `sha256:${text.padEnd(64, '0')}`;

/** A deployment accepted but not started, as the launcher records it. */
const requested = (overrides: Partial<DeploymentSummary> = {}) =>
  deploymentSummary({ status: 'QUEUED', currentStep: 0, requestedAt: T0.toISOString(), ...overrides });

describe('DynamoDbStore on dynalite: the control plane', () => {
  describe('deployment requests', () => {
    it('records a request once; a second delivery of it changes nothing', async () => {
      const deploymentId = unique('dep');
      expect(await store().requestDeployment(requested({ deploymentId, requestReason: 'first' }))).toBe(true);
      expect(await store().requestDeployment(requested({ deploymentId, requestReason: 'second' }))).toBe(
        false,
      );
      expect(await store().getDeployment(deploymentId)).toEqual(
        requested({ deploymentId, requestReason: 'first' }),
      );
    });

    it('fills in the QUEUED summary of a request when the deployment starts', async () => {
      const deploymentId = unique('dep');
      await store().requestDeployment(requested({ deploymentId }));
      const control = { action: 'promote' as const, by: 'alice', at: T0.toISOString() };
      expect(await store().requestControl(deploymentId, control)).toBe(true);
      await store().createDeployment(
        deploymentSummary({ deploymentId, status: 'IN_PROGRESS', stepCount: 4 }),
      );
      // What the request recorded stays: when it was asked for, and a promote asked for while it queued.
      expect(await store().getDeployment(deploymentId)).toEqual(
        deploymentSummary({
          deploymentId,
          status: 'IN_PROGRESS',
          stepCount: 4,
          requestedAt: T0.toISOString(),
          control,
        }),
      );
    });

    it('never overwrites a deployment that is already in progress', async () => {
      const deploymentId = unique('dep');
      await store().createDeployment(
        deploymentSummary({ deploymentId, status: 'IN_PROGRESS', currentStep: 2 }),
      );
      await store().createDeployment(
        deploymentSummary({ deploymentId, status: 'IN_PROGRESS', currentStep: 0 }),
      );
      expect(await store().requestDeployment(requested({ deploymentId }))).toBe(false);
      expect(await store().getDeployment(deploymentId)).toMatchObject({
        status: 'IN_PROGRESS',
        currentStep: 2,
      });
    });
  });

  describe('the queue', () => {
    it('lists waiting deployments oldest first, whatever order they came in', async () => {
      const service = unique('svc');
      const second = { deploymentId: 'dep-b', requestedAt: at(20) };
      const first = { deploymentId: 'dep-z', requestedAt: at(10) };
      const third = { deploymentId: 'dep-a', requestedAt: at(30) };
      await store().enqueue(service, second);
      await store().enqueue(service, third);
      await store().enqueue(service, first);

      expect(await store().listQueue(service)).toEqual([first, second, third]);
    });

    it('lets a deployment leave the queue and keeps the others in order', async () => {
      const service = unique('svc');
      const entries = [1, 2, 3].map((n) => ({ deploymentId: `dep-${n}`, requestedAt: at(n) }));
      for (const entry of entries) await store().enqueue(service, entry);

      await store().dequeue(service, entries[1] as (typeof entries)[number]);

      expect(await store().listQueue(service)).toEqual([entries[0], entries[2]]);
    });

    it("keeps each service's queue to itself", async () => {
      const service = unique('svc');
      await store().enqueue(unique('svc'), { deploymentId: 'elsewhere', requestedAt: at(1) });
      expect(await store().listQueue(service)).toEqual([]);
    });
  });

  describe('the service lock', () => {
    it('tells who holds it, since when and until when', async () => {
      const service = unique('svc');
      await store().acquireLock(service, 'dep-a', T0, 600);
      expect(await store().getLock(service)).toEqual({
        holder: 'dep-a',
        acquiredAt: T0.toISOString(),
        expiresAt: Math.floor(T0.getTime() / 1000) + 600,
      });
    });

    it('tells nobody holds the lock of a service never deployed, or once released', async () => {
      const service = unique('svc');
      expect(await store().getLock(service)).toBeUndefined();
      await store().acquireLock(service, 'dep-a', T0, 600);
      await store().releaseLock(service, 'dep-a');
      expect(await store().getLock(service)).toBeUndefined();
    });
  });

  describe('deployments of a digest', () => {
    it('finds every deployment of an image digest, requested or created, and no other', async () => {
      const digest = digestOf(unique('a1'));
      const requestedId = unique('dep');
      const createdId = unique('dep');
      await store().requestDeployment(
        requested({
          deploymentId: requestedId,
          service: unique('svc'),
          artifact: { image: 'shop:2.0', digest },
        }),
      );
      await store().createDeployment(
        deploymentSummary({
          deploymentId: createdId,
          service: unique('svc'),
          artifact: { image: 'shop:2.0', digest },
        }),
      );
      await store().createDeployment(
        deploymentSummary({
          deploymentId: unique('dep'),
          artifact: { image: 'shop:3.0', digest: digestOf('b2') },
        }),
      );

      expect((await store().findByDigest(digest)).sort()).toEqual([requestedId, createdId].sort());
      expect(await store().findByDigest(digestOf('c3'))).toEqual([]);
    });

    it('does not point a digest at a request that was a second delivery', async () => {
      const digest = digestOf(unique('d4'));
      const deploymentId = unique('dep');
      await store().requestDeployment(requested({ deploymentId }));
      await store().requestDeployment(requested({ deploymentId, artifact: { image: 'shop:2.0', digest } }));
      expect(await store().findByDigest(digest)).toEqual([]);
    });
  });

  describe('pending approvals', () => {
    const approval = (taskToken: string) => ({
      taskToken,
      requestedAt: at(0),
      timeoutAt: at(3600),
      onTimeout: 'rollback',
    });

    it('is cleared once by the token that answers it, and not again', async () => {
      const deploymentId = unique('dep');
      await store().createDeployment(
        deploymentSummary({ deploymentId, pendingApproval: approval('token-1') }),
      );

      expect(await store().clearPendingApproval(deploymentId, 'token-1')).toBe(true);
      expect(await store().clearPendingApproval(deploymentId, 'token-1')).toBe(false);
      expect(await store().getDeployment(deploymentId)).not.toHaveProperty('pendingApproval');
    });

    it('is not cleared by the token of another approval', async () => {
      const deploymentId = unique('dep');
      await store().createDeployment(
        deploymentSummary({ deploymentId, pendingApproval: approval('token-2') }),
      );

      expect(await store().clearPendingApproval(deploymentId, 'token-1')).toBe(false);
      expect(await store().getDeployment(deploymentId)).toMatchObject({
        pendingApproval: approval('token-2'),
      });
    });

    it('is not there to clear for a deployment that does not exist, which stays so', async () => {
      const deploymentId = unique('dep');
      expect(await store().clearPendingApproval(deploymentId, 'token-1')).toBe(false);
      expect(await store().getDeployment(deploymentId)).toBeUndefined();
    });
  });

  describe('control requests', () => {
    const abort = { action: 'abort' as const, by: 'alice@example.com', at: at(60) };
    const promote = { action: 'promote' as const, by: 'bob@example.com', at: at(61) };

    it('records the first request for a running deployment and refuses a second', async () => {
      const deploymentId = unique('dep');
      await store().createDeployment(deploymentSummary({ deploymentId, status: 'IN_PROGRESS' }));

      expect(await store().requestControl(deploymentId, abort)).toBe(true);
      expect(await store().requestControl(deploymentId, promote)).toBe(false);
      expect(await store().getDeployment(deploymentId)).toMatchObject({ control: abort });
    });

    it('records a request for a deployment still queued', async () => {
      const deploymentId = unique('dep');
      await store().requestDeployment(requested({ deploymentId }));
      expect(await store().requestControl(deploymentId, abort)).toBe(true);
    });

    it.each(['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CANCELLED'] as const)(
      'refuses a request for a deployment that has ended (%s)',
      async (status) => {
        const deploymentId = unique('dep');
        await store().createDeployment(deploymentSummary({ deploymentId, status }));
        expect(await store().requestControl(deploymentId, abort)).toBe(false);
        expect(await store().getDeployment(deploymentId)).not.toHaveProperty('control');
      },
    );

    it('refuses a request for a deployment that does not exist, creating nothing', async () => {
      const deploymentId = unique('dep');
      expect(await store().requestControl(deploymentId, abort)).toBe(false);
      expect(await store().getDeployment(deploymentId)).toBeUndefined();
    });
  });

  describe('paging through a service’s history', () => {
    it('pages newest first, each page giving the cursor of the next', async () => {
      const service = unique('svc');
      const ids = [1, 2, 3, 4, 5].map((n) => `${service}-dep-${n}`);
      for (const [n, deploymentId] of ids.entries()) {
        await store().createDeployment(deploymentSummary({ deploymentId, service, startedAt: at(n) }));
      }
      await store().createDeployment(
        deploymentSummary({ deploymentId: unique('dep'), service: unique('svc') }),
      );

      const first = await store().pageDeployments(service, 2);
      const second = await store().pageDeployments(service, 2, first.cursor);
      const third = await store().pageDeployments(service, 2, second.cursor);

      expect(first.items.map((d) => d.deploymentId)).toEqual([ids[4], ids[3]]);
      expect(second.items.map((d) => d.deploymentId)).toEqual([ids[2], ids[1]]);
      expect(third.items.map((d) => d.deploymentId)).toEqual([ids[0]]);
      expect(first.cursor).toEqual(expect.any(String));
      expect(third.cursor).toBeUndefined();
    });

    it('orders by when a deployment was requested, for those that queued first', async () => {
      const service = unique('svc');
      await store().createDeployment(
        deploymentSummary({ deploymentId: 'early', service, requestedAt: at(0), startedAt: at(100) }),
      );
      await store().createDeployment(deploymentSummary({ deploymentId: 'late', service, startedAt: at(50) }));
      const page = await store().pageDeployments(service, 10);
      expect(page.items.map((d) => d.deploymentId)).toEqual(['late', 'early']);
    });

    it('refuses the cursor of another service', async () => {
      const service = unique('svc');
      for (const n of [1, 2]) {
        await store().createDeployment(
          deploymentSummary({ deploymentId: `${service}-${n}`, service, startedAt: at(n) }),
        );
      }
      const { cursor } = await store().pageDeployments(service, 1);
      expect(cursor).toEqual(expect.any(String));

      const paging = store().pageDeployments(unique('svc'), 1, cursor);
      await expect(paging).rejects.toThrow(InvalidInputError);
      await expect(paging).rejects.toThrow('cursor belongs to another listing');
    });

    it('refuses a cursor it did not give', async () => {
      await expect(store().pageDeployments(unique('svc'), 1, 'not-a-cursor')).rejects.toThrow(
        InvalidInputError,
      );
    });
  });

  describe('the registry', () => {
    it('lists every service configuration written, once each, as last written', async () => {
      const checkout = unique('checkout');
      const cart = unique('cart');
      await store().putServiceConfig(serviceConfig({ service: checkout }));
      await store().putServiceConfig(serviceConfig({ service: cart, strategy: 'linear' }));
      await store().putServiceConfig(serviceConfig({ service: checkout, alarms: ['checkout-5xx'] }));

      const listed = await store().listServiceConfigs();

      expect(listed.filter((c) => c.service === checkout)).toEqual([
        serviceConfig({ service: checkout, alarms: ['checkout-5xx'] }),
      ]);
      expect(listed.filter((c) => c.service === cart)).toEqual([
        serviceConfig({ service: cart, strategy: 'linear' }),
      ]);
    });
  });
});
