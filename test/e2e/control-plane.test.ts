import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../lambdas/control/operations.ts';
import { verifyChain } from '../../lambdas/domain/audit.ts';
import { ecrPushEvent } from '../../lambdas/domain/ecr-push.ts';
import type { AuditEvent, DeploymentSummary } from '../../lambdas/domain/types.ts';
import { DOCUMENTED_PUSH } from '../samples/ecr-events.ts';
import { GATED_PLAN, type Harness, openHarness, service } from './support/local-plane.ts';

const ENDED = ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CANCELLED'];
const ended = (v: DeploymentView) => ENDED.includes(v.status);
let h: Harness;

beforeAll(async () => {
  h = await openHarness([
    service('sample', { trigger: { repository: 'my-repository-name' } }),
    service('web', { trigger: { repository: 'shop/web', tagPattern: 'v*', untaggedPushes: 'ignore' } }),
    service('web-canary', { trigger: { repository: 'shop/web', tagPattern: 'v*-rc*' } }),
    service('worker', { trigger: { repository: 'shop/worker', untaggedPushes: 'deploy' } }),
    service('orders', { plan: GATED_PLAN, trigger: { repository: 'shop/orders' } }),
    service('cart', { plan: GATED_PLAN, concurrency: 'supersede', trigger: { repository: 'shop/cart' } }),
    service('ledger', { plan: GATED_PLAN }),
  ]);
});

afterAll(async () => {
  await h.close();
});

const store = () => h.plane.runtime.store;

async function trail(id: string): Promise<AuditEvent[]> {
  return store().listAuditEvents(id);
}

/** Invariant 1 of architecture.md: however it ended, one version has all traffic, the lock is free, the trail is closed. */
async function expectCleanEnd(id: string): Promise<DeploymentSummary> {
  const summary = (await store().getDeployment(id)) as DeploymentSummary;
  expect(ENDED).toContain(summary.status);
  const routes = await store().getRoutes(summary.service);
  // Unless another deployment of the service is under way, its traffic is whole again.
  const busy = await store().getLock(summary.service);
  if (routes && !busy) {
    const full = Object.entries(routes.weights).filter(([, w]) => w === 100);
    expect(full).toHaveLength(1);
    expect(Object.values(routes.weights).reduce((a, b) => a + b, 0)).toBe(100);
  }
  // Record event closes the summary, then releases the lock: the API may show the end a moment before.
  let lock = await store().getLock(summary.service);
  for (let i = 0; i < 100 && lock?.holder === id; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    lock = await store().getLock(summary.service);
  }
  expect(lock?.holder).not.toBe(id);
  const events = await trail(id);
  const closing = events.filter((e) => e.key === 'closed');
  expect(closing).toHaveLength(1);
  expect(verifyChain(events).intact).toBe(true);
  return summary;
}

describe('image push → deployment', () => {
  it('starts one deployment for the AWS documentation sample push, named for the console', async () => {
    const result = await h.plane.dispatch(DOCUMENTED_PUSH);
    expect(result.deployments).toHaveLength(1);
    const [started] = result.deployments;
    expect(started?.service).toBe('sample');
    expect(started?.deploymentId).toMatch(/^sample-latest-[0-9a-f]{8}$/);
    const done = await h.until(started?.deploymentId as string, ended);
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      candidateVersion: '123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name:latest',
      trigger: { source: 'ecr-push', principal: 'event:13cde686-328b-6117-af20-0e5566167482' },
    });
  });

  it('starts nothing for a failed push, a deletion, a pull-through cache sync or another source, and says why', async () => {
    const before = await h.snapshot();
    const failed = { ...DOCUMENTED_PUSH, detail: { ...DOCUMENTED_PUSH.detail, result: 'FAILURE' } };
    const deleted = { ...DOCUMENTED_PUSH, detail: { ...DOCUMENTED_PUSH.detail, 'action-type': 'DELETE' } };
    const cache = { ...DOCUMENTED_PUSH, 'detail-type': 'ECR Pull Through Cache Action' };
    const other = { ...DOCUMENTED_PUSH, source: 'aws.s3' };
    expect((await h.plane.dispatch(failed)).ignored).toBe('the push did not succeed (result FAILURE)');
    expect((await h.plane.dispatch(deleted)).ignored).toBe('image action DELETE is not a push');
    expect((await h.plane.dispatch(cache)).ignored).toBe('a pull-through cache sync is not a release');
    expect((await h.plane.dispatch(other)).ignored).toContain('not an ECR event');
    expect(await h.snapshot()).toBe(before);
  });

  it('matches tag patterns per service, and an untagged push only where untagged pushes deploy', async () => {
    const release = await h.plane.dispatch(ecrPushEvent({ repository: 'shop/web', tag: 'v2.0.0' }));
    expect(release.deployments.map((d) => d.service)).toEqual(['web']);
    expect(release.skipped).toEqual([{ service: 'web-canary', reason: 'tag v2.0.0 does not match v*-rc*' }]);

    const untaggedWeb = await h.plane.dispatch(ecrPushEvent({ repository: 'shop/web' }));
    expect(untaggedWeb.deployments).toEqual([]);
    expect(untaggedWeb.ignored).toContain('the push has no tag and the service ignores untagged pushes');

    const untaggedWorker = await h.plane.dispatch(ecrPushEvent({ repository: 'shop/worker' }));
    expect(untaggedWorker.deployments).toHaveLength(1);
    expect(untaggedWorker.deployments[0]?.deploymentId).toMatch(/^worker-sha-[0-9a-f]{8}-[0-9a-f]{8}$/);

    const nobody = await h.plane.dispatch(ecrPushEvent({ repository: 'shop/unknown', tag: 'v1' }));
    expect(nobody.ignored).toBe('no service is triggered by repository shop/unknown');
    for (const d of [...release.deployments, ...untaggedWorker.deployments])
      await h.until(d.deploymentId, ended);
  });

  it('starts one deployment when EventBridge delivers the same push twice', async () => {
    const push = ecrPushEvent({
      repository: 'shop/worker',
      tag: 'v7',
      time: new Date('2026-11-23T10:00:00Z'),
    });
    const [first, second] = await Promise.all([h.plane.dispatch(push), h.plane.dispatch(push)]);
    const again = await h.plane.dispatch(push);
    const ids = new Set(
      [...first.deployments, ...second.deployments, ...again.deployments].map((d) => d.deploymentId),
    );
    expect(ids.size).toBe(1);
    expect(again.deployments[0]?.duplicate).toBe(true);
    await h.until([...ids][0] as string, ended);
    const history = await store().listDeployments('worker', 10);
    expect(history.filter((d) => d.candidateVersion.endsWith(':v7'))).toHaveLength(1);
  });
  it('starts one deployment when the same image is pushed under two tags, even at once', async () => {
    const digest = `sha256:${'e7'.repeat(32)}`;
    const [release, latest] = await Promise.all([
      h.plane.dispatch(ecrPushEvent({ repository: 'shop/worker', tag: 'v8', digest })),
      h.plane.dispatch(ecrPushEvent({ repository: 'shop/worker', tag: 'v8-final', digest })),
    ]);
    const ids = new Set([...release.deployments, ...latest.deployments].map((d) => d.deploymentId));
    expect(ids.size).toBe(1);
    const id = [...ids][0] as string;
    await h.until(id, ended);
    const byDigest = await h.call<{ deployments: DeploymentView[] }>('GET', `/deployments?digest=${digest}`);
    expect(byDigest.body.deployments.map((d) => d.deploymentId)).toEqual([id]);
  });
});

describe('two pushes at once for one service', () => {
  it('queue: the second waits, its trail says behind whom, and it starts when the first ends', async () => {
    const first = (await h.plane.dispatch(ecrPushEvent({ repository: 'shop/orders', tag: 'v1' })))
      .deployments[0];
    await h.until(first?.deploymentId as string, (v) => v.phase === 'waiting for approval');
    const second = (await h.plane.dispatch(ecrPushEvent({ repository: 'shop/orders', tag: 'v2' })))
      .deployments[0];
    const queued = await h.call<DeploymentView>('GET', `/deployments/${second?.deploymentId}`);
    expect(queued.body).toMatchObject({ status: 'QUEUED', phase: `queued behind ${first?.deploymentId}` });
    const note = (await trail(second?.deploymentId as string)).find((e) => e.type === 'DeploymentQueued');
    expect(note?.detail).toMatchObject({ behind: first?.deploymentId, policy: 'queue' });

    await h.call('POST', `/deployments/${first?.deploymentId}/approve`, {});
    expect((await h.until(first?.deploymentId as string, ended)).status).toBe('SUCCEEDED');
    await h.until(second?.deploymentId as string, (v) => v.phase === 'waiting for approval');
    await h.call('POST', `/deployments/${second?.deploymentId}/approve`, {});
    const done = await h.until(second?.deploymentId as string, ended);
    expect(done).toMatchObject({ status: 'SUCCEEDED', stableVersion: expect.stringMatching(/:v1$/) });
    await expectCleanEnd(first?.deploymentId as string);
    await expectCleanEnd(second?.deploymentId as string);
  });

  it('supersede: the running one is stopped and rolled back, saying by whom, then the new one runs', async () => {
    const first = (await h.plane.dispatch(ecrPushEvent({ repository: 'shop/cart', tag: 'v1' })))
      .deployments[0];
    await h.until(first?.deploymentId as string, (v) => v.phase === 'waiting for approval');
    const second = (await h.plane.dispatch(ecrPushEvent({ repository: 'shop/cart', tag: 'v2' })))
      .deployments[0];

    const old = await h.until(first?.deploymentId as string, ended);
    expect(old).toMatchObject({
      status: 'ROLLED_BACK',
      reason: `superseded by ${second?.deploymentId}`,
      weights: { 'baseline (simulated)': 100 },
    });
    expect((await trail(first?.deploymentId as string)).map((e) => e.type)).toEqual(
      expect.arrayContaining(['DeploymentSuperseded', 'Reconciled', 'DeploymentRolledBack']),
    );
    await expectCleanEnd(first?.deploymentId as string);

    await h.until(second?.deploymentId as string, (v) => v.phase === 'waiting for approval');
    await h.call('POST', `/deployments/${second?.deploymentId}/approve`, {});
    expect((await h.until(second?.deploymentId as string, ended)).status).toBe('SUCCEEDED');
  });
});

describe('the sweep', () => {
  it('leaves a deployment that runs alone, and carries out a supersede the launcher did not finish', async () => {
    const store = h.plane.runtime.store;
    const { body: first } = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'cart',
      image: 'c:20',
    });
    await h.until(first.deploymentId, (v) => v.phase === 'waiting for approval');
    expect((await h.plane.sweep()).reconciled).toEqual([]);
    expect((await store.getDeployment(first.deploymentId))?.status).toBe('IN_PROGRESS');

    // A request recorded and queued by a launcher that stopped before it superseded the running one.
    const id = 'cart-c21-0000cafe';
    const now = new Date().toISOString();
    await store.requestDeployment({
      deploymentId: id,
      service: 'cart',
      environment: 'test',
      strategy: 'canary',
      artifact: { image: 'c:21' },
      stableVersion: first.stableVersion,
      candidateVersion: 'c:21',
      status: 'QUEUED',
      currentStep: 0,
      stepCount: 0,
      weights: { [first.stableVersion]: 100 },
      trigger: { source: 'api', principal: 'alice' },
      startedAt: now,
      requestedAt: now,
      request: {
        deploymentId: id,
        service: 'cart',
        artifact: { image: 'c:21' },
        trigger: { source: 'api', principal: 'alice' },
      },
    });
    await store.enqueue('cart', { deploymentId: id, requestedAt: now });
    await h.plane.sweep();
    expect(await h.until(first.deploymentId, ended)).toMatchObject({
      status: 'ROLLED_BACK',
      reason: `superseded by ${id}`,
    });
    await h.until(id, (v) => v.phase === 'waiting for approval');
    await h.call('POST', `/deployments/${id}/abort`, {});
    await h.until(id, ended);
    await h.plane.idle();
  });
});

describe('the reconciler', () => {
  it('cancels a queued deployment that is aborted before it starts, and the queue moves on', async () => {
    const first = await h.call<DeploymentView>('POST', '/deployments', { service: 'ledger', image: 'l:1' });
    await h.until(first.body.deploymentId, (v) => v.phase === 'waiting for approval');
    const second = await h.call<DeploymentView>('POST', '/deployments', { service: 'ledger', image: 'l:2' });
    const third = await h.call<DeploymentView>('POST', '/deployments', { service: 'ledger', image: 'l:3' });
    const cancelled = await h.call<DeploymentView>(
      'POST',
      `/deployments/${second.body.deploymentId}/abort`,
      {},
    );
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED' });
    await expectCleanEnd(second.body.deploymentId);

    await h.call('POST', `/deployments/${first.body.deploymentId}/approve`, {});
    await h.until(third.body.deploymentId, (v) => v.phase === 'waiting for approval');
    await h.call('POST', `/deployments/${third.body.deploymentId}/abort`, { reason: 'enough' });
    const done = await h.until(third.body.deploymentId, ended);
    expect(done).toMatchObject({ status: 'ROLLED_BACK', weights: { 'l:1': 100 } });
    await expectCleanEnd(third.body.deploymentId);
  });

  it('restores traffic, closes the trail and frees the service after a timeout or failure mid-rollout', async () => {
    for (const [status, reason] of [
      ['TIMED_OUT', 'execution timed out'],
      ['FAILED', 'execution failed with Stepwise.RollbackFailed: the load balancer refused'],
    ] as const) {
      const { body } = await h.call<DeploymentView>('POST', '/deployments', {
        service: 'ledger',
        image: `l:${status}`,
      });
      await h.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
      // What the status-change rule delivers when Step Functions gives up on the execution.
      const outcome = await h.plane.reconcile({
        executionArn: body.executionArn as string,
        name: body.deploymentId,
        status,
        ...(status === 'FAILED'
          ? { error: 'Stepwise.RollbackFailed', cause: 'the load balancer refused' }
          : {}),
      });
      expect(outcome.actions[0]).toMatch(/^traffic restored to l:1/);
      const summary = await expectCleanEnd(body.deploymentId);
      expect(summary).toMatchObject({ status: 'ROLLED_BACK', reason });
      expect((await store().getRoutes('ledger'))?.weights).toMatchObject({ 'l:1': 100 });

      // A second delivery, and the engine's own end of the run, change nothing more.
      const events = (await trail(body.deploymentId)).length;
      expect(
        (await h.plane.reconcile({ executionArn: '', name: body.deploymentId, status })).actions,
      ).toEqual([]);
      expect(await h.call('POST', `/deployments/${body.deploymentId}/abort`, {})).toMatchObject({
        status: 409,
      });
      await h.plane.deps.executions.stop(
        body.executionArn as string,
        'States.Timeout',
        'the execution ran out of time',
      );
      await h.plane.idle();
      expect(await trail(body.deploymentId)).toHaveLength(events);
    }
  });

  it('leaves a deployment that rolled back by itself alone', async () => {
    const { body } = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'ledger',
      image: 'l:deny',
    });
    await h.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
    await h.call('POST', `/deployments/${body.deploymentId}/approve`, { approved: false });
    await h.until(body.deploymentId, ended);
    await h.plane.idle();
    const events = (await trail(body.deploymentId)).map((e) => e.type);
    expect(events).not.toContain('Reconciled');
    const again = await h.plane.reconcile({
      executionArn: '',
      name: body.deploymentId,
      status: 'FAILED',
    });
    expect(again.actions).toEqual([]);
    await expectCleanEnd(body.deploymentId);
  });

  it('closes a deployment refused by pre-flight as FAILED with the reason', async () => {
    const firing = await openHarness([service('hot', { trigger: { repository: 'shop/hot' } })], {
      faults: { behaviour: [], tasks: [], hooks: [], controls: [], firingAlarms: [{}] },
    });
    try {
      const refused = await firing.call('POST', '/deployments', { service: 'hot', image: 'h:2' });
      expect(refused).toMatchObject({ status: 422, body: { error: 'PreflightFailed' } });
      const allowed = await firing.call<DeploymentView>('POST', '/deployments', {
        service: 'hot',
        image: 'h:2',
        allowFiringAlarms: true,
      });
      expect(allowed.status).toBe(202);
      // The alarms it ships the fix for do not gate its steps; every check says they were left out.
      expect((await firing.until(allowed.body.deploymentId, ended)).status).toBe('SUCCEEDED');
      const allowedTrail = await firing.plane.runtime.store.listAuditEvents(allowed.body.deploymentId);
      const check = allowedTrail.find((e) => e.type === 'HealthChecked');
      expect(check?.detail?.reasons).toContain(
        'left out, firing before the deployment started (allowed): hot-error-rate, hot-p99-latency',
      );
      const started = allowedTrail.find((e) => e.type === 'DeploymentStarted');
      expect(started?.detail?.preflight).toMatchObject({
        firingAllowed: ['hot-error-rate', 'hot-p99-latency'],
        allowedBy: 'arn:aws:iam::123456789012:user/alice',
      });

      // Rolling back is the fix for a burning service: the firing alarms do not stop it, and it says so.
      const rollback = await firing.call<DeploymentView>('POST', '/services/hot/rollback', {
        reason: 'h:2 makes it worse',
      });
      expect(rollback.status).toBe(202);
      expect((await firing.until(rollback.body.deploymentId, ended)).status).toBe('SUCCEEDED');
      const rollbackTrail = await firing.plane.runtime.store.listAuditEvents(rollback.body.deploymentId);
      expect(rollbackTrail.find((e) => e.type === 'DeploymentRequested')?.detail).toMatchObject({
        allowFiringAlarms: true,
      });
      expect(rollbackTrail.find((e) => e.type === 'DeploymentStarted')?.detail?.preflight).toMatchObject({
        firingAllowed: ['hot-error-rate', 'hot-p99-latency'],
        allowedBy: 'arn:aws:iam::123456789012:user/alice',
      });

      const pushed = await firing.plane.dispatch(ecrPushEvent({ repository: 'shop/hot', tag: 'v3' }));
      const id = pushed.deployments[0]?.deploymentId as string;
      const done = await firing.until(id, ended);
      expect(done.status).toBe('FAILED');
      expect(done.reason).toContain('pre-flight: alarm hot-error-rate is already in ALARM');
    } finally {
      await firing.close();
    }
  });

  it('writes a trail whose times are in the order things happened, tasks and approvals alike', async () => {
    const { body } = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'ledger',
      image: 'l:7',
    });
    await h.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
    await h.call('POST', `/deployments/${body.deploymentId}/approve`, { approved: true });
    await h.until(body.deploymentId, ended);
    await h.plane.idle();
    const times = (await trail(body.deploymentId)).map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const types = (await trail(body.deploymentId)).map((e) => e.type);
    expect(types).toContain('ApprovalDecided');
  });

  it('aborting a deployment whose execution is gone cleans it up at once', async () => {
    const store = h.plane.runtime.store;
    const id = 'ledger-9-0000beef';
    const live = (await store.getServiceStatus('ledger'))?.liveVersion ?? 'baseline (simulated)';
    await store.createDeployment({
      deploymentId: id,
      service: 'ledger',
      environment: 'test',
      strategy: 'canary',
      artifact: { image: 'l:9' },
      stableVersion: live,
      candidateVersion: 'l:9',
      status: 'IN_PROGRESS',
      currentStep: 1,
      stepCount: 2,
      weights: { [live]: 90, 'l:9': 10 },
      trigger: { source: 'api', principal: 'alice' },
      startedAt: new Date().toISOString(),
      provider: 'simulated',
      executionArn: 'arn:aws:states:local:000000000000:execution:Stepwise-canary:ledger-9-0000beef',
    });
    await store.acquireLock('ledger', id, new Date(), 3600);
    await store.putRoutes({
      service: 'ledger',
      weights: { [live]: 90, 'l:9': 10 },
      updatedAt: new Date().toISOString(),
    });

    const aborted = await h.call<DeploymentView>('POST', `/deployments/${id}/abort`, { reason: 'stuck' });
    expect(aborted.status).toBe(202);
    const summary = await expectCleanEnd(id);
    expect(summary).toMatchObject({ status: 'ROLLED_BACK' });
    expect(summary.reason).toContain('stuck');
    expect((await store.getRoutes('ledger'))?.weights).toMatchObject({ [live]: 100 });
  });

  it('with real time, a bake takes its time, and an abort ends it at once', async () => {
    const real = await openHarness(
      [
        service('slow', {
          plan: {
            steps: [
              { weight: 50, bakeSeconds: 600 },
              { weight: 100, bakeSeconds: 0 },
            ],
          },
        }),
      ],
      {
        realTime: true,
      },
    );
    try {
      const { body } = await real.call<DeploymentView>('POST', '/deployments', {
        service: 'slow',
        image: 'slow:2',
      });
      const baking = await real.until(body.deploymentId, (v) => v.weights['slow:2'] === 50);
      expect(baking.status).toBe('IN_PROGRESS');
      await real.call('POST', `/deployments/${body.deploymentId}/abort`, {
        reason: 'not waiting 10 minutes',
      });
      const done = await real.until(body.deploymentId, ended);
      expect(done).toMatchObject({ status: 'ROLLED_BACK', weights: { 'baseline (simulated)': 100 } });
    } finally {
      await real.close();
    }
  });
});

describe('an approval under the local server', () => {
  it('takes an approve sent the moment the summary says it waits, before Request approval has returned', async () => {
    const own = await openHarness([service('gate', { plan: GATED_PLAN })]);
    try {
      // As soon as Request approval has written the token to the summary, a person answers: on
      // AWS the token is live from the task's start, so the approve must not be refused.
      const answered: Promise<{ status: number }>[] = [];
      const store = own.plane.runtime.store;
      const update = store.updateDeployment.bind(store);
      store.updateDeployment = async (id, patch) => {
        await update(id, patch);
        if (patch.pendingApproval) answered.push(own.call('POST', `/deployments/${id}/approve`, {}));
      };
      const { body } = await own.call<DeploymentView>('POST', '/deployments', {
        service: 'gate',
        image: 'g:2',
      });
      const done = await own.until(body.deploymentId, ended);
      expect((await Promise.all(answered)).map((r) => r.status)).toEqual([200]);
      expect(done.status).toBe('SUCCEEDED');
    } finally {
      await own.close();
    }
  });

  it('times out when the shared clock jumps past its deadline, as its view says', async () => {
    const own = await openHarness([service('gate', { plan: GATED_PLAN })]);
    try {
      const { body } = await own.call<DeploymentView>('POST', '/deployments', {
        service: 'gate',
        image: 'g:3',
      });
      await own.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
      // Another run's bake moves the server's one clock past the gate's 300 s.
      own.plane.clock.advanceBy(301);
      const done = await own.until(body.deploymentId, ended);
      expect(done).toMatchObject({ status: 'ROLLED_BACK', reason: 'approval timed out after 300s' });
    } finally {
      await own.close();
    }
  });
});

describe('a ring rollout cut short', () => {
  it('restores the rings that finished, as its onFailure says', async () => {
    const rings = await openHarness([
      service('alpha', { plan: { steps: [{ weight: 100, bakeSeconds: 60 }] } }),
      service('beta', { plan: { steps: [{ weight: 100, bakeSeconds: 60 }] } }),
      service('global', {
        strategy: 'ring',
        plan: {
          rings: [
            { name: 'first', service: 'alpha' },
            { name: 'second', service: 'beta', gate: { approval: { timeoutSeconds: 300 } } },
          ],
        },
      }),
    ]);
    try {
      const { body } = await rings.call<DeploymentView>('POST', '/deployments', {
        service: 'global',
        image: 'g:2',
      });
      await rings.until(body.deploymentId, (v) => v.phase === 'waiting for approval');
      expect((await rings.plane.runtime.store.getServiceStatus('alpha'))?.liveVersion).toBe('g:2');

      await rings.call('POST', `/deployments/${body.deploymentId}/abort`, { reason: 'stop the train' });
      const parent = await rings.until(body.deploymentId, ended);
      expect(parent.status).toBe('FAILED');
      expect(parent.reason).toMatch(
        /^aborted by .* \(stop the train\); restoring ring first \(alpha-image-[0-9a-f]{8}\)$/,
      );
      const undo = /\((alpha-image-[0-9a-f]{8})\)$/.exec(parent.reason ?? '')?.[1] as string;
      expect((await rings.until(undo, ended)).status).toBe('SUCCEEDED');
      expect((await rings.plane.runtime.store.getRoutes('alpha'))?.weights).toMatchObject({
        'baseline (simulated)': 100,
      });
      expect(await rings.plane.runtime.store.getRoutes('beta')).toBeUndefined();
    } finally {
      await rings.close();
    }
  });
});

describe('the local server stopping and starting again', () => {
  it('rolls back what was running when it stopped, and starts what was queued behind it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-restart-'));
    const services = [service('orders', { plan: GATED_PLAN })];
    try {
      const before = await openHarness(services, { dir });
      const first = await before.call<DeploymentView>('POST', '/deployments', {
        service: 'orders',
        image: 'o:2',
      });
      await before.until(first.body.deploymentId, (v) => v.phase === 'waiting for approval');
      const second = await before.call<DeploymentView>('POST', '/deployments', {
        service: 'orders',
        image: 'o:3',
      });
      await before.close();

      const after = await openHarness(services, { dir });
      try {
        const stopped = await after.until(first.body.deploymentId, ended);
        expect(stopped).toMatchObject({
          status: 'ROLLED_BACK',
          reason: 'execution stopped: the local server stopped while it ran',
          weights: { 'baseline (simulated)': 100 },
        });
        const next = await after.until(second.body.deploymentId, (v) => v.phase === 'waiting for approval');
        expect(next.status).toBe('IN_PROGRESS');
        await after.call('POST', `/deployments/${second.body.deploymentId}/approve`, {});
        expect((await after.until(second.body.deploymentId, ended)).status).toBe('SUCCEEDED');
      } finally {
        await after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
