import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../../lambdas/domain/types.ts';
import { makeRequestApprovalHandler } from '../../../lambdas/handlers/request-approval.ts';
import {
  invoke,
  preparedDeployment,
  silentLogger,
  stepTo,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();
const TIMEOUT_AT = new Date(T0.getTime() + 600_000).toISOString();

/** A canary deployment with an approval gate, its cursor on the approval. */
async function awaitingApproval(): Promise<TaskState> {
  const deps = taskDeps(local.store());
  const state = await preparedDeployment(deps, {
    service: unique('svc'),
    deploymentId: unique('dep'),
    gate: { timeoutSeconds: 600, onTimeout: 'continue' },
  });
  return stepTo(deps, state, 'approval');
}

function request(event: unknown) {
  return invoke(
    makeRequestApprovalHandler(taskDeps(local.store()), silentLogger()),
    event,
  ) as Promise<unknown>;
}

const approvalEvents = async (state: TaskState) =>
  (await local.store().listAuditEvents(state.deployment.deploymentId)).filter(
    (e) => e.type === 'ApprovalRequested',
  );

describe('request-approval', () => {
  it('puts the task token on the summary, with when the approval times out and what happens then', async () => {
    const state = await awaitingApproval();
    const out = await request({ state, taskToken: 'token-1' });

    expect(out).toEqual({ requested: true, timeoutAt: TIMEOUT_AT });
    expect((await local.store().getDeployment(state.deployment.deploymentId))?.pendingApproval).toEqual({
      taskToken: 'token-1',
      requestedAt: T0.toISOString(),
      timeoutAt: TIMEOUT_AT,
      onTimeout: 'continue',
      decisionKey: 'step-1#decision',
    });
  });

  it('records the request in the trail', async () => {
    const state = await awaitingApproval();
    await request({ state, taskToken: 'token-1' });

    const [event] = await approvalEvents(state);
    expect(event).toMatchObject({
      key: 'step-1#approval',
      status: 'IN_PROGRESS',
      detail: { timeoutAt: TIMEOUT_AT, onTimeout: 'continue' },
    });
  });

  it('records one ApprovalRequested event when retried, and keeps the newest token', async () => {
    const state = await awaitingApproval();
    await request({ state, taskToken: 'token-1' });
    await request({ state, taskToken: 'token-2' });

    expect(await approvalEvents(state)).toHaveLength(1);
    expect(
      (await local.store().getDeployment(state.deployment.deploymentId))?.pendingApproval?.taskToken,
    ).toBe('token-2');
  });

  it('refuses a current step that is not an approval, and asks nobody', async () => {
    const state = await stepTo(taskDeps(local.store()), await awaitingApproval(), 'setWeight');
    await expect(request({ state, taskToken: 'token-1' })).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'progress.step must be an approval step, got setWeight',
    });
    expect(
      (await local.store().getDeployment(state.deployment.deploymentId))?.pendingApproval,
    ).toBeUndefined();
  });

  it.each([
    ['without a task token', (state: TaskState) => ({ state }), 'taskToken is required'],
    [
      'with an empty task token',
      (state: TaskState) => ({ state, taskToken: '' }),
      /^taskToken must NOT have fewer/,
    ],
    ['given the bare state', (state: TaskState) => state, 'state is required'],
  ])('refuses an input %s, naming the field', async (_, build, message) => {
    const state = await awaitingApproval();
    await expect(request(build(state))).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: typeof message === 'string' ? message : expect.stringMatching(message),
    });
    expect(await approvalEvents(state)).toEqual([]);
  });
});
