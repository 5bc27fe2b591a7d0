import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlDeps } from '../../../lambdas/control/deps.ts';
import { sweep } from '../../../lambdas/control/sweeper.ts';
import type { DeploymentSummary } from '../../../lambdas/domain/types.ts';
import type { ExecutionDescription } from '../../../lambdas/ports/executions.ts';
import { LocalRuntime } from '../../../local/runtime.ts';
import { controlDeps, RecordingExecutions } from './support.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await LocalRuntime.open(undefined);
});

afterAll(async () => {
  await runtime.close();
});

function summary(service: string, id: string, overrides: Partial<DeploymentSummary> = {}): DeploymentSummary {
  return {
    deploymentId: id,
    service,
    environment: 'test',
    strategy: 'canary',
    artifact: { image: 'v2' },
    stableVersion: 'v1',
    candidateVersion: 'v2',
    status: 'IN_PROGRESS',
    currentStep: 1,
    stepCount: 3,
    weights: { v1: 90, v2: 10 },
    trigger: { source: 'api', principal: 'alice' },
    startedAt: NOW.toISOString(),
    requestedAt: NOW.toISOString(),
    provider: 'simulated',
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:Stepwise-canary:${id}`,
    ...overrides,
  };
}

describe('sweep', () => {
  it('reconciles a deployment whose execution ended unheard, and starts the one queued behind it', async () => {
    const executions = new RecordingExecutions();
    const statuses = new Map<string, ExecutionDescription['status']>();
    executions.describe = async (executionArn: string) => ({
      executionArn,
      status: statuses.get(executionArn) ?? 'RUNNING',
      cause: 'the event was lost',
    });
    const deps: ControlDeps = controlDeps(runtime.store, executions, NOW);
    await runtime.store.putServiceConfig({
      service: 'orders',
      environment: 'test',
      provider: 'simulated',
      alarms: [],
      insufficientData: 'healthy',
      strategy: 'canary',
      plan: { steps: [{ weight: 100, bakeSeconds: 60 }] },
    });
    const lost = summary('orders', 'orders-2-00000001');
    await runtime.store.createDeployment(lost);
    await runtime.store.acquireLock('orders', lost.deploymentId, NOW, 3600);
    await runtime.store.putRoutes({
      service: 'orders',
      weights: { v1: 90, v2: 10 },
      updatedAt: NOW.toISOString(),
    });
    const next = summary('orders', 'orders-3-00000002', {
      status: 'QUEUED',
      executionArn: undefined,
      candidateVersion: 'v3',
      artifact: { image: 'v3' },
      request: {
        deploymentId: 'orders-3-00000002',
        service: 'orders',
        artifact: { image: 'v3' },
        trigger: { source: 'api', principal: 'alice' },
      },
    });
    await runtime.store.requestDeployment(next);
    await runtime.store.enqueue('orders', {
      deploymentId: next.deploymentId,
      requestedAt: NOW.toISOString(),
    });

    // While the execution runs, the sweep changes nothing.
    expect(await sweep(deps)).toEqual({ reconciled: [], pumped: ['orders'] });
    expect(executions.started).toEqual([]);

    statuses.set(lost.executionArn as string, 'TIMED_OUT');
    expect(await sweep(deps)).toEqual({ reconciled: [lost.deploymentId], pumped: [] });
    expect(await runtime.store.getDeployment(lost.deploymentId)).toMatchObject({
      status: 'ROLLED_BACK',
      reason: 'execution timed out',
    });
    expect((await runtime.store.getRoutes('orders'))?.weights).toMatchObject({ v1: 100 });
    expect(executions.started).toEqual([next.deploymentId]);
  });

  it('finds an orphaned deployment behind any number of newer ones', async () => {
    const executions = new RecordingExecutions();
    executions.describe = async (executionArn: string) => ({ executionArn, status: 'ABORTED' });
    const deps: ControlDeps = controlDeps(runtime.store, executions, NOW);
    await runtime.store.putServiceConfig({
      service: 'busy',
      environment: 'test',
      provider: 'simulated',
      alarms: [],
      insufficientData: 'healthy',
      strategy: 'canary',
      plan: { steps: [{ weight: 100, bakeSeconds: 60 }] },
    });
    const orphan = summary('busy', 'busy-2-00000000', { startedAt: '2026-11-01T00:00:00.000Z' });
    await runtime.store.createDeployment(orphan);
    // Sixty later deployments that ended, newer than the orphan in the service's history.
    for (let i = 1; i <= 60; i++) {
      const later = summary('busy', `busy-2-${String(i).padStart(8, '0')}`, {
        startedAt: new Date(Date.parse('2026-11-02T00:00:00Z') + i * 1000).toISOString(),
      });
      await runtime.store.createDeployment(later);
      await runtime.store.updateDeployment(later.deploymentId, { status: 'SUCCEEDED' });
    }
    expect((await runtime.store.listDeployments('busy', 50)).map((d) => d.deploymentId)).not.toContain(
      orphan.deploymentId,
    );
    expect((await sweep(deps)).reconciled.filter((id) => id.startsWith('busy-'))).toEqual([
      orphan.deploymentId,
    ]);
    expect((await runtime.store.getDeployment(orphan.deploymentId))?.status).toBe('ROLLED_BACK');
    expect(await runtime.store.listOpenDeployments('busy')).toEqual([]);
  });
});
