import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../../lambdas/domain/types.ts';
import { makeRecreateStepHandler } from '../../../lambdas/handlers/recreate-step.ts';
import { BASELINE_VERSION } from '../../../lambdas/handlers/start-deployment.ts';
import {
  fixedClock,
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
const CANDIDATE = 'shop:2.0';
const STARTED = new Date(T0.getTime() + 35_000);

/** A recreate deployment (30 s startup) whose cursor is on its stop. */
async function atStop(): Promise<TaskState> {
  const deps = taskDeps(local.store());
  const state = await preparedDeployment(
    deps,
    { service: unique('svc'), deploymentId: unique('dep') },
    { strategy: 'recreate', plan: { startupSeconds: 30, bakeSeconds: 60 } },
  );
  return stepTo(deps, state, 'stopStable');
}

function recreate(state: TaskState, at: Date = T0) {
  return invoke(makeRecreateStepHandler(taskDeps(local.store(), fixedClock(at)), silentLogger()), state);
}

/** Stops the stable version at T0, then moves the cursor to the start. */
async function atStart(): Promise<TaskState> {
  const stopped = await recreate(await atStop());
  return stepTo(taskDeps(local.store()), stopped, 'startCandidate');
}

const eventsOf = async (state: TaskState, type: string) =>
  (await local.store().listAuditEvents(state.deployment.deploymentId)).filter((e) => e.type === type);

describe('recreate-step', () => {
  it('stops the stable version, leaving its routes, and notes when the downtime began', async () => {
    const state = await atStop();
    const next = await recreate(state);

    expect(await local.store().getRoutes(state.deployment.service)).toMatchObject({
      weights: { [BASELINE_VERSION]: 100, [CANDIDATE]: 0 },
      stopped: [BASELINE_VERSION],
    });
    expect(next.progress).toEqual({ ...state.progress, downSince: T0.toISOString() });
  });

  it('records the stop against the stable version', async () => {
    const state = await atStop();
    await recreate(state);
    const [event] = await eventsOf(state, 'VersionStopped');
    expect(event).toMatchObject({
      key: 'step-1#stopStable',
      version: BASELINE_VERSION,
      detail: { downSince: T0.toISOString() },
    });
  });

  it('stops once and records one VersionStopped event when retried', async () => {
    const state = await atStop();
    await recreate(state);
    const routes = await local.store().getRoutes(state.deployment.service);
    await recreate(state, new Date(T0.getTime() + 5_000));

    expect(await local.store().getRoutes(state.deployment.service)).toEqual(routes);
    expect(await eventsOf(state, 'VersionStopped')).toHaveLength(1);
  });

  it('keeps the time the stable version first stopped when the stop is retried', async () => {
    const state = await atStop();
    await recreate(state);
    const retried = await recreate(state, new Date(T0.getTime() + 5_000));

    // The trail says the downtime began at T0; the state must agree, or the downtime is under-reported.
    const [event] = await eventsOf(state, 'VersionStopped');
    expect(event?.detail?.downSince).toBe(T0.toISOString());
    expect(retried.progress.downSince).toBe(T0.toISOString());
  });

  it('starts the candidate with all traffic, counting the traffic step and the downtime', async () => {
    const state = await atStart();
    const next = await recreate(state, STARTED);

    expect((await local.store().getRoutes(state.deployment.service))?.weights).toEqual({ [CANDIDATE]: 100 });
    expect(next.progress).toEqual({
      ...state.progress,
      trafficStep: 1,
      weights: { [CANDIDATE]: 100 },
      downtimeSeconds: 35,
      stepStartedAt: STARTED.toISOString(),
    });
  });

  it('records the start and the downtime in the trail and the summary', async () => {
    const state = await atStart();
    await recreate(state, STARTED);

    const [event] = await eventsOf(state, 'VersionStarted');
    expect(event).toMatchObject({
      key: 'step-3#startCandidate',
      version: CANDIDATE,
      detail: { step: 1, weights: { [CANDIDATE]: 100 }, downtimeSeconds: 35 },
    });
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      currentStep: 1,
      weights: { [CANDIDATE]: 100 },
      downtimeSeconds: 35,
    });
  });

  it('starts once and records one VersionStarted event when retried', async () => {
    const state = await atStart();
    await recreate(state, STARTED);
    const routes = await local.store().getRoutes(state.deployment.service);
    const retried = await recreate(state, STARTED);

    expect(retried.progress.trafficStep).toBe(1);
    expect(await local.store().getRoutes(state.deployment.service)).toEqual(routes);
    expect(await eventsOf(state, 'VersionStarted')).toHaveLength(1);
  });

  it('refuses a current step that is neither a stop nor a start, and changes nothing', async () => {
    const state = await stepTo(taskDeps(local.store()), await atStop(), 'pause');
    await expect(recreate(state)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'progress.step must be stopStable or startCandidate, got pause',
    });
    expect((await local.store().getRoutes(state.deployment.service))?.stopped).toBeUndefined();
  });
});
