import { describe, expect, it } from 'vitest';
import type { TaskDeps } from '../../../lambdas/handlers/deps.ts';
import { makePrepareCandidateHandler } from '../../../lambdas/handlers/prepare-candidate.ts';
import { BASELINE_VERSION, makeStartDeploymentHandler } from '../../../lambdas/handlers/start-deployment.ts';
import {
  deploymentRequest,
  invoke,
  preparedDeployment,
  serviceConfig,
  silentLogger,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

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

describe('prepare-candidate, with a provider that takes time', () => {
  /** A simulated provider whose candidate is ready only from the `readyOnCall`-th prepare on. */
  function slowDeps(readyOnCall: number, clock = { now: () => T0 }) {
    const base = taskDeps(local.store(), clock);
    let calls = 0;
    const providers: TaskDeps['providers'] = (kind, config) => {
      const inner = base.providers(kind, config);
      return {
        ...inner,
        getWeights: (t) => inner.getWeights(t),
        prepare: async (t) => {
          calls += 1;
          await inner.prepare(t);
          return calls >= readyOnCall ? { ready: true } : { ready: false, detail: `2 of 4 tasks running` };
        },
      };
    };
    return { deps: { ...base, providers }, clock };
  }

  async function started(deps: TaskDeps) {
    const service = unique('svc');
    await deps.store.putServiceConfig(
      serviceConfig({ service, providerConfig: { readyTimeoutSeconds: 60 } }),
    );
    return invoke(
      makeStartDeploymentHandler(deps, silentLogger()),
      deploymentRequest({ service, deploymentId: unique('dep') }),
    );
  }

  it('answers not ready with a due time to ask again, then ready, and records the candidate once', async () => {
    const { deps } = slowDeps(2);
    const handler = makePrepareCandidateHandler(deps, silentLogger());
    const first = await invoke(handler, await started(deps));
    expect(first.progress.preparing).toMatchObject({ ready: false, detail: '2 of 4 tasks running' });
    expect(first.progress.checkAt).toBe(new Date(T0.getTime() + 15_000).toISOString());

    const second = await invoke(handler, first);
    expect(second.progress.preparing?.ready).toBe(true);
    expect(second.progress.checkAt).toBeUndefined();
    const trail = await local.store().listAuditEvents(first.deployment.deploymentId);
    expect(trail.filter((e) => e.type === 'CandidatePrepared')).toHaveLength(1);
  });

  it("gives up with Stepwise.CandidateNotReady after the provider config's ready timeout", async () => {
    let now = T0;
    const { deps } = slowDeps(Number.POSITIVE_INFINITY, { now: () => now });
    const handler = makePrepareCandidateHandler(deps, silentLogger());
    const first = await invoke(handler, await started(deps));
    now = new Date(T0.getTime() + 61_000);
    await expect(invoke(handler, first)).rejects.toMatchObject({
      name: 'Stepwise.CandidateNotReady',
      message: expect.stringContaining('was not ready after 61s: 2 of 4 tasks running'),
    });
  });
});
