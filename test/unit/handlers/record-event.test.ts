import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../lambdas/domain/audit.ts';
import type { TaskState } from '../../../lambdas/domain/types.ts';
import { makeRecordEventHandler } from '../../../lambdas/handlers/record-event.ts';
import {
  fixedClock,
  invoke,
  preparedDeployment,
  silentLogger,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();
const ENDED = new Date(T0.getTime() + 900_000);

function record(type: string, state: TaskState) {
  return invoke(makeRecordEventHandler(taskDeps(local.store(), fixedClock(ENDED)), silentLogger()), {
    type,
    state,
  });
}

async function prepared(): Promise<TaskState> {
  return preparedDeployment(taskDeps(local.store()), { service: unique('svc'), deploymentId: unique('dep') });
}

const closing = async (state: TaskState) =>
  (await local.store().listAuditEvents(state.deployment.deploymentId)).filter((e) => e.key === 'closed');

describe('record-event', () => {
  it('closes the summary with its status and end time', async () => {
    const state = await prepared();
    const final = { ...state, progress: { ...state.progress, weights: { 'shop:2.0': 100 } } };
    const out = await record('DeploymentSucceeded', final);

    expect(out.outcome).toEqual({ status: 'SUCCEEDED' });
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      status: 'SUCCEEDED',
      endedAt: ENDED.toISOString(),
      weights: { 'shop:2.0': 100 },
    });
  });

  it.each([
    ['DeploymentRolledBack', 'ROLLED_BACK'],
    ['DeploymentFailed', 'FAILED'],
  ])(
    'gives a %s outcome a cause even when no task set one (its Fail state reads $.outcome.cause)',
    async (type, status) => {
      const state = await prepared();
      const denied = { ...state, approval: { approved: false, by: 'ops@example.com' } } as TaskState;
      const out = await record(type, denied);
      expect(out.outcome).toEqual({ status, cause: 'approval denied by ops@example.com' });
      expect((await local.store().getDeployment(state.deployment.deploymentId))?.reason).toBe(
        'approval denied by ops@example.com',
      );
    },
  );

  it('releases the lock so the next deployment can start', async () => {
    const state = await prepared();
    await expect(local.store().acquireLock(state.deployment.service, 'next', ENDED, 60)).rejects.toThrow();
    await record('DeploymentSucceeded', state);
    await expect(
      local.store().acquireLock(state.deployment.service, 'next', ENDED, 60),
    ).resolves.toBeUndefined();
  });

  it('closes the trail with one event that says how it ended, and the chain holds', async () => {
    const state = await prepared();
    await record('DeploymentSucceeded', state);
    const [event] = await closing(state);
    expect(event).toMatchObject({
      type: 'DeploymentSucceeded',
      status: 'SUCCEEDED',
      rollback: false,
      at: ENDED.toISOString(),
      detail: { liveVersion: 'shop:2.0' },
    });
    expect(verifyChain(await local.store().listAuditEvents(state.deployment.deploymentId))).toEqual({
      intact: true,
    });
  });

  it('keeps the stable version live when a deployment that does not promote succeeds', async () => {
    const state = await prepared();
    const experiment = { ...state, deployment: { ...state.deployment, promotes: false } };
    const cause = 'analysis complete after 1 step(s)';
    await record('DeploymentSucceeded', { ...experiment, outcome: { status: 'SUCCEEDED', cause } });

    const [event] = await closing(state);
    expect(event).toMatchObject({
      type: 'DeploymentSucceeded',
      status: 'SUCCEEDED',
      rollback: false,
      detail: { liveVersion: state.deployment.stableVersion, reason: cause },
    });
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      status: 'SUCCEEDED',
      reason: cause,
    });
  });

  it('records a rollback with its reason, and the stable version as live', async () => {
    const state = await prepared();
    const cause = 'step 1 unhealthy: alarm errors is in ALARM';
    const out = await record('DeploymentRolledBack', {
      ...state,
      outcome: { status: 'ROLLED_BACK', error: 'Stepwise.RolledBack', cause },
    });

    expect(out.outcome).toEqual({ status: 'ROLLED_BACK', error: 'Stepwise.RolledBack', cause });
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      status: 'ROLLED_BACK',
      reason: cause,
      endedAt: ENDED.toISOString(),
    });
    const [event] = await closing(state);
    expect(event).toMatchObject({
      type: 'DeploymentRolledBack',
      rollback: true,
      detail: { reason: cause, liveVersion: state.deployment.stableVersion },
    });
  });

  it('records a failure as FAILED', async () => {
    const state = await prepared();
    await record('DeploymentFailed', state);
    expect((await local.store().getDeployment(state.deployment.deploymentId))?.status).toBe('FAILED');
  });

  it('writes one closing event when retried', async () => {
    const state = await prepared();
    await record('DeploymentSucceeded', state);
    await record('DeploymentSucceeded', state);
    expect(await closing(state)).toHaveLength(1);
  });

  it('refuses an event type that does not close a deployment, and leaves the lock held', async () => {
    const state = await prepared();
    await expect(record('DeploymentPaused', state)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: expect.stringMatching(/^type must be one of/),
    });
    expect((await local.store().getDeployment(state.deployment.deploymentId))?.status).toBe('IN_PROGRESS');
    await expect(local.store().acquireLock(state.deployment.service, 'next', ENDED, 60)).rejects.toThrow();
  });
});
