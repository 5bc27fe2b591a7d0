import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlDeps } from '../../../lambdas/control/deps.ts';
import {
  decideApproval,
  promoteDeployment,
  rollbackService,
  viewDeployment,
} from '../../../lambdas/control/operations.ts';
import { ConflictError, TransientError } from '../../../lambdas/domain/errors.ts';
import type { DeploymentSummary } from '../../../lambdas/domain/types.ts';
import { LocalRuntime } from '../../../local/runtime.ts';
import { useLocalDynamoDb } from '../fixtures.ts';
import { controlDeps, RecordingExecutions } from './support.ts';

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

  const verdict = {
    healthy: false,
    at: '2026-11-23T11:59:00Z',
    step: 1,
    reasons: ['alarm errors is in ALARM'],
  };

  it('shows the verdict the summary keeps, and reads no audit trail for it', async () => {
    let trailsRead = 0;
    const deps = depsWithTrail();
    deps.store.listAuditEvents = async () => {
      trailsRead++;
      return [];
    };
    const view = await viewDeployment(deps, { ...running, lastVerdict: verdict });
    expect(view.lastVerdict).toEqual(verdict);
    expect(trailsRead).toBe(0);
  });

  it('finds the verdict in the trail of a deployment recorded before the summary kept it', async () => {
    const deps = depsWithTrail();
    deps.store.listAuditEvents = async () => [
      {
        type: 'HealthChecked',
        at: verdict.at,
        detail: { healthy: false, step: 1, reasons: verdict.reasons },
      } as never,
    ];
    expect((await viewDeployment(deps, running)).lastVerdict).toEqual(verdict);
  });
});

describe('decideApproval', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await LocalRuntime.open(undefined);
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('keeps the approval pending when the answer cannot be sent, so that a retry answers it', async () => {
    const sent: unknown[] = [];
    let fail = true;
    const executions = new RecordingExecutions();
    executions.sendTaskSuccess = async (_token: string, output: Record<string, unknown>) => {
      if (fail) {
        fail = false;
        throw new TransientError('SendTaskSuccess: ThrottlingException');
      }
      sent.push(output);
    };
    const deps: ControlDeps = controlDeps(runtime.store, executions, NOW);
    await runtime.store.createDeployment({ ...running, pendingApproval: pending('2026-11-23T13:00:00Z') });

    await expect(decideApproval(deps, running.deploymentId, { approved: true, by: 'alice' })).rejects.toThrow(
      TransientError,
    );
    expect((await runtime.store.getDeployment(running.deploymentId))?.pendingApproval).toBeDefined();

    const answered = await decideApproval(deps, running.deploymentId, { approved: true, by: 'alice' });
    expect(sent).toEqual([{ approved: true, by: 'alice' }]);
    expect(answered.pendingApproval).toBeUndefined();
    const decisions = (await runtime.store.listAuditEvents(running.deploymentId)).filter(
      (e) => e.type === 'ApprovalDecided',
    );
    expect(decisions).toHaveLength(1);
  });
});

describe('rollbackService', () => {
  it('refuses to roll a real service back to the simulated baseline it never ran', async () => {
    const runtime = await LocalRuntime.open(undefined);
    try {
      const deps: ControlDeps = controlDeps(runtime.store, new RecordingExecutions(), NOW);
      await runtime.store.putServiceConfig({
        service: 'gated',
        environment: 'test',
        provider: 'ecs-alb',
        alarms: [],
        insufficientData: 'healthy',
        strategy: 'canary',
        plan: { steps: [{ weight: 100, bakeSeconds: 60 }] },
      });
      await runtime.store.createDeployment({
        ...running,
        status: 'SUCCEEDED',
        stableVersion: 'baseline (simulated)',
      });
      await runtime.store.setLiveVersion({
        service: 'gated',
        liveVersion: 'g:2',
        updatedAt: NOW.toISOString(),
      });
      await expect(
        rollbackService(deps, 'gated', { trigger: { source: 'api', principal: 'alice' }, unique: 'u-1' }),
      ).rejects.toThrow(
        new ConflictError('service gated has no previous version to roll back to (live: g:2)'),
      );
    } finally {
      await runtime.close();
    }
  });
});

describe('promoteDeployment', () => {
  const local = useLocalDynamoDb();

  /** The item the Bake state writes with its task token (statemachines/*.asl.json, Bake). */
  async function baking(deploymentId: string, service: string, until: string) {
    await local.db().client.send(
      new PutItemCommand({
        TableName: local.db().tableName,
        Item: {
          pk: { S: 'BAKE' },
          sk: { S: service },
          service: { S: service },
          deploymentId: { S: deploymentId },
          taskToken: { S: `token-${deploymentId}` },
          alarms: { S: JSON.stringify(['errors']) },
          until: { S: until },
          expiresAt: { N: '1900000000' },
        },
      }),
    );
  }

  it('ends the bake under way at once, answering its task token, so the promote takes effect now', async () => {
    const executions = new RecordingExecutions();
    const sent: { token: string; output: Record<string, unknown> }[] = [];
    executions.sendTaskSuccess = async (token, output) => {
      sent.push({ token, output });
    };
    const summary = { ...running, deploymentId: 'promo-1', service: 'promo' };
    await local.store().createDeployment(summary);
    await baking('promo-1', 'promo', '2026-11-23T13:00:00Z');

    await promoteDeployment(controlDeps(local.store(), executions, NOW), 'promo-1', 'alice');

    expect(sent).toEqual([{ token: 'token-promo-1', output: { endedBy: 'alice', reason: 'promote now' } }]);
    expect((await local.store().getDeployment('promo-1'))?.control).toMatchObject({
      action: 'promote',
      by: 'alice',
    });
  });

  it("leaves another deployment's bake, and one that already ended, alone", async () => {
    const executions = new RecordingExecutions();
    const sent: string[] = [];
    executions.sendTaskSuccess = async (token) => {
      sent.push(token);
    };
    const deps = controlDeps(local.store(), executions, NOW);
    await local.store().createDeployment({ ...running, deploymentId: 'promo-2', service: 'promo-b' });
    await baking('someone-else', 'promo-b', '2026-11-23T13:00:00Z');
    await promoteDeployment(deps, 'promo-2', 'alice');
    await local.store().createDeployment({ ...running, deploymentId: 'promo-3', service: 'promo-c' });
    await baking('promo-3', 'promo-c', '2026-11-23T11:59:00Z');
    await promoteDeployment(deps, 'promo-3', 'alice');

    expect(sent).toEqual([]);
  });

  it('still records the promote when the bake ended meanwhile (its token no longer waits)', async () => {
    const executions = new RecordingExecutions();
    executions.sendTaskSuccess = async () => {
      throw new ConflictError('the approval is no longer waiting (it timed out or was answered)');
    };
    await local.store().createDeployment({ ...running, deploymentId: 'promo-4', service: 'promo-d' });
    await baking('promo-4', 'promo-d', '2026-11-23T13:00:00Z');
    const promoted = await promoteDeployment(controlDeps(local.store(), executions, NOW), 'promo-4', 'alice');
    expect(promoted.control).toMatchObject({ action: 'promote' });
  });
});
