import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../lambdas/control/operations.ts';
import type { AuditEvent } from '../../lambdas/domain/types.ts';
import { GATED_PLAN, type Harness, openHarness, service } from './support/local-plane.ts';

const ALICE = 'arn:aws:iam::123456789012:user/alice';
let h: Harness;

beforeAll(async () => {
  h = await openHarness([
    service('checkout', { trigger: { repository: 'shop/checkout', tagPattern: 'v*' } }),
    service('gated', { plan: GATED_PLAN }),
    service('payments', { plan: GATED_PLAN }),
    service('search', { plan: GATED_PLAN }),
    service('billing'),
    service('fresh'),
  ]);
});

afterAll(async () => {
  await h.close();
});

const ended = (v: DeploymentView) => ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CANCELLED'].includes(v.status);

async function trail(id: string): Promise<AuditEvent[]> {
  return h.plane.runtime.store.listAuditEvents(id);
}

describe('POST /deployments', () => {
  it('accepts a deployment (202), runs it, and GET ?wait= returns once it has ended', async () => {
    const created = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'checkout',
      image: 'shop:1.1',
      reason: 'release 1.1',
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      service: 'checkout',
      candidateVersion: 'shop:1.1',
      requestReason: 'release 1.1',
    });
    expect(created.body.deploymentId).toMatch(/^checkout-1\.1-[0-9a-f]{8}$/);

    const done = await h.call<DeploymentView>('GET', `/deployments/${created.body.deploymentId}?wait=10`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'SUCCEEDED',
      phase: 'ended: succeeded',
      weights: { 'shop:1.1': 100 },
      trigger: { source: 'api', principal: ALICE },
      lastVerdict: { healthy: true },
    });
    expect(done.body.consoleUrl).toBe(`${h.server.url}/deployments/${created.body.deploymentId}`);
  });

  it('refuses a malformed body with 400 naming the field, and changes nothing', async () => {
    const before = await h.snapshot();
    const cases: [unknown, string][] = [
      [{ image: 'shop:1.2' }, 'body.service is required'],
      [{ service: 'checkout' }, 'body.image or body.digest is required'],
      [{ service: 'checkout', image: 'shop:1.2', colour: 'red' }, 'colour'],
      [{ service: 'Checkout!', image: 'shop:1.2' }, 'body.service'],
      [{ service: 'checkout', image: 'shop:1.2', digest: 'md5:abc' }, 'body.digest'],
    ];
    for (const [body, message] of cases) {
      const res = await h.call('POST', '/deployments', body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('InvalidRequest');
      expect(res.body.message).toContain(message);
    }
    const notJson = await h.call('POST', '/deployments', '{not json');
    expect(notJson).toMatchObject({ status: 400, body: { error: 'InvalidJson' } });
    expect(await h.snapshot()).toBe(before);
  });

  it('answers 404 for an unknown service, 422 for a plan its strategy refuses, 413 for a huge body; nothing changes', async () => {
    const before = await h.snapshot();
    expect(await h.call('POST', '/deployments', { service: 'nope', image: 'x:1' })).toMatchObject({
      status: 404,
      body: { error: 'ServiceNotFound', message: 'service nope is not registered' },
    });
    const badPlan = await h.call('POST', '/deployments', {
      service: 'checkout',
      image: 'shop:1.3',
      strategy: 'canary',
      plan: { steps: [{ weight: 50 }, { weight: 20 }] },
    });
    expect(badPlan.status).toBe(422);
    expect(badPlan.body.error).toBe('InvalidRequest');
    const planWithoutStrategy = await h.call('POST', '/deployments', {
      service: 'checkout',
      image: 'shop:1.3',
      plan: { steps: [{ weight: 100 }] },
    });
    expect(planWithoutStrategy).toMatchObject({ status: 422 });
    expect(String(planWithoutStrategy.body.message)).toContain('deployment.plan needs deployment.strategy');
    const huge = await h.call('POST', '/deployments', {
      service: 'checkout',
      image: 'shop:1.3',
      reason: 'x'.repeat(70_000),
    });
    expect(huge).toMatchObject({ status: 413, body: { error: 'PayloadTooLarge' } });
    expect(await h.snapshot()).toBe(before);
  });

  it('runs a POST with an Idempotency-Key once: a retry gets the same deployment, another body gets 422', async () => {
    const key = { 'Idempotency-Key': 'release-2026-11-23-billing' };
    const first = await h.call<DeploymentView>(
      'POST',
      '/deployments',
      { service: 'billing', image: 'bill:2' },
      key,
    );
    const retry = await h.call<DeploymentView>(
      'POST',
      '/deployments',
      { service: 'billing', image: 'bill:2' },
      key,
    );
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body.deploymentId).toBe(first.body.deploymentId);
    const history = await h.call<{ deployments: DeploymentView[] }>('GET', '/deployments?service=billing');
    expect(history.body.deployments).toHaveLength(1);

    const reused = await h.call('POST', '/deployments', { service: 'billing', image: 'bill:3' }, key);
    expect(reused).toMatchObject({ status: 422, body: { error: 'IdempotencyKeyReused' } });
    const bad = await h.call(
      'POST',
      '/deployments',
      { service: 'billing', image: 'bill:3' },
      { 'Idempotency-Key': 'with space' },
    );
    expect(bad).toMatchObject({ status: 400, body: { error: 'InvalidRequest' } });
  });
});

describe('GET /deployments', () => {
  it('lists a service newest first with paging, filters by status, and finds deployments by image digest', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const made = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'checkout',
      digest,
      image: 'shop:1.4',
    });
    await h.until(made.body.deploymentId, ended);

    const page1 = await h.call<{ deployments: DeploymentView[]; cursor?: string }>(
      'GET',
      '/deployments?service=checkout&limit=1',
    );
    expect(page1.body.deployments.map((d) => d.candidateVersion)).toEqual(['shop:1.4']);
    expect(page1.body.cursor).toBeDefined();
    const page2 = await h.call<{ deployments: DeploymentView[] }>(
      'GET',
      `/deployments?service=checkout&limit=1&cursor=${page1.body.cursor}`,
    );
    expect(page2.body.deployments.map((d) => d.candidateVersion)).toEqual(['shop:1.1']);

    const byDigest = await h.call<{ deployments: DeploymentView[] }>('GET', `/deployments?digest=${digest}`);
    expect(byDigest.body.deployments.map((d) => d.deploymentId)).toEqual([made.body.deploymentId]);
    const failed = await h.call<{ deployments: DeploymentView[] }>(
      'GET',
      '/deployments?service=checkout&status=FAILED',
    );
    expect(failed.body.deployments).toEqual([]);
  });

  it('answers 400 without service or digest, for a bad status or limit, and 404 for an unknown id', async () => {
    expect(await h.call('GET', '/deployments')).toMatchObject({
      status: 400,
      body: { message: 'query service or digest is required' },
    });
    expect((await h.call('GET', '/deployments?service=checkout&status=DONE')).status).toBe(400);
    expect((await h.call('GET', '/deployments?service=checkout&limit=0')).status).toBe(400);
    expect((await h.call('GET', '/deployments/checkout-x-1?wait=99')).status).toBe(400);
    expect(await h.call('GET', '/deployments/nothing-here')).toMatchObject({
      status: 404,
      body: { error: 'DeploymentNotFound' },
    });
    expect(await h.call('DELETE', '/deployments/nothing-here')).toMatchObject({
      status: 404,
      body: { error: 'NotFound' },
    });
    expect(await h.call('GET', `/deployments/${'x'.repeat(2100)}`)).toMatchObject({
      status: 400,
      body: { error: 'InvalidRequest' },
    });
    expect((await h.call('POST', '/deployments/bad%20id/abort', {})).status).toBe(400);
    expect((await h.call('GET', '/services/Not_A_Service')).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ gsi1pk: 'SERVICE#checkout', pk: 1 })).toString('base64url');
    expect(await h.call('GET', `/deployments?service=checkout&cursor=${forged}`)).toMatchObject({
      status: 400,
    });
    expect(await h.call('GET', '/deployments?service=checkout&cursor=%25%25')).toMatchObject({ status: 400 });
  });
});

describe('POST /deployments/{id}/approve|abort|promote|resume', () => {
  it('approve answers the gate, records who approved, and the rollout finishes', async () => {
    const { body } = await h.call<DeploymentView>('POST', '/deployments', { service: 'gated', image: 'g:2' });
    const waiting = await h.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
    expect(waiting.weights).toMatchObject({ 'g:2': 10 });

    const approved = await h.call<DeploymentView>('POST', `/deployments/${body.deploymentId}/approve`, {
      reason: 'looks good',
    });
    expect(approved.status).toBe(200);
    const done = await h.until(body.deploymentId, ended);
    expect(done).toMatchObject({ status: 'SUCCEEDED', weights: { 'g:2': 100 } });
    const decision = (await trail(body.deploymentId)).find((e) => e.type === 'ApprovalDecided');
    expect(decision?.detail).toMatchObject({ approved: true, by: ALICE, reason: 'looks good' });

    expect(await h.call('POST', `/deployments/${body.deploymentId}/approve`, {})).toMatchObject({
      status: 409,
      body: { error: 'Conflict' },
    });
  });

  it('approve with approved=false denies: the rollout rolls back', async () => {
    const { body } = await h.call<DeploymentView>('POST', '/deployments', { service: 'gated', image: 'g:3' });
    await h.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
    await h.call('POST', `/deployments/${body.deploymentId}/approve`, {
      approved: false,
      reason: 'not today',
    });
    const done = await h.until(body.deploymentId, ended);
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.reason).toBe(`approval denied by ${ALICE}: not today`);
    expect(done.weights).toMatchObject({ 'g:2': 100 });
  });

  it('resume continues a rollout that waits at its gate', async () => {
    const { body } = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'search',
      image: 's:2',
    });
    await h.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
    expect((await h.call('POST', `/deployments/${body.deploymentId}/resume`, {})).status).toBe(200);
    expect((await h.until(body.deploymentId, ended)).status).toBe('SUCCEEDED');
    const decision = (await trail(body.deploymentId)).find((e) => e.type === 'ApprovalDecided');
    expect(decision?.detail).toMatchObject({ via: 'resume', by: ALICE });
  });

  it('abort stops the rollout at once: traffic back on the old version, reason names who, service free again', async () => {
    const { body } = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'payments',
      image: 'p:2',
    });
    await h.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
    const aborted = await h.call('POST', `/deployments/${body.deploymentId}/abort`, {
      reason: 'wrong build',
    });
    expect(aborted.status).toBe(202);
    const done = await h.until(body.deploymentId, ended);
    expect(done).toMatchObject({
      status: 'ROLLED_BACK',
      reason: `aborted by ${ALICE} (wrong build)`,
      weights: { 'baseline (simulated)': 100 },
    });
    const svc = await h.call<{ currentDeployment: string | null }>('GET', '/services/payments');
    expect(svc.body.currentDeployment).toBeNull();
    expect((await h.call('POST', `/deployments/${body.deploymentId}/abort`, {})).status).toBe(409);
    expect((await h.call('POST', `/deployments/${body.deploymentId}/promote`, {})).status).toBe(409);
  });

  it('promote skips the rest of the plan at the next step boundary', async () => {
    const { body } = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'payments',
      image: 'p:3',
    });
    await h.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
    const promoted = await h.call<DeploymentView>('POST', `/deployments/${body.deploymentId}/promote`, {});
    expect(promoted.status).toBe(202);
    expect(promoted.body.control).toMatchObject({ action: 'promote', by: ALICE });
    expect((await h.call('POST', `/deployments/${body.deploymentId}/promote`, {})).status).toBe(409);
    await h.call('POST', `/deployments/${body.deploymentId}/approve`, {});
    const done = await h.until(body.deploymentId, ended);
    expect(done).toMatchObject({ status: 'SUCCEEDED', weights: { 'p:3': 100 } });
    expect(
      (await trail(body.deploymentId)).some((e) => e.type === 'ControlRequested' && e.detail?.by === ALICE),
    ).toBe(true);
  });

  it('answers 409 to approving a deployment that waits for nothing, and 404 to an unknown one', async () => {
    const { body } = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'billing',
      image: 'bill:9',
    });
    await h.until(body.deploymentId, ended);
    expect((await h.call('POST', `/deployments/${body.deploymentId}/approve`, {})).status).toBe(409);
    expect((await h.call('POST', '/deployments/nope-1/abort', {})).status).toBe(404);
    expect(
      (await h.call('POST', `/deployments/${body.deploymentId}/approve`, { approved: 'yes' })).status,
    ).toBe(400);
  });
});

describe('services', () => {
  it('GET /services lists the registry with each live version', async () => {
    const res = await h.call<{ services: { name: string; liveVersion: string | null }[] }>(
      'GET',
      '/services',
    );
    expect(res.status).toBe(200);
    expect(res.body.services.map((s) => s.name)).toEqual([
      'billing',
      'checkout',
      'fresh',
      'gated',
      'payments',
      'search',
    ]);
    expect(res.body.services.find((s) => s.name === 'checkout')?.liveVersion).toBe('shop:1.4');
  });

  it('GET /services/{name} shows config, live version, lock and queue; 404 when unknown', async () => {
    const res = await h.call<{ config: { strategy: string }; liveVersion: string }>(
      'GET',
      '/services/checkout',
    );
    expect(res.body).toMatchObject({ liveVersion: 'shop:1.4', config: { strategy: 'canary' }, queued: [] });
    expect((await h.call('GET', '/services/nope')).status).toBe(404);
    expect((await h.call('GET', '/services/nope/deployments')).status).toBe(404);
  });

  it('GET /services/{name}/deployments is the history, newest first', async () => {
    const res = await h.call<{ deployments: DeploymentView[] }>('GET', '/services/checkout/deployments');
    expect(res.body.deployments.map((d) => d.candidateVersion)).toEqual(['shop:1.4', 'shop:1.1']);
  });

  it('POST /services/{name}/rollback deploys the version the live one replaced, and records why', async () => {
    const res = await h.call<DeploymentView>('POST', '/services/checkout/rollback', {
      reason: 'checkout errors',
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      strategy: 'all-at-once',
      candidateVersion: 'shop:1.1',
      requestReason: 'checkout errors',
    });
    const done = await h.until(res.body.deploymentId, ended);
    expect(done).toMatchObject({ status: 'SUCCEEDED', weights: { 'shop:1.1': 100 } });
  });

  it('POST /services/{name}/rollback to a named version, and 409 when there is nothing to go back to', async () => {
    const named = await h.call<DeploymentView>('POST', '/services/checkout/rollback', {
      version: 'shop:1.4',
    });
    expect(named.body.candidateVersion).toBe('shop:1.4');
    await h.until(named.body.deploymentId, ended);
    const before = await h.snapshot();
    expect(await h.call('POST', '/services/fresh/rollback', {})).toMatchObject({
      status: 409,
      body: { error: 'Conflict' },
    });
    expect(await h.call('POST', '/services/nope/rollback', {})).toMatchObject({ status: 404 });
    expect(await h.snapshot()).toBe(before);
  });
});
