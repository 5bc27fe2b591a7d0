import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../../lambdas/domain/types.ts';
import { makeRollBackHandler, rollbackReason } from '../../../lambdas/handlers/roll-back.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import { BASELINE_VERSION } from '../../../lambdas/handlers/start-deployment.ts';
import {
  invoke,
  preparedDeployment,
  silentLogger,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();
const CANDIDATE = 'shop:2.0';

/** A deployment with traffic shifted `steps` times. */
async function shifted(steps: number): Promise<TaskState> {
  const deps = taskDeps(local.store());
  let state = await preparedDeployment(deps, { service: unique('svc'), deploymentId: unique('dep') });
  for (let i = 0; i < steps; i++) state = await invoke(makeShiftTrafficHandler(deps, silentLogger()), state);
  return state;
}

const unhealthy = (state: TaskState): TaskState => ({
  ...state,
  check: {
    healthy: false,
    checkedAt: T0.toISOString(),
    alarms: [{ name: 'errors', state: 'ALARM', firedDuringWindow: true }],
    reasons: ['alarm errors is in ALARM'],
  },
});

function rollBack(state: TaskState) {
  return invoke(makeRollBackHandler(taskDeps(local.store()), silentLogger()), state);
}

describe('roll-back', () => {
  it('returns all traffic to the stable version and says why', async () => {
    const state = unhealthy(await shifted(2));
    const next = await rollBack(state);

    expect(next.progress.weights).toEqual({ [BASELINE_VERSION]: 100 });
    expect(next.outcome).toEqual({
      status: 'ROLLED_BACK',
      error: 'Stepwise.RolledBack',
      cause: 'step 2 unhealthy: alarm errors is in ALARM',
    });
    const routes = await local.store().getRoutes(state.deployment.service);
    expect(routes?.weights).toEqual({ [BASELINE_VERSION]: 100 });
  });

  it('records why in the trail and the summary', async () => {
    const state = unhealthy(await shifted(2));
    await rollBack(state);

    const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
    expect(trail.find((e) => e.type === 'RolledBack')).toMatchObject({
      rollback: true,
      detail: {
        reason: 'step 2 unhealthy: alarm errors is in ALARM',
        fromStep: 2,
        weights: { [BASELINE_VERSION]: 100 },
      },
    });
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      reason: 'step 2 unhealthy: alarm errors is in ALARM',
      weights: { [BASELINE_VERSION]: 100 },
    });
  });

  it('records one RolledBack event when retried', async () => {
    const state = unhealthy(await shifted(1));
    await rollBack(state);
    await rollBack(state);
    const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
    expect(trail.filter((e) => e.type === 'RolledBack')).toHaveLength(1);
  });

  it('takes all traffic from a candidate that already had all of it', async () => {
    const state = unhealthy(await shifted(3));
    expect(state.progress.weights[CANDIDATE]).toBe(100);
    const next = await rollBack(state);
    expect(next.progress.weights).toEqual({ [BASELINE_VERSION]: 100 });
  });

  it('rolls back a deployment whose traffic never moved', async () => {
    const state = await shifted(0);
    const next = await rollBack({ ...state, error: { Error: 'States.Timeout' } });
    expect(next.progress.weights).toEqual({ [BASELINE_VERSION]: 100, [CANDIDATE]: 0 });
    expect(next.outcome?.cause).toBe('task failed with States.Timeout (before any traffic moved)');
  });
});

describe('rollbackReason', () => {
  it('quotes the message of a Lambda error cause, with the step traffic was at', async () => {
    const state = await shifted(1);
    const cause = JSON.stringify({ errorType: 'Stepwise.ProviderFailed', errorMessage: 'target group gone' });
    expect(rollbackReason({ ...state, error: { Error: 'Stepwise.ProviderFailed', Cause: cause } })).toBe(
      'task failed with Stepwise.ProviderFailed: target group gone (with traffic at step 1)',
    );
  });

  it('quotes a cause that is not JSON as it is', async () => {
    const state = await shifted(1);
    expect(rollbackReason({ ...state, error: { Error: 'Custom', Cause: 'plain words' } })).toBe(
      'task failed with Custom: plain words (with traffic at step 1)',
    );
  });

  it('says a rollback was requested when there is neither a failed check nor an error', async () => {
    const state = await shifted(1);
    expect(rollbackReason(state)).toBe('rollback requested at step 1');
    const passed = { healthy: true, checkedAt: T0.toISOString(), alarms: [], reasons: [] };
    expect(rollbackReason({ ...state, check: passed })).toBe('rollback requested at step 1');
  });
});
