import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ControlDeps } from '../../../lambdas/control/deps.ts';
import { reconcile } from '../../../lambdas/control/reconciler.ts';
import { verifyChain } from '../../../lambdas/domain/audit.ts';
import type { DeploymentSummary } from '../../../lambdas/domain/types.ts';
import { LocalRuntime } from '../../../local/runtime.ts';
import { controlDeps, RecordingExecutions } from './support.ts';

let runtime: LocalRuntime;
let deps: ControlDeps;
let executions: RecordingExecutions;
let n = 0;
const NOW = new Date('2026-11-23T12:00:00Z');

beforeAll(async () => {
  runtime = await LocalRuntime.open(undefined);
});

afterAll(async () => {
  await runtime.close();
});

beforeEach(() => {
  executions = new RecordingExecutions();
  deps = controlDeps(runtime.store, executions, NOW);
});

/** A deployment of `svc` whose execution is cut short with traffic as `weights` (and the live version as `live`). */
async function cutShort(options: {
  weights?: Record<string, number>;
  live?: string;
  segment?: boolean;
  status?: DeploymentSummary['status'];
}): Promise<DeploymentSummary> {
  const service = `svc-${++n}`;
  const id = `${service}-2-0000000${n}`;
  await runtime.store.putServiceConfig({
    service,
    environment: 'test',
    provider: 'simulated',
    alarms: [],
    insufficientData: 'healthy',
    strategy: 'canary',
    plan: { steps: [{ weight: 100 }] },
  });
  if (options.live)
    await runtime.store.setLiveVersion({ service, liveVersion: options.live, updatedAt: NOW.toISOString() });
  if (options.weights) {
    await runtime.store.putRoutes({
      service,
      weights: options.weights,
      ...(options.segment ? { segment: { match: { header: 'x-beta', value: 'true' }, version: 'v2' } } : {}),
      updatedAt: NOW.toISOString(),
    });
  }
  const summary: DeploymentSummary = {
    deploymentId: id,
    service,
    environment: 'test',
    strategy: 'canary',
    artifact: { image: 'v2' },
    stableVersion: 'v1',
    candidateVersion: 'v2',
    status: options.status ?? 'IN_PROGRESS',
    currentStep: 1,
    stepCount: 3,
    weights: options.weights ?? { v1: 100 },
    trigger: { source: 'api', principal: 'alice' },
    startedAt: NOW.toISOString(),
    provider: 'simulated',
  };
  await runtime.store.createDeployment(summary);
  await runtime.store.acquireLock(service, id, NOW, 3600);
  return summary;
}

const ended = (summary: DeploymentSummary, status: 'TIMED_OUT' | 'FAILED' | 'ABORTED') => ({
  executionArn: `arn:aws:states:eu-west-1:123456789012:execution:Stepwise-canary:${summary.deploymentId}`,
  name: summary.deploymentId,
  status,
  ...(status === 'FAILED' ? { error: 'States.TaskFailed', cause: 'Lambda.Unknown' } : {}),
});

async function expectInvariants(summary: DeploymentSummary, onVersion: string) {
  const routes = await runtime.store.getRoutes(summary.service);
  expect(routes?.weights ?? { v1: 100 }).toMatchObject({ [onVersion]: 100 });
  expect(routes?.segment).toBeUndefined();
  expect(await runtime.store.getLock(summary.service)).toBeUndefined();
  const events = await runtime.store.listAuditEvents(summary.deploymentId);
  expect(events.filter((e) => e.key === 'closed')).toHaveLength(1);
  expect(verifyChain(events).intact).toBe(true);
}

describe('reconcile, at each phase an execution can be cut short in', () => {
  it.each(['TIMED_OUT', 'FAILED', 'ABORTED'] as const)(
    '%s with traffic split: back to 100 %% on the stable version',
    async (status) => {
      const summary = await cutShort({ weights: { v1: 70, v2: 30 } });
      const result = await reconcile(deps, ended(summary, status));
      expect(result.actions[0]).toBe('traffic restored to v1 (was {"v1":70,"v2":30})');
      await expectInvariants(summary, 'v1');
      expect(await runtime.store.getDeployment(summary.deploymentId)).toMatchObject({
        status: 'ROLLED_BACK',
      });
    },
  );

  it('before any traffic moved: closes the trail and frees the lock, and moves nothing', async () => {
    const summary = await cutShort({});
    const result = await reconcile(deps, ended(summary, 'TIMED_OUT'));
    expect(result.actions).toEqual(['closed as ROLLED_BACK: execution timed out']);
    await expectInvariants(summary, 'v1');
  });

  it('with a header segment routed to the candidate (ab-segment): the segment is removed', async () => {
    const summary = await cutShort({ weights: { v1: 100 }, segment: true });
    await reconcile(deps, ended(summary, 'ABORTED'));
    await expectInvariants(summary, 'v1');
  });

  it('after the promote but before the closing write: finishes the promote and closes as SUCCEEDED', async () => {
    const summary = await cutShort({ weights: { v1: 50, v2: 50 }, live: 'v2' });
    await reconcile(deps, ended(summary, 'FAILED'));
    await expectInvariants(summary, 'v2');
    expect(await runtime.store.getDeployment(summary.deploymentId)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('after a rollback that failed for good (closed FAILED, traffic split): restores traffic, keeps the status', async () => {
    const summary = await cutShort({ weights: { v1: 40, v2: 60 }, status: 'FAILED' });
    await runtime.store.appendAuditEvent(summary.deploymentId, {
      type: 'DeploymentFailed',
      key: 'closed',
      at: NOW.toISOString(),
      environment: 'test',
      service: summary.service,
      version: 'v2',
      trigger: summary.trigger,
      rollback: false,
      status: 'FAILED',
    });
    const result = await reconcile(deps, ended(summary, 'FAILED'));
    expect(result.actions).toEqual(['traffic restored to v1 (was {"v1":40,"v2":60})']);
    await expectInvariants(summary, 'v1');
    expect(await runtime.store.getDeployment(summary.deploymentId)).toMatchObject({ status: 'FAILED' });
  });

  it('is idempotent: a second delivery writes nothing', async () => {
    const summary = await cutShort({ weights: { v1: 90, v2: 10 } });
    await reconcile(deps, ended(summary, 'TIMED_OUT'));
    const trail = await runtime.store.listAuditEvents(summary.deploymentId);
    const routes = await runtime.store.getRoutes(summary.service);
    expect((await reconcile(deps, ended(summary, 'TIMED_OUT'))).actions).toEqual([]);
    expect(await runtime.store.listAuditEvents(summary.deploymentId)).toEqual(trail);
    expect(await runtime.store.getRoutes(summary.service)).toEqual(routes);
  });

  it('starts the next queued deployment of the service once it has cleaned up', async () => {
    const summary = await cutShort({ weights: { v1: 90, v2: 10 } });
    const next: DeploymentSummary = {
      ...summary,
      deploymentId: `${summary.service}-3-00000000`,
      status: 'QUEUED',
      candidateVersion: 'v3',
      artifact: { image: 'v3' },
      requestedAt: NOW.toISOString(),
      request: {
        deploymentId: `${summary.service}-3-00000000`,
        service: summary.service,
        artifact: { image: 'v3' },
        trigger: summary.trigger,
      },
    };
    await runtime.store.requestDeployment(next);
    await runtime.store.enqueue(summary.service, {
      deploymentId: next.deploymentId,
      requestedAt: NOW.toISOString(),
    });
    await reconcile(deps, ended(summary, 'ABORTED'));
    expect(executions.started).toEqual([next.deploymentId]);
    expect((await runtime.store.getLock(summary.service))?.holder).toBe(next.deploymentId);
    expect(await runtime.store.listQueue(summary.service)).toEqual([]);
  });

  it('finds a deployment started by hand under another execution name by its input', async () => {
    const summary = await cutShort({ weights: { v1: 80, v2: 20 } });
    const result = await reconcile(deps, {
      ...ended(summary, 'ABORTED'),
      name: '3f1c2a9e-7c1b-4f0e-9a55-1d2b3c4d5e6f',
      input: JSON.stringify({ deploymentId: summary.deploymentId, service: summary.service }),
    });
    expect(result.deploymentId).toBe(summary.deploymentId);
    await expectInvariants(summary, 'v1');
  });

  it("a late event for a deployment that closed leaves the next deployment's traffic alone", async () => {
    const summary = await cutShort({ weights: { v1: 100 }, status: 'ROLLED_BACK' });
    await runtime.store.releaseLock(summary.service, summary.deploymentId);
    // The next deployment holds the service, with traffic split between v1 and v3.
    await runtime.store.acquireLock(summary.service, `${summary.service}-3-00000000`, NOW, 3600);
    await runtime.store.putRoutes({
      service: summary.service,
      weights: { v1: 90, v3: 10 },
      updatedAt: NOW.toISOString(),
    });
    expect((await reconcile(deps, ended(summary, 'FAILED'))).actions).toEqual([]);
    expect((await runtime.store.getRoutes(summary.service))?.weights).toEqual({ v1: 90, v3: 10 });
    expect((await runtime.store.getLock(summary.service))?.holder).toBe(`${summary.service}-3-00000000`);

    // ... and once that one has finished and v3 is live, a replayed event still moves nothing.
    await runtime.store.releaseLock(summary.service, `${summary.service}-3-00000000`);
    await runtime.store.setLiveVersion({
      service: summary.service,
      liveVersion: 'v3',
      updatedAt: NOW.toISOString(),
    });
    await runtime.store.putRoutes({
      service: summary.service,
      weights: { v3: 100 },
      updatedAt: NOW.toISOString(),
    });
    expect((await reconcile(deps, ended(summary, 'FAILED'))).actions).toEqual([]);
    expect((await runtime.store.getRoutes(summary.service))?.weights).toEqual({ v3: 100 });
  });
});
