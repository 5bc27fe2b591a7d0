import { describe, expect, it } from 'vitest';
import { TransientError } from '../../../lambdas/domain/errors.ts';
import type { TaskState } from '../../../lambdas/domain/types.ts';
import { makeRunHookHandler } from '../../../lambdas/handlers/run-hook.ts';
import type { HookRunner } from '../../../lambdas/ports/hooks.ts';
import {
  fixedClock,
  invoke,
  preparedDeployment,
  ScriptedHookRunner,
  silentLogger,
  stepTo,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();
const LATER = new Date(T0.getTime() + 42_000);

/** A blue-green deployment whose cursor is on its pre-traffic smoke test (2 retries, 10 s apart). */
async function atHook(): Promise<TaskState> {
  const deps = taskDeps(local.store());
  const state = await preparedDeployment(
    deps,
    { service: unique('svc'), deploymentId: unique('dep') },
    {
      strategy: 'blue-green',
      allowedHosts: ['shop.internal'],
      plan: {
        bakeSeconds: 60,
        preTrafficHooks: [
          { name: 'smoke', http: { url: 'http://shop.internal/health' }, retryIntervalSeconds: 10 },
        ],
      },
    },
  );
  return stepTo(deps, state, 'hook');
}

function runHook(state: TaskState, hooks: HookRunner) {
  return invoke(
    makeRunHookHandler(taskDeps(local.store(), fixedClock(LATER), undefined, hooks), silentLogger()),
    state,
  );
}

const hookEvents = async (state: TaskState) =>
  (await local.store().listAuditEvents(state.deployment.deploymentId)).filter((e) => e.type === 'HookRan');

describe('run-hook', () => {
  it('passes the step when the hook passes, with nothing left to retry and nothing to wait for', async () => {
    const state = await atHook();
    const next = await runHook(state, new ScriptedHookRunner(true));

    expect(next.hook).toEqual({ passed: true, attempt: 1, retriesLeft: 0, detail: 'smoke: answered 200' });
    expect(next.progress).toEqual({ ...state.progress, hookAttempt: 1 });
    expect(next.progress.checkAt).toBeUndefined();
  });

  it('tells the hook which deployment, version, phase and attempt it judges', async () => {
    const state = await atHook();
    const runner = new ScriptedHookRunner(true);
    await runHook(state, runner);

    expect(runner.runs).toHaveLength(1);
    expect(runner.runs[0]?.hook).toMatchObject({
      name: 'smoke',
      type: 'http',
      url: 'http://shop.internal/health',
    });
    expect(runner.runs[0]?.context).toEqual({
      deploymentId: state.deployment.deploymentId,
      service: state.deployment.service,
      candidateVersion: 'shop:2.0',
      phase: 'pre-traffic',
      attempt: 1,
    });
  });

  it('records each attempt in the trail', async () => {
    const state = await atHook();
    await runHook(state, new ScriptedHookRunner(true));

    const [event] = await hookEvents(state);
    expect(event).toMatchObject({
      key: 'step-1#hook#1',
      at: LATER.toISOString(),
      detail: { hook: 'smoke', phase: 'pre-traffic', attempt: 1, passed: true, detail: 'answered 200' },
    });
  });

  it('says when to retry a failed attempt, and how many retries are left', async () => {
    const state = await atHook();
    const next = await runHook(state, new ScriptedHookRunner(false));

    expect(next.hook).toEqual({
      passed: false,
      attempt: 1,
      retriesLeft: 2,
      detail: 'smoke: answered 503, expected 200',
    });
    expect(next.progress.checkAt).toBe(new Date(LATER.getTime() + 10_000).toISOString());
  });

  it('runs out of retries after the first attempt and all its retries fail', async () => {
    let state = await atHook();
    const runner = new ScriptedHookRunner(false);
    const seen: [number, number][] = [];
    do {
      state = await runHook(state, runner);
      seen.push([state.hook?.attempt ?? 0, state.hook?.retriesLeft ?? -1]);
    } while ((state.hook?.retriesLeft ?? 0) > 0);

    expect(seen).toEqual([
      [1, 2],
      [2, 1],
      [3, 0],
    ]);
    expect(state.progress.checkAt).toBeUndefined();
    expect((await hookEvents(state)).map((e) => e.key)).toEqual([
      'step-1#hook#1',
      'step-1#hook#2',
      'step-1#hook#3',
    ]);
  });

  it('passes on a retry after a failed attempt', async () => {
    const state = await atHook();
    const runner = new ScriptedHookRunner(false, true);
    const retried = await runHook(await runHook(state, runner), runner);
    expect(retried.hook).toMatchObject({ passed: true, attempt: 2, retriesLeft: 0 });
    expect(runner.runs.map((r) => r.context.attempt)).toEqual([1, 2]);
  });

  it('records one HookRan event for an attempt the state machine retried', async () => {
    const state = await atHook();
    const runner = new ScriptedHookRunner(true);
    await runHook(state, runner);
    await runHook(state, runner);
    expect(await hookEvents(state)).toHaveLength(1);
  });

  it('fails as the runner failed, and records nothing, when the runner cannot run the hook', async () => {
    const state = await atHook();
    const throttled: HookRunner = {
      run: () => Promise.reject(new TransientError('invoking hook smoke: Throttling')),
    };
    await expect(runHook(state, throttled)).rejects.toMatchObject({ name: 'Stepwise.Transient' });
    expect(await hookEvents(state)).toEqual([]);
  });

  it('refuses a current step that is not a hook, and runs nothing', async () => {
    const state = await stepTo(taskDeps(local.store()), await atHook(), 'setWeight');
    const runner = new ScriptedHookRunner(true);
    await expect(runHook(state, runner)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'progress.step must be a hook step, got setWeight',
    });
    expect(runner.runs).toEqual([]);
  });
});
