import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlDeps } from '../../../lambdas/control/deps.ts';
import { submitDeployment } from '../../../lambdas/control/launcher.ts';
import { deploymentName } from '../../../lambdas/domain/triggers.ts';
import { LocalRuntime } from '../../../local/runtime.ts';
import { controlDeps, RecordingExecutions } from './support.ts';

let runtime: LocalRuntime;
let deps: ControlDeps;
let executions: RecordingExecutions;
const NOW = new Date('2026-11-23T12:00:00Z');

beforeAll(async () => {
  runtime = await LocalRuntime.open(undefined);
  executions = new RecordingExecutions();
  deps = controlDeps(runtime.store, executions, NOW);
  await runtime.store.putServiceConfig({
    service: 'orders',
    environment: 'test',
    provider: 'simulated',
    alarms: [],
    insufficientData: 'healthy',
    strategy: 'canary',
    plan: { steps: [{ weight: 100, bakeSeconds: 60 }] },
  });
});

afterAll(async () => {
  await runtime.close();
});

const request = {
  service: 'orders',
  artifact: { image: 'orders:2' },
  trigger: { source: 'ecr-push', principal: 'event:1' },
  unique: 'orders@sha256:aa',
};

describe('submitDeployment', () => {
  it('starts a request whose first delivery stopped after recording it, when the event comes again', async () => {
    const id = deploymentName('orders', 'orders:2', request.unique);
    // What the first delivery left: the request recorded, not queued, nothing started.
    await runtime.store.requestDeployment({
      deploymentId: id,
      service: 'orders',
      environment: 'test',
      strategy: 'canary',
      artifact: request.artifact,
      stableVersion: 'baseline (simulated)',
      candidateVersion: 'orders:2',
      status: 'QUEUED',
      currentStep: 0,
      stepCount: 0,
      weights: { 'baseline (simulated)': 100 },
      trigger: request.trigger,
      startedAt: NOW.toISOString(),
      requestedAt: NOW.toISOString(),
      request: { deploymentId: id, service: 'orders', artifact: request.artifact, trigger: request.trigger },
    });

    const again = await submitDeployment(deps, request);
    expect(again.duplicate).toBe(true);
    expect(executions.started).toEqual([id]);
    expect((await runtime.store.getLock('orders'))?.holder).toBe(id);
    expect(again.deployment.executionArn).toContain(id);

    const third = await submitDeployment(deps, request);
    expect(third.duplicate).toBe(true);
    expect(executions.started).toEqual([id]);
  });
});
