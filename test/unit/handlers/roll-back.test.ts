import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../../lambdas/domain/types.ts';
import type { TaskDeps } from '../../../lambdas/handlers/deps.ts';
import { makeRecreateStepHandler } from '../../../lambdas/handlers/recreate-step.ts';
import { makeRollBackHandler, rollbackReason, rollbackTiming } from '../../../lambdas/handlers/roll-back.ts';
import { makeRouteSegmentHandler } from '../../../lambdas/handlers/route-segment.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import { BASELINE_VERSION } from '../../../lambdas/handlers/start-deployment.ts';
import {
  invoke,
  preparedDeployment,
  SlowToSettle,
  silentLogger,
  stepTo,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();
const CANDIDATE = 'shop:2.0';

/** A canary deployment (10, 50, 100) with traffic shifted `steps` times, the cursor on the last shift. */
async function shifted(steps: number): Promise<TaskState> {
  const deps = taskDeps(local.store());
  let state = await preparedDeployment(deps, { service: unique('svc'), deploymentId: unique('dep') });
  for (let i = 0; i < steps; i++) {
    state = await stepTo(deps, state, 'setWeight');
    state = await invoke(makeShiftTrafficHandler(deps, silentLogger()), state);
  }
  return state;
}

/** An ab-segment deployment whose segment was routed and whose plan has run to its end. */
async function experimentDone(): Promise<TaskState> {
  const deps = taskDeps(local.store());
  const prepared = await preparedDeployment(
    deps,
    { service: unique('svc'), deploymentId: unique('dep') },
    {
      strategy: 'ab-segment',
      plan: { match: { header: 'x-beta', value: 'yes' }, bakeSeconds: 60, after: { analysisSeconds: 600 } },
    },
  );
  const routed = await invoke(
    makeRouteSegmentHandler(deps, silentLogger()),
    await stepTo(deps, prepared, 'segment'),
  );
  return stepTo(deps, routed, 'done');
}

const trailOf = (state: TaskState) => local.store().listAuditEvents(state.deployment.deploymentId);

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
      // On the fixed clock the shift, the check and the rollback are all at one instant.
      timing: { detectedAfterSeconds: 0, revertedAfterSeconds: 0 },
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

  it('removes the segment and starts a stopped stable version again', async () => {
    const deps = taskDeps(local.store());
    const prepared = await preparedDeployment(
      deps,
      { service: unique('svc'), deploymentId: unique('dep') },
      { strategy: 'recreate', plan: { bakeSeconds: 60 } },
    );
    const stopped = await invoke(
      makeRecreateStepHandler(deps, silentLogger()),
      await stepTo(deps, prepared, 'stopStable'),
    );
    expect((await local.store().getRoutes(stopped.deployment.service))?.stopped).toEqual([BASELINE_VERSION]);

    await rollBack({ ...stopped, error: { Error: 'Stepwise.ProviderFailed' } });

    const routes = await local.store().getRoutes(stopped.deployment.service);
    expect(routes).toMatchObject({ weights: { [BASELINE_VERSION]: 100 } });
    expect(routes?.stopped ?? []).toEqual([]);
    expect(routes?.segment).toBeUndefined();
  });

  it('concludes an experiment that ran to its end: the stable version keeps all traffic, and it succeeded', async () => {
    const state = await experimentDone();
    const next = await rollBack(state);

    const cause = `analysis complete after 1 step(s): ${BASELINE_VERSION} keeps all traffic`;
    expect(next.outcome).toEqual({ status: 'SUCCEEDED', cause });
    expect(next.progress.weights).toEqual({ [BASELINE_VERSION]: 100 });
    const routes = await local.store().getRoutes(state.deployment.service);
    expect(routes?.segment).toBeUndefined();
    const trail = await trailOf(state);
    expect(trail.find((e) => e.key === 'rolled-back')).toMatchObject({
      type: 'ExperimentConcluded',
      rollback: false,
      detail: { reason: cause, fromStep: 1 },
    });
  });

  it('rolls back, not concludes, when a task failed after the plan ran to its end', async () => {
    const state = await stepTo(taskDeps(local.store()), await shifted(3), 'done');
    const next = await rollBack({ ...state, error: { Error: 'Stepwise.WeightsMismatch' } });

    expect(next.outcome).toMatchObject({ status: 'ROLLED_BACK', error: 'Stepwise.RolledBack' });
    const trail = await trailOf(state);
    expect(trail.filter((e) => e.key === 'rolled-back').map((e) => e.type)).toEqual(['RolledBack']);
  });
});

describe('rollbackReason', () => {
  it('says who aborted the deployment', async () => {
    const state = await shifted(1);
    const aborted = {
      ...state,
      progress: { ...state.progress, step: { kind: 'abort' as const, by: 'bob@ops' } },
    };
    expect(rollbackReason(aborted)).toBe('aborted by bob@ops');
  });

  it('says who denied an approval, and why', async () => {
    const state = await shifted(0);
    expect(
      rollbackReason({ ...state, approval: { approved: false, by: 'alice', reason: 'not today' } }),
    ).toBe('approval denied by alice: not today');
    expect(rollbackReason({ ...state, approval: { approved: false } })).toBe('approval denied');
  });

  it('says an approval timed out, and after how long', async () => {
    const deps = taskDeps(local.store());
    const prepared = await preparedDeployment(deps, {
      service: unique('svc'),
      deploymentId: unique('dep'),
      gate: { timeoutSeconds: 900, onTimeout: 'rollback' },
    });
    const waiting = await stepTo(deps, prepared, 'approval');
    expect(rollbackReason({ ...waiting, error: { Error: 'States.Timeout' } })).toBe(
      'approval timed out after 900s',
    );
  });

  it('says a hook failed, after how many attempts and with what', async () => {
    const state = await shifted(1);
    const hook = { passed: false, attempt: 3, retriesLeft: 0, detail: 'smoke: GET /health answered 503' };
    expect(rollbackReason({ ...state, hook })).toBe(
      'hook failed after 3 attempts: smoke: GET /health answered 503',
    );
    expect(rollbackReason({ ...state, hook: { ...hook, attempt: 1 } })).toBe(
      'hook failed after 1 attempt: smoke: GET /health answered 503',
    );
  });

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

  it('waits while ECS replaces the candidate, recording nothing, then rolls back and says why', async () => {
    const state = unhealthy(await shifted(2));
    const base = taskDeps(local.store());
    const slow = new SlowToSettle(base, 'rollback', 3);
    let now = T0;
    const deps: TaskDeps = { ...base, clock: { now: () => now }, providers: () => slow };
    const rollBack = (s: TaskState) => invoke(makeRollBackHandler(deps, silentLogger()), s);

    let current = state;
    const due: number[] = [];
    for (let poll = 1; poll <= 3; poll++) {
      current = await rollBack(current);
      expect(current.progress.rollingBack).toMatchObject({ since: T0.toISOString(), polls: poll });
      expect(current.outcome).toBeUndefined();
      now = new Date(current.progress.checkAt ?? '');
      due.push((now.getTime() - T0.getTime()) / 1000);
    }
    expect(due).toEqual([15, 45, 105]);
    expect((await trailOf(state)).filter((e) => e.type === 'RolledBack')).toEqual([]);

    const done = await rollBack(current);
    expect(done.progress.rollingBack).toBeUndefined();
    expect(done.progress.weights).toEqual({ [BASELINE_VERSION]: 100 });
    expect(done.outcome).toMatchObject({
      status: 'ROLLED_BACK',
      cause: 'step 2 unhealthy: alarm errors is in ALARM',
    });
    expect((await trailOf(state)).filter((e) => e.type === 'RolledBack')).toHaveLength(1);
  });

  it('fails once rolloutTimeoutSeconds has passed, naming it, so Rollback failed hands it to the reconciler', async () => {
    const shiftedOnce = await shifted(1);
    const state = {
      ...unhealthy(shiftedOnce),
      deployment: { ...shiftedOnce.deployment, providerConfig: { rolloutTimeoutSeconds: 30 } },
    };
    const base = taskDeps(local.store());
    let now = T0;
    const deps: TaskDeps = {
      ...base,
      clock: { now: () => now },
      providers: () => new SlowToSettle(base, 'rollback', 99),
    };
    const rollBack = (s: TaskState) => invoke(makeRollBackHandler(deps, silentLogger()), s);
    const waiting = await rollBack(state);
    now = new Date(T0.getTime() + 30_000);
    await expect(rollBack(waiting)).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
      message: expect.stringContaining(
        `traffic did not return to ${BASELINE_VERSION} within 30s (providerConfig.rolloutTimeoutSeconds): ECS is replacing tasks`,
      ),
    });
  });

  it("records an alarm's verdict when the alarm ended the bake, once, with the alarm, when and why", async () => {
    const state: TaskState = {
      ...(await shifted(2)),
      error: {
        Error: 'Stepwise.AlarmFired',
        Cause: 'alarm errors went into ALARM at 2026-03-01T10:01:00.000Z: Threshold Crossed',
      },
    };
    const rollBack = (s: TaskState) =>
      invoke(makeRollBackHandler(taskDeps(local.store()), silentLogger()), s);
    const done = await rollBack(state);
    await rollBack(state);

    expect(done.outcome).toMatchObject({
      status: 'ROLLED_BACK',
      cause:
        'step 2 unhealthy: alarm errors went into ALARM at 2026-03-01T10:01:00.000Z: Threshold Crossed (the bake ended there)',
    });
    const checks = (await trailOf(state)).filter((e) => e.type === 'HealthChecked');
    expect(checks).toHaveLength(1);
    expect(checks[0]?.detail).toEqual({
      step: 2,
      healthy: false,
      endedBake: true,
      alarms: [{ name: 'errors', state: 'ALARM', firedDuringWindow: true }],
      reasons: ['alarm errors went into ALARM at 2026-03-01T10:01:00.000Z: Threshold Crossed'],
    });
  });

  it('times a health rollback: from the traffic move to the verdict (the alarm, or the check), and on to traffic back', async () => {
    const base = await shifted(1);
    const moved = { ...base, progress: { ...base.progress, stepStartedAt: '2026-03-01T10:00:00.000Z' } };
    const byAlarm: TaskState = {
      ...moved,
      error: {
        Error: 'Stepwise.AlarmFired',
        Cause: 'alarm errors went into ALARM at 2026-03-01T10:01:10.000Z: x',
      },
    };
    expect(rollbackTiming(byAlarm, new Date('2026-03-01T10:01:12.000Z'))).toEqual({
      timing: { detectedAfterSeconds: 70, revertedAfterSeconds: 2 },
    });
    const byCheck = unhealthy(moved);
    const checkedAt = new Date(new Date(byCheck.check?.checkedAt ?? '').getTime() + 300_000).toISOString();
    const atBakeEnd = {
      ...byCheck,
      check: { ...(byCheck.check as NonNullable<TaskState['check']>), checkedAt },
    };
    expect(rollbackTiming(atBakeEnd, new Date(new Date(checkedAt).getTime() + 1_000))).toEqual({
      timing: { detectedAfterSeconds: 300, revertedAfterSeconds: 1 },
    });
    // A rollback no health verdict caused (a failed task, an abort) has no such figures.
    expect(rollbackTiming({ ...moved, error: { Error: 'Stepwise.ProviderFailed' } }, new Date())).toEqual({});
  });
});
