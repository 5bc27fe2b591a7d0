import { describe, expect, it } from 'vitest';
import { makePromoteHandler } from '../../../lambdas/handlers/promote.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import {
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

async function atFinalStep() {
  const deps = taskDeps(local.store());
  const state = await preparedDeployment(
    deps,
    { service: unique('svc'), deploymentId: unique('dep') },
    { plan: plan(100) },
  );
  return invoke(makeShiftTrafficHandler(deps, silentLogger()), state);
}

const promote = (state: unknown) =>
  invoke(makePromoteHandler(taskDeps(local.store()), silentLogger()), state);

describe('promote', () => {
  it('gives the candidate all traffic and makes it the live version', async () => {
    const state = await atFinalStep();
    const next = await promote(state);

    expect(next.progress.weights[state.deployment.candidateVersion]).toBe(100);
    expect(await local.store().getServiceStatus(state.deployment.service)).toEqual({
      service: state.deployment.service,
      liveVersion: 'shop:2.0',
      liveDeploymentId: state.deployment.deploymentId,
      updatedAt: T0.toISOString(),
    });
  });

  it('records one Promoted event when retried', async () => {
    const state = await atFinalStep();
    await promote(state);
    await promote(state);
    const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
    expect(trail.filter((e) => e.type === 'Promoted')).toHaveLength(1);
  });
});
