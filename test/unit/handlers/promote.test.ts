import { describe, expect, it } from 'vitest';
import { sameWeights } from '../../../lambdas/domain/plan.ts';
import { makePromoteHandler } from '../../../lambdas/handlers/promote.ts';
import { makeRecreateStepHandler } from '../../../lambdas/handlers/recreate-step.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import {
  canaryPlan,
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

/** A one-step canary that has shifted all traffic and run to the end of its plan. */
async function atTheEnd() {
  const deps = taskDeps(local.store());
  const state = await preparedDeployment(
    deps,
    { service: unique('svc'), deploymentId: unique('dep') },
    { plan: canaryPlan(100) },
  );
  const shifted = await invoke(
    makeShiftTrafficHandler(deps, silentLogger()),
    await stepTo(deps, state, 'setWeight'),
  );
  return stepTo(deps, shifted, 'done');
}

const promote = (state: unknown) =>
  invoke(makePromoteHandler(taskDeps(local.store()), silentLogger()), state);

describe('promote', () => {
  it('gives the candidate all traffic and makes it the live version', async () => {
    const state = await atTheEnd();
    const next = await promote(state);

    expect(sameWeights(next.progress.weights, { [state.deployment.candidateVersion]: 100 })).toBe(true);
    expect(await local.store().getServiceStatus(state.deployment.service)).toEqual({
      service: state.deployment.service,
      liveVersion: 'shop:2.0',
      liveDeploymentId: state.deployment.deploymentId,
      updatedAt: T0.toISOString(),
    });
    expect((await local.store().getDeployment(state.deployment.deploymentId))?.weights).toEqual(
      next.progress.weights,
    );
  });

  it('records one Promoted event when retried', async () => {
    const state = await atTheEnd();
    await promote(state);
    await promote(state);
    const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
    expect(trail.filter((e) => e.type === 'Promoted')).toHaveLength(1);
  });

  it('forgets the stable version that a recreate stopped', async () => {
    const deps = taskDeps(local.store());
    const recreate = makeRecreateStepHandler(deps, silentLogger());
    let state = await preparedDeployment(
      deps,
      { service: unique('svc'), deploymentId: unique('dep') },
      { strategy: 'recreate', plan: { bakeSeconds: 0 } },
    );
    state = await invoke(recreate, await stepTo(deps, state, 'stopStable'));
    state = await invoke(recreate, await stepTo(deps, state, 'startCandidate'));

    await promote(await stepTo(deps, state, 'done'));

    const routes = await local.store().getRoutes(state.deployment.service);
    expect(routes?.weights).toEqual({ 'shop:2.0': 100 });
    expect(routes?.stopped ?? []).toEqual([]);
  });
});
