import { describe, expect, it } from 'vitest';
import type { ControlDeps } from '../../../lambdas/control/deps.ts';
import { viewDeployment } from '../../../lambdas/control/operations.ts';
import type { DeploymentSummary } from '../../../lambdas/domain/types.ts';
import { RecordingExecutions } from './support.ts';

const NOW = new Date('2026-11-23T12:00:00Z');

function depsWithTrail(): ControlDeps {
  return {
    store: {
      listAuditEvents: async () => [],
      getLock: async () => undefined,
    } as unknown as ControlDeps['store'],
    executions: new RecordingExecutions(),
    providers: () => {
      throw new Error('no provider here');
    },
    alarms: { observe: async () => [], describe: async () => [] },
    clock: { now: () => NOW },
  };
}

const running: DeploymentSummary = {
  deploymentId: 'gated-2-0000abcd',
  service: 'gated',
  environment: 'test',
  strategy: 'canary',
  artifact: { image: 'g:2' },
  stableVersion: 'g:1',
  candidateVersion: 'g:2',
  status: 'IN_PROGRESS',
  currentStep: 1,
  stepCount: 2,
  weights: { 'g:1': 90, 'g:2': 10 },
  trigger: { source: 'api', principal: 'alice' },
  startedAt: NOW.toISOString(),
};

const pending = (timeoutAt: string) => ({
  taskToken: 't',
  requestedAt: NOW.toISOString(),
  timeoutAt,
  onTimeout: 'rollback',
});

describe('viewDeployment', () => {
  it('reads as waiting for approval while the gate is open', async () => {
    const view = await viewDeployment(depsWithTrail(), {
      ...running,
      pendingApproval: pending('2026-11-23T13:00:00Z'),
    });
    expect(view.phase).toBe('waiting for approval');
  });

  it('no longer reads as waiting once the gate timed out', async () => {
    const view = await viewDeployment(depsWithTrail(), {
      ...running,
      pendingApproval: pending('2026-11-23T11:00:00Z'),
    });
    expect(view.phase).toBe('step 1 of 2');
  });
});
