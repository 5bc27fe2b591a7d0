import { describe, expect, it } from 'vitest';
import { SimulatedTrafficProvider } from '../../../lambdas/adapters/traffic/simulated-provider.ts';
import type { TaskState, Weights } from '../../../lambdas/domain/types.ts';
import type { TaskDeps } from '../../../lambdas/handlers/deps.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import { BASELINE_VERSION } from '../../../lambdas/handlers/start-deployment.ts';
import {
  fixedClock,
  invoke,
  plan,
  preparedDeployment,
  silentLogger,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();

/** A load balancer that does not hold what it was told. */
class DriftingProvider extends SimulatedTrafficProvider {
  override async getWeights(): Promise<Weights> {
    return { 'someone-else': 100 };
  }
}
const CANDIDATE = 'shop:2.0';

function shift(state: TaskState, deps: TaskDeps = taskDeps(local.store())) {
  return invoke(makeShiftTrafficHandler(deps, silentLogger()), state);
}

async function prepared(stepWeights = [10, 50, 100]) {
  return preparedDeployment(
    taskDeps(local.store()),
    { service: unique('svc'), deploymentId: unique('dep') },
    { plan: plan(...stepWeights) },
  );
}

async function shiftedEvents(deploymentId: string) {
  return (await local.store().listAuditEvents(deploymentId)).filter((e) => e.type === 'TrafficShifted');
}

describe('shift-traffic', () => {
  it("moves the first step's share to the candidate and says when the bake is over", async () => {
    const state = await prepared();
    const next = await shift(state);

    expect(next.progress).toEqual({
      stepIndex: 0,
      stepCount: 3,
      weights: { [BASELINE_VERSION]: 90, [CANDIDATE]: 10 },
      isFinalStep: false,
      stepStartedAt: T0.toISOString(),
      checkAt: new Date(T0.getTime() + 300_000).toISOString(),
    });
    const provider = taskDeps(local.store()).providers('simulated');
    expect(await provider.getWeights({ ...state.deployment })).toEqual({
      [BASELINE_VERSION]: 90,
      [CANDIDATE]: 10,
    });
  });

  it('records the shift in the trail and the summary', async () => {
    const state = await prepared();
    await shift(state);

    const [event] = await shiftedEvents(state.deployment.deploymentId);
    expect(event).toMatchObject({
      key: 'step-1#shifted',
      detail: { step: 1, weight: 10, weights: { [BASELINE_VERSION]: 90, [CANDIDATE]: 10 }, bakeSeconds: 300 },
    });
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      currentStep: 1,
      weights: { [BASELINE_VERSION]: 90, [CANDIDATE]: 10 },
    });
  });

  it('lands on the same step and leaves one TrafficShifted event when run twice with the same input', async () => {
    const state = await prepared();
    const first = await shift(state);
    const routesAfterFirst = await local.store().getRoutes(state.deployment.service);

    const retried = await shift(state, taskDeps(local.store(), fixedClock(new Date(T0.getTime() + 5_000))));

    expect(retried.progress.stepIndex).toBe(first.progress.stepIndex);
    expect(retried.progress.weights).toEqual(first.progress.weights);
    expect(await shiftedEvents(state.deployment.deploymentId)).toHaveLength(1);
    expect(await local.store().getRoutes(state.deployment.service)).toEqual(routesAfterFirst);
  });

  it('walks the plan step by step from its own output', async () => {
    let state = await prepared();
    const weights: number[] = [];
    do {
      state = await shift(state);
      weights.push(state.progress.weights[CANDIDATE] ?? -1);
    } while (!state.progress.isFinalStep);

    expect(weights).toEqual([10, 50, 100]);
    expect(state.progress.weights).toEqual({ [BASELINE_VERSION]: 0, [CANDIDATE]: 100 });
    const events = await shiftedEvents(state.deployment.deploymentId);
    expect(events.map((e) => e.key)).toEqual(['step-1#shifted', 'step-2#shifted', 'step-3#shifted']);
  });

  it('refuses to shift past the last step', async () => {
    const state = await prepared([100]);
    const last = await shift(state);
    await expect(shift(last)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'plan has 1 steps, there is no step 2',
    });
  });

  it('fails with WeightsMismatch and records nothing when the weights read back differ', async () => {
    const state = await prepared();
    const deps = taskDeps(local.store());
    const drifting: TaskDeps = { ...deps, providers: () => new DriftingProvider(deps.store, deps.clock) };

    await expect(shift(state, drifting)).rejects.toMatchObject({ name: 'Stepwise.WeightsMismatch' });
    expect(await shiftedEvents(state.deployment.deploymentId)).toEqual([]);
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      currentStep: 0,
    });
  });

  it('refuses a state without a deployment, naming the field', async () => {
    const state = await prepared();
    const { deployment: _, ...noDeployment } = state;
    await expect(shift(noDeployment as TaskState)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'deployment is required',
    });
  });
});
