import { describe, expect, it } from 'vitest';
import { makePrepareCandidateHandler } from '../../../lambdas/handlers/prepare-candidate.ts';
import { BASELINE_VERSION } from '../../../lambdas/handlers/start-deployment.ts';
import { invoke, preparedDeployment, silentLogger, taskDeps, unique, useLocalDynamoDb } from '../fixtures.ts';

const local = useLocalDynamoDb();

describe('prepare-candidate', () => {
  it('brings the candidate up beside the stable version with no traffic, once', async () => {
    const deps = taskDeps(local.store());
    const state = await preparedDeployment(deps, { service: unique('svc'), deploymentId: unique('dep') });
    const again = await invoke(makePrepareCandidateHandler(deps, silentLogger()), state);

    expect(again.progress.weights).toEqual({ [BASELINE_VERSION]: 100, 'shop:2.0': 0 });
    const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
    expect(trail.map((e) => e.type)).toEqual(['DeploymentStarted', 'CandidatePrepared']);
  });
});
