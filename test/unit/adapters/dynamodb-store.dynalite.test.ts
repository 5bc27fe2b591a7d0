import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../lambdas/domain/audit.ts';
import { LockHeldError } from '../../../lambdas/domain/errors.ts';
import { auditInput, deploymentSummary, serviceConfig, T0, unique, useLocalDynamoDb } from '../fixtures.ts';

/** The same store against dynalite, a real DynamoDB-protocol server: the conditions really hold. */
const local = useLocalDynamoDb();
const store = () => local.store();
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('DynamoDbStore on dynalite', () => {
  describe('the service lock', () => {
    it('is re-entrant for the deployment that holds it', async () => {
      const service = unique('svc');
      await store().acquireLock(service, 'dep-a', T0, 600);
      await expect(store().acquireLock(service, 'dep-a', later(10), 600)).resolves.toBeUndefined();
    });

    it('is refused to another deployment, naming the holder', async () => {
      const service = unique('svc');
      await store().acquireLock(service, 'dep-a', T0, 600);
      const taking = store().acquireLock(service, 'dep-b', later(10), 600);
      await expect(taking).rejects.toThrow(LockHeldError);
      await expect(taking).rejects.toThrow(
        `service ${service} is locked by deployment dep-a since ${T0.toISOString()}`,
      );
    });

    it('is released only by its holder', async () => {
      const service = unique('svc');
      await store().acquireLock(service, 'dep-a', T0, 600);

      await store().releaseLock(service, 'dep-b');
      await expect(store().acquireLock(service, 'dep-b', later(1), 600)).rejects.toThrow(LockHeldError);

      await store().releaseLock(service, 'dep-a');
      await expect(store().acquireLock(service, 'dep-b', later(2), 600)).resolves.toBeUndefined();
    });

    it('is taken over once it has expired, and not a second before', async () => {
      const service = unique('svc');
      await store().acquireLock(service, 'dep-a', T0, 60);
      await expect(store().acquireLock(service, 'dep-b', later(60), 60)).rejects.toThrow(LockHeldError);
      await expect(store().acquireLock(service, 'dep-b', later(61), 60)).resolves.toBeUndefined();
      await expect(store().acquireLock(service, 'dep-a', later(62), 60)).rejects.toThrow(
        'locked by deployment dep-b',
      );
    });

    it('keeps the services apart', async () => {
      await store().acquireLock(unique('svc'), 'dep-a', T0, 600);
      await expect(store().acquireLock(unique('svc'), 'dep-b', T0, 600)).resolves.toBeUndefined();
    });
  });

  describe('deployments', () => {
    it('keeps the first summary when one is created twice', async () => {
      const deploymentId = unique('dep');
      await store().createDeployment(deploymentSummary({ deploymentId, candidateVersion: 'first' }));
      await store().createDeployment(deploymentSummary({ deploymentId, candidateVersion: 'second' }));
      expect(await store().getDeployment(deploymentId)).toEqual(
        deploymentSummary({ deploymentId, candidateVersion: 'first' }),
      );
    });

    it('updates fields of a summary and leaves the rest', async () => {
      const deploymentId = unique('dep');
      await store().createDeployment(deploymentSummary({ deploymentId }));
      await store().updateDeployment(deploymentId, { status: 'SUCCEEDED', currentStep: 3 });
      expect(await store().getDeployment(deploymentId)).toEqual(
        deploymentSummary({ deploymentId, status: 'SUCCEEDED', currentStep: 3 }),
      );
    });

    it('refuses to update a deployment that was never created', async () => {
      await expect(store().updateDeployment(unique('dep'), { status: 'FAILED' })).rejects.toThrow(
        /has no summary/,
      );
    });

    it("lists a service's deployments newest first, and only that service's", async () => {
      const service = unique('svc');
      for (const [id, minutes] of [
        ['dep-b', 2],
        ['dep-a', 1],
        ['dep-c', 3],
      ] as const) {
        await store().createDeployment(
          deploymentSummary({
            deploymentId: `${service}-${id}`,
            service,
            startedAt: later(minutes * 60).toISOString(),
          }),
        );
      }
      await store().createDeployment(
        deploymentSummary({ deploymentId: unique('dep'), service: unique('svc') }),
      );

      const listed = await store().listDeployments(service, 10);
      expect(listed.map((d) => d.deploymentId)).toEqual([
        `${service}-dep-c`,
        `${service}-dep-b`,
        `${service}-dep-a`,
      ]);
      expect(await store().listDeployments(service, 2)).toHaveLength(2);
    });
  });

  describe('service config, status and routes', () => {
    it('reads back what was written, and undefined for what was not', async () => {
      const service = unique('svc');
      const config = serviceConfig({ service });
      await store().putServiceConfig(config);
      await store().setLiveVersion({ service, liveVersion: 'shop:2.0', updatedAt: T0.toISOString() });
      await store().putRoutes({ service, weights: { a: 90, b: 10 }, updatedAt: T0.toISOString() });

      expect(await store().getServiceConfig(service)).toEqual(config);
      expect(await store().getServiceStatus(service)).toEqual({
        service,
        liveVersion: 'shop:2.0',
        updatedAt: T0.toISOString(),
      });
      expect((await store().getRoutes(service))?.weights).toEqual({ a: 90, b: 10 });
      expect(await store().getServiceConfig(unique('svc'))).toBeUndefined();
    });

    it('reads the statuses of 250 services in three batches, leaving out those never deployed', async () => {
      const services = Array.from({ length: 250 }, (_, i) => unique(`many-${i}`));
      await Promise.all(
        services
          .filter((_, i) => i % 2 === 0)
          .map((service) =>
            store().setLiveVersion({ service, liveVersion: `${service}:1`, updatedAt: T0.toISOString() }),
          ),
      );
      const statuses = await store().getServiceStatuses(services);
      expect(statuses.size).toBe(125);
      expect(statuses.get(services[0] as string)?.liveVersion).toBe(`${services[0]}:1`);
      expect(statuses.has(services[1] as string)).toBe(false);
      expect(statuses.get(services[248] as string)?.liveVersion).toBe(`${services[248]}:1`);
    });
  });

  describe('the audit trail', () => {
    it('stores one event when the same key is appended twice', async () => {
      const deploymentId = unique('dep');
      const first = await store().appendAuditEvent(deploymentId, auditInput({ key: 'started' }));
      const again = await store().appendAuditEvent(
        deploymentId,
        auditInput({ key: 'started', at: later(5).toISOString() }),
      );
      expect(again).toEqual(first);
      expect(await store().listAuditEvents(deploymentId)).toEqual([first]);
    });

    it('numbers events in order and reads back a chain that verifies', async () => {
      const deploymentId = unique('dep');
      for (const key of ['a', 'b', 'c']) {
        await store().appendAuditEvent(deploymentId, auditInput({ key, commitSha: undefined }));
      }
      const trail = await store().listAuditEvents(deploymentId);
      expect(trail.map((e) => [e.seq, e.key])).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
      expect(verifyChain(trail)).toEqual({ intact: true });
    });

    it('gives 5 concurrent appends with different keys seq 1..5 and an intact chain', async () => {
      const deploymentId = unique('dep');
      const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
      const appended = await Promise.all(
        keys.map((key) => store().appendAuditEvent(deploymentId, auditInput({ key }))),
      );

      const trail = await store().listAuditEvents(deploymentId);
      expect(trail.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(trail.map((e) => e.key).sort()).toEqual(keys);
      expect(appended.map((e) => e.seq).sort()).toEqual([1, 2, 3, 4, 5]);
      expect(verifyChain(trail)).toEqual({ intact: true });
    });

    it('keeps trails of different deployments apart', async () => {
      const a = unique('dep');
      const b = unique('dep');
      await store().appendAuditEvent(a, auditInput({ key: 'x' }));
      const inB = await store().appendAuditEvent(b, auditInput({ key: 'x' }));
      expect(inB.seq).toBe(1);
      expect(await store().listAuditEvents(b)).toHaveLength(1);
    });
  });
});
