import { describe, expect, it } from 'vitest';
import { sameWeights } from '../../../lambdas/domain/plan.ts';
import type { TaskDeps } from '../../../lambdas/handlers/deps.ts';
import { makePromoteHandler } from '../../../lambdas/handlers/promote.ts';
import { makeRecreateStepHandler } from '../../../lambdas/handlers/recreate-step.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import {
  canaryPlan,
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

const promote = (state: unknown, deps: TaskDeps = taskDeps(local.store())) =>
  invoke(makePromoteHandler(deps, silentLogger()), state);

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

  it('waits while ECS drains the old version, recording nothing, then promotes', async () => {
    const state = await atTheEnd();
    const base = taskDeps(local.store());
    const slow = new SlowToSettle(base, 'promote', 2);
    let now = T0;
    const deps: TaskDeps = { ...base, clock: { now: () => now }, providers: () => slow };

    let current = await promote(state, deps);
    expect(current.progress.promoting).toMatchObject({ since: T0.toISOString(), polls: 1 });
    expect(current.progress.checkAt).toBe(new Date(T0.getTime() + 15_000).toISOString());
    now = new Date(current.progress.checkAt ?? '');
    current = await promote(current, deps);
    expect(current.progress.promoting?.polls).toBe(2);
    const service = state.deployment.service;
    expect((await local.store().getServiceStatus(service))?.liveVersion).not.toBe('shop:2.0');
    const trail = () => local.store().listAuditEvents(state.deployment.deploymentId);
    expect((await trail()).filter((e) => e.type === 'Promoted')).toEqual([]);

    now = new Date(current.progress.checkAt ?? '');
    const promoted = await promote(current, deps);
    expect(promoted.progress.promoting).toBeUndefined();
    expect(promoted.progress.checkAt).toBeUndefined();
    expect((await local.store().getServiceStatus(service))?.liveVersion).toBe('shop:2.0');
    expect((await trail()).filter((e) => e.type === 'Promoted')).toHaveLength(1);
  });

  it("fails once the provider config's rolloutTimeoutSeconds has passed, naming it", async () => {
    const end = await atTheEnd();
    const state = {
      ...end,
      deployment: { ...end.deployment, providerConfig: { rolloutTimeoutSeconds: 60 } },
    };
    const base = taskDeps(local.store());
    let now = T0;
    const deps: TaskDeps = {
      ...base,
      clock: { now: () => now },
      providers: () => new SlowToSettle(base, 'promote', 99),
    };
    const waiting = await promote(state, deps);
    now = new Date(T0.getTime() + 60_000);
    await expect(promote(waiting, deps)).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
      message: expect.stringMatching(
        /^shop:2\.0 did not take all traffic within 60s \(providerConfig\.rolloutTimeoutSeconds\): ECS is replacing tasks/,
      ),
    });
  });
});
