import { describe, expect, it } from 'vitest';
import { SimulatedTrafficProvider } from '../../../lambdas/adapters/traffic/simulated/simulated-provider.ts';
import type { SegmentMatch } from '../../../lambdas/domain/steps.ts';
import type { TaskState } from '../../../lambdas/domain/types.ts';
import type { TaskDeps } from '../../../lambdas/handlers/deps.ts';
import { makeRouteSegmentHandler } from '../../../lambdas/handlers/route-segment.ts';
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
const BETA: SegmentMatch = { header: 'x-beta', value: 'yes' };

/** A routing layer that keeps a rule of its own. */
class OtherRuleProvider extends SimulatedTrafficProvider {
  override async getSegment(): Promise<SegmentMatch | undefined> {
    return { cookie: 'someone-else', value: '1' };
  }
}

/** An ab-segment deployment whose cursor is on its segment step. */
async function atSegment(match: SegmentMatch = BETA): Promise<TaskState> {
  const deps = taskDeps(local.store());
  const state = await preparedDeployment(
    deps,
    { service: unique('svc'), deploymentId: unique('dep') },
    { strategy: 'ab-segment', plan: { match, bakeSeconds: 300, after: { analysisSeconds: 600 } } },
  );
  return stepTo(deps, state, 'segment');
}

function route(state: TaskState, deps: TaskDeps = taskDeps(local.store())) {
  return invoke(makeRouteSegmentHandler(deps, silentLogger()), state);
}

const segmentEvents = async (state: TaskState) =>
  (await local.store().listAuditEvents(state.deployment.deploymentId)).filter(
    (e) => e.type === 'SegmentRouted',
  );

describe('route-segment', () => {
  it('routes the matching requests to the candidate and leaves the weights alone', async () => {
    const state = await atSegment();
    const next = await route(state);

    expect(await local.store().getRoutes(state.deployment.service)).toMatchObject({
      weights: { [BASELINE_VERSION]: 100, [CANDIDATE]: 0 },
      segment: { match: BETA, version: CANDIDATE },
    });
    expect(next.progress).toEqual({ ...state.progress, trafficStep: 1, stepStartedAt: T0.toISOString() });
  });

  it('routes a cookie rule as well as a header rule', async () => {
    const cookie: SegmentMatch = { cookie: 'beta', value: '1' };
    const state = await atSegment(cookie);
    await route(state);
    const provider = taskDeps(local.store()).providers('simulated');
    expect(await provider.segments?.getSegment({ ...state.deployment })).toEqual(cookie);
  });

  it('records the segment in the trail and the step on the summary', async () => {
    const state = await atSegment();
    await route(state);

    const [event] = await segmentEvents(state);
    expect(event).toMatchObject({ key: 'step-1#segment', detail: { step: 1, match: BETA } });
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      currentStep: 1,
    });
  });

  it('writes the routes once and records one SegmentRouted event when retried', async () => {
    const state = await atSegment();
    const first = await route(state);
    const routes = await local.store().getRoutes(state.deployment.service);

    const retried = await route(state, taskDeps(local.store(), fixedClock(new Date(T0.getTime() + 5_000))));

    expect(retried.progress.trafficStep).toBe(first.progress.trafficStep);
    expect(await local.store().getRoutes(state.deployment.service)).toEqual(routes);
    expect(await segmentEvents(state)).toHaveLength(1);
  });

  it('fails with WeightsMismatch and records nothing when the rule read back differs', async () => {
    const state = await atSegment();
    const deps = taskDeps(local.store());
    const other: TaskDeps = { ...deps, providers: () => new OtherRuleProvider(deps.store, deps.clock) };

    await expect(route(state, other)).rejects.toMatchObject({ name: 'Stepwise.WeightsMismatch' });
    expect(await segmentEvents(state)).toEqual([]);
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      currentStep: 0,
    });
  });

  it('refuses a current step that is not a segment, and routes nothing', async () => {
    const state = await stepTo(taskDeps(local.store()), await atSegment(), 'pause');
    await expect(route(state)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'progress.step must be a segment step, got pause',
    });
    expect((await local.store().getRoutes(state.deployment.service))?.segment).toBeUndefined();
  });
});
