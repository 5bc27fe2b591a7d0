import { describe, expect, it } from 'vitest';
import { SimulatedTrafficProvider } from '../../../lambdas/adapters/traffic/simulated/simulated-provider.ts';
import type { TaskState, Weights } from '../../../lambdas/domain/types.ts';
import type { TaskDeps } from '../../../lambdas/handlers/deps.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import { BASELINE_VERSION } from '../../../lambdas/handlers/start-deployment.ts';
import {
  canaryPlan,
  fixedClock,
  invoke,
  nextStep,
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

async function prepared(
  config: Parameters<typeof preparedDeployment>[2] = { plan: canaryPlan(10, 50, 100) },
) {
  return preparedDeployment(
    taskDeps(local.store()),
    { service: unique('svc'), deploymentId: unique('dep') },
    config,
  );
}

/** A prepared canary deployment whose cursor is on its first setWeight step. */
async function atFirstWeight(config?: Parameters<typeof preparedDeployment>[2]) {
  return stepTo(taskDeps(local.store()), await prepared(config), 'setWeight');
}

async function shiftedEvents(deploymentId: string) {
  return (await local.store().listAuditEvents(deploymentId)).filter((e) => e.type === 'TrafficShifted');
}

describe('shift-traffic', () => {
  it("moves the step's share to the candidate, counts the traffic step and notes when traffic moved", async () => {
    const state = await atFirstWeight();
    const next = await shift(state);

    expect(next.progress).toMatchObject({
      trafficStep: 1,
      weights: { [BASELINE_VERSION]: 90, [CANDIDATE]: 10 },
      stepStartedAt: T0.toISOString(),
    });
    // The step is done, and it moved on to the next one itself, as Next step would (the step loop):
    // the bake after the shift, due 300 s later and watched.
    expect(next.ran).toEqual([state.progress.step]);
    expect(next.progress).toMatchObject({
      stepIndex: state.progress.stepIndex + 1,
      step: { kind: 'pause', seconds: 300 },
      checkAt: new Date(T0.getTime() + 300_000).toISOString(),
      bake: { seconds: 300 },
    });
    const provider = taskDeps(local.store()).providers('simulated');
    expect(await provider.getWeights({ ...state.deployment })).toEqual({
      [BASELINE_VERSION]: 90,
      [CANDIDATE]: 10,
    });
  });

  it('records the shift in the trail and the summary', async () => {
    const state = await atFirstWeight();
    await shift(state);

    const [event] = await shiftedEvents(state.deployment.deploymentId);
    expect(event).toMatchObject({
      key: 'step-1#shifted',
      detail: { step: 1, weight: 10, weights: { [BASELINE_VERSION]: 90, [CANDIDATE]: 10 } },
    });
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      currentStep: 1,
      weights: { [BASELINE_VERSION]: 90, [CANDIDATE]: 10 },
    });
  });

  it("records the step's label, as a rolling batch has", async () => {
    const state = await atFirstWeight({ strategy: 'rolling', plan: { instances: 4, batchSize: 1 } });
    await shift(state);
    const [event] = await shiftedEvents(state.deployment.deploymentId);
    expect(event?.detail).toMatchObject({ step: 1, label: 'batch 1/4', weight: 25 });
  });

  it('lands on the same step and leaves one TrafficShifted event when run twice with the same input', async () => {
    const state = await atFirstWeight();
    const first = await shift(state);
    const routesAfterFirst = await local.store().getRoutes(state.deployment.service);

    const retried = await shift(state, taskDeps(local.store(), fixedClock(new Date(T0.getTime() + 5_000))));

    expect(retried.progress.trafficStep).toBe(first.progress.trafficStep);
    expect(retried.progress.weights).toEqual(first.progress.weights);
    expect(await shiftedEvents(state.deployment.deploymentId)).toHaveLength(1);
    expect(await local.store().getRoutes(state.deployment.service)).toEqual(routesAfterFirst);
  });

  it('walks the plan with Next step, shifting at each setWeight, to all traffic on the candidate', async () => {
    const deps = taskDeps(local.store());
    let state = await nextStep(deps, await prepared());
    const weights: number[] = [];
    while (state.progress.step?.kind !== 'done') {
      if (state.progress.step?.kind === 'setWeight') {
        state = await shift(state);
        weights.push(state.progress.weights[CANDIDATE] ?? -1);
      }
      state = await nextStep(deps, state);
    }

    expect(weights).toEqual([10, 50, 100]);
    expect(state.progress).toMatchObject({
      trafficStep: 3,
      weights: { [BASELINE_VERSION]: 0, [CANDIDATE]: 100 },
    });
    const events = await shiftedEvents(state.deployment.deploymentId);
    expect(events.map((e) => [e.key, e.detail?.step])).toEqual([
      ['step-1#shifted', 1],
      ['step-4#shifted', 2],
      ['step-7#shifted', 3],
    ]);
  });

  it('refuses a current step that is not a setWeight, and moves nothing', async () => {
    const deps = taskDeps(local.store());
    const atPause = await stepTo(deps, await prepared(), 'pause');
    await expect(shift(atPause)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'progress.step must be a setWeight step, got pause',
    });
    expect(await local.store().getRoutes(atPause.deployment.service)).toMatchObject({
      weights: { [BASELINE_VERSION]: 100, [CANDIDATE]: 0 },
    });
  });

  it('refuses a state whose cursor is on no step yet', async () => {
    await expect(shift(await prepared())).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'progress.step must be a setWeight step, got none',
    });
  });

  it('asks the state machine to wait while the provider is on its way, 15 s, 30 s, then 60 s apart, then shifts', async () => {
    const state = await atFirstWeight();
    const base = taskDeps(local.store());
    const slow = new SlowToSettle(base, 'setWeights', 3);
    let now = T0;
    const deps: TaskDeps = { ...base, clock: { now: () => now }, providers: () => slow };

    const checks: string[] = [];
    let current = state;
    for (let poll = 0; poll < 3; poll++) {
      current = await shift(current, deps);
      expect(current.progress.settling).toMatchObject({ since: T0.toISOString(), polls: poll + 1 });
      checks.push(current.progress.checkAt ?? '');
      now = new Date(current.progress.checkAt ?? '');
    }
    expect(checks.map((c) => (new Date(c).getTime() - T0.getTime()) / 1000)).toEqual([15, 45, 105]);
    expect(await shiftedEvents(state.deployment.deploymentId)).toEqual([]);

    const shifted = await shift(current, deps);
    expect(shifted.progress.settling).toBeUndefined();
    // Settled, it moved on: the bake is due from the shift on.
    expect(shifted.progress.step?.kind).toBe('pause');
    expect(shifted.progress).toMatchObject({ trafficStep: 1, weights: { [CANDIDATE]: 10 } });
    expect(await shiftedEvents(state.deployment.deploymentId)).toHaveLength(1);
  });

  it("fails the step once the provider config's rolloutTimeoutSeconds has passed, naming it", async () => {
    const state = await atFirstWeight();
    const base = taskDeps(local.store());
    const slow = new SlowToSettle(base, 'setWeights', 1_000);
    let now = T0;
    const deps: TaskDeps = { ...base, clock: { now: () => now }, providers: () => slow };
    const withTimeout = {
      ...state,
      deployment: { ...state.deployment, providerConfig: { rolloutTimeoutSeconds: 100 } },
    };

    let current = await shift(withTimeout, deps);
    now = new Date(T0.getTime() + 99_000);
    current = await shift(current, deps);
    expect(current.progress.settling?.polls).toBe(2);
    now = new Date(T0.getTime() + 100_000);
    await expect(shift(current, deps)).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
      message: expect.stringMatching(
        /^traffic did not reach the step's weight within 100s \(providerConfig\.rolloutTimeoutSeconds\): ECS is replacing tasks/,
      ),
    });
  });

  it('fails with WeightsMismatch and records nothing when the weights read back differ', async () => {
    const state = await atFirstWeight();
    const deps = taskDeps(local.store());
    const drifting: TaskDeps = { ...deps, providers: () => new DriftingProvider(deps.store, deps.clock) };

    await expect(shift(state, drifting)).rejects.toMatchObject({ name: 'Stepwise.WeightsMismatch' });
    expect(await shiftedEvents(state.deployment.deploymentId)).toEqual([]);
    expect(await local.store().getDeployment(state.deployment.deploymentId)).toMatchObject({
      currentStep: 0,
    });
  });

  it('refuses a state without a deployment, naming the field', async () => {
    const state = await atFirstWeight();
    const { deployment: _, ...noDeployment } = state;
    await expect(shift(noDeployment as TaskState)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'deployment is required',
    });
  });
});
