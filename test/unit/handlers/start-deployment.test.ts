import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { makeProviderFactory } from '../../../lambdas/adapters/traffic/providers.ts';
import { expandPlan } from '../../../lambdas/domain/strategies/index.ts';
import { makeRecordEventHandler } from '../../../lambdas/handlers/record-event.ts';
import { BASELINE_VERSION, makeStartDeploymentHandler } from '../../../lambdas/handlers/start-deployment.ts';
import type { AlarmSource } from '../../../lambdas/ports/alarms.ts';
import type { Clock } from '../../../lambdas/ports/clock.ts';
import { baseConfig } from '../../fakes/ecs-alb-fake.ts';
import { scanTable } from '../../support/invariants.ts';
import {
  canaryPlan,
  deploymentRequest,
  fixedClock,
  invoke,
  noAlarms,
  serviceConfig,
  silentLogger,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();

function start(event: unknown, clock: Clock = fixedClock()) {
  return invoke(makeStartDeploymentHandler(taskDeps(local.store(), clock), silentLogger()), event);
}

const ECS_ROLLING = { cluster: 'prod', service: 'web' };
const ECS_ALB = { ...baseConfig };

/** Start deployment with the real providers' factory, whose AWS clients it never calls (it only checks their config). */
function startWithAws(event: unknown) {
  const clock = fixedClock();
  const deps = {
    ...taskDeps(local.store(), clock),
    providers: makeProviderFactory({
      store: local.store(),
      clock,
      aws: () => ({
        ecs: new ECSClient({ region: 'eu-west-1' }),
        elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
        lambda: new LambdaClient({ region: 'eu-west-1' }),
        appconfig: new AppConfigClient({ region: 'eu-west-1' }),
      }),
    }),
  };
  return invoke(makeStartDeploymentHandler(deps, silentLogger()), event);
}

/** Every item of the table, to show that a refused start recorded nothing. */
async function tableItems(): Promise<string[]> {
  return (await scanTable(local.db().client, local.db().tableName)).map((i) => JSON.stringify(i)).sort();
}

/** A registered service with a fresh name and a request to deploy it. */
async function registered(config: Parameters<typeof serviceConfig>[0] = {}) {
  const service = unique('svc');
  await local.store().putServiceConfig(serviceConfig({ ...config, service }));
  return { service, request: deploymentRequest({ service, deploymentId: unique('dep') }) };
}

describe('start-deployment', () => {
  it("snapshots the service's config into the state, with all traffic on the stable version", async () => {
    const { service, request } = await registered({ alarms: ['a', 'b'], insufficientData: 'unhealthy' });
    const state = await start(request);
    expect(state.deployment).toEqual({
      ...request,
      strategy: 'canary',
      environment: 'prod',
      provider: 'simulated',
      plan: { steps: expandPlan('canary', canaryPlan(10, 50, 100)) },
      alarms: ['a', 'b'],
      insufficientData: 'unhealthy',
      stableVersion: BASELINE_VERSION,
      candidateVersion: 'shop:2.0',
      startedAt: T0.toISOString(),
      promotes: true,
    });
    expect(state.progress).toEqual({
      stepIndex: -1,
      stepCount: 9,
      trafficStep: 0,
      weights: { [BASELINE_VERSION]: 100 },
    });
    expect(state.deployment.service).toBe(service);
  });

  it("makes a bake shorter than the alarms' evaluation window that long, and records that it did", async () => {
    const { request } = await registered({
      alarms: ['errors', 'latency'],
      plan: {
        steps: [
          { weight: 10, bakeSeconds: 0 },
          { weight: 100, bakeSeconds: 600 },
        ],
      },
    });
    // errors: 60 s × 3 datapoints; latency: 120 s × 1.
    const windows: Record<string, number> = { errors: 180, latency: 120 };
    const alarms: AlarmSource = {
      ...noAlarms,
      describe: async (names) =>
        names.map((name) => ({
          name,
          exists: true,
          actionsEnabled: true,
          state: 'OK',
          windowSeconds: windows[name],
        })),
    };
    const deps = { ...taskDeps(local.store(), fixedClock()), alarms };
    const state = await invoke(makeStartDeploymentHandler(deps, silentLogger()), request);

    const pauses = state.deployment.plan.steps.flatMap((s) => (s.kind === 'pause' ? [s.seconds] : []));
    expect(pauses).toEqual([180, 600]);
    expect(state.deployment.bakesExtendedTo).toBe(180);
    const [started] = await local.store().listAuditEvents(request.deploymentId);
    expect(started?.detail).toMatchObject({
      preflight: { windowSeconds: 180 },
      bakesExtended: { toSeconds: 180, checks: [{ check: 2, from: 0, to: 180 }] },
    });
  });

  it("leaves the plan as written when its bakes are as long as the alarms' window", async () => {
    const { request } = await registered({ alarms: ['errors'] });
    const alarms: AlarmSource = {
      ...noAlarms,
      describe: async (names) =>
        names.map((name) => ({ name, exists: true, actionsEnabled: true, state: 'OK', windowSeconds: 300 })),
    };
    const state = await invoke(
      makeStartDeploymentHandler({ ...taskDeps(local.store(), fixedClock()), alarms }, silentLogger()),
      request,
    );
    expect(state.deployment.plan.steps).toEqual(expandPlan('canary', canaryPlan(10, 50, 100)));
    expect(state.deployment.bakesExtendedTo).toBeUndefined();
  });

  it('takes the lock, creates the summary and opens the audit trail', async () => {
    const { service, request } = await registered();
    await start(request);

    await expect(local.store().acquireLock(service, 'someone-else', T0, 60)).rejects.toThrow(
      `locked by deployment ${request.deploymentId}`,
    );
    expect(await local.store().getDeployment(request.deploymentId)).toMatchObject({
      status: 'IN_PROGRESS',
      strategy: 'canary',
      currentStep: 0,
      stepCount: 3,
      stableVersion: BASELINE_VERSION,
      candidateVersion: 'shop:2.0',
      trigger: request.trigger,
    });
    const trail = await local.store().listAuditEvents(request.deploymentId);
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({
      type: 'DeploymentStarted',
      seq: 1,
      status: 'IN_PROGRESS',
      detail: {
        strategy: 'canary',
        plan: canaryPlan(10, 50, 100),
        steps: 9,
        stableVersion: BASELINE_VERSION,
      },
    });
  });

  it('holds the lock for its worst case: bakes, gate, readiness and the provider waits, and an hour more', async () => {
    const { service, request } = await registered({
      provider: 'ecs-rolling',
      providerConfig: { ...ECS_ROLLING, readyTimeoutSeconds: 3_600, rolloutTimeoutSeconds: 1_200 },
    });
    await startWithAws({ ...request, gate: { timeoutSeconds: 600, onTimeout: 'rollback' } });
    // Three bakes and the gate; the hour the candidate may take to get ready; each of the 3 shifts,
    // the promote and a rollback waiting its 1,200 s for ECS (asking 15 s, 30 s, then 60 s apart:
    // 1,245 s); an hour.
    const waits = 3 * 300 + 600 + 3_600 + 5 * 1_245 + 3_600;
    const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

    await expect(local.store().acquireLock(service, 'next', at(waits - 1), 60)).rejects.toThrow('locked');
    await expect(local.store().acquireLock(service, 'next', at(waits + 1), 60)).resolves.toBeUndefined();
  });

  it('refuses a 200-step canary on ecs-rolling, naming plan.steps, and records nothing', async () => {
    const { service, request } = await registered({ provider: 'ecs-rolling', providerConfig: ECS_ROLLING });
    const before = await tableItems();
    const steps = Array.from({ length: 200 }, (_, i) => ({
      weight: Math.ceil(((i + 1) * 100) / 200),
      bakeSeconds: 60,
    }));

    await expect(startWithAws({ ...request, strategy: 'canary', plan: { steps } })).rejects.toThrow(
      /^plan\.steps: this canary plan \(600 steps once expanded\) on ecs-rolling would need ≈4\d,\d{3} execution history events in the worst case, over 20,000 \(80 % of Step Functions' 25,000-event quota per execution\)/,
    );
    expect(await tableItems()).toEqual(before);
    await expect(local.store().acquireLock(service, 'next', T0, 60)).resolves.toBeUndefined();
  });

  it('refuses a service whose candidate may take 86,400 s to get ready, naming readyTimeoutSeconds, and records nothing', async () => {
    const { request } = await registered({
      provider: 'ecs-alb',
      providerConfig: { ...ECS_ALB, readyTimeoutSeconds: 86_400 },
    });
    const before = await tableItems();

    await expect(startWithAws(request)).rejects.toThrow(
      /^providerConfig\.readyTimeoutSeconds: 86400s of readiness checks \(one every 15s\) would need ≈52,\d{3} execution history events/,
    );
    expect(await tableItems()).toEqual(before);
  });

  it('holds the lock through every attempt and retry wait its hooks may take', async () => {
    const hook = {
      name: 'smoke',
      http: { url: 'http://shop/health' },
      retries: 10,
      retryIntervalSeconds: 3600,
    };
    const { service, request } = await registered({
      strategy: 'blue-green',
      allowedHosts: ['shop'],
      plan: { bakeSeconds: 0, preTrafficHooks: [hook] },
    });
    await start(request);
    // 11 attempts of up to 10 s and 10 waits of an hour before the switch: the execution can still be here.
    const hookSeconds = 11 * 10 + 10 * 3600;
    const stillRunning = new Date(T0.getTime() + (hookSeconds + 60) * 1000);

    await expect(local.store().acquireLock(service, 'next', stillRunning, 60)).rejects.toThrow('locked');
  });

  it("uses the service's live version as the stable version", async () => {
    const { service, request } = await registered();
    await local.store().setLiveVersion({ service, liveVersion: 'shop:1.0', updatedAt: T0.toISOString() });
    const state = await start(request);
    expect(state.deployment.stableVersion).toBe('shop:1.0');
    expect(state.progress.weights).toEqual({ 'shop:1.0': 100 });
  });

  it('uses the plan of the request over the plan of the service', async () => {
    const { request } = await registered();
    const state = await start({ ...request, strategy: 'canary', plan: canaryPlan(20, 100) });
    expect(state.deployment.plan).toEqual({ steps: expandPlan('canary', canaryPlan(20, 100)) });
    expect(state.progress.stepCount).toBe(6);
  });

  it("uses the service's plan when the request names the service's own strategy", async () => {
    const { request } = await registered();
    const state = await start({ ...request, strategy: 'canary' });
    expect(state.deployment.plan).toEqual({ steps: expandPlan('canary', canaryPlan(10, 50, 100)) });
  });

  it('deploys with another strategy when the request gives it with its plan', async () => {
    const { request } = await registered();
    const state = await start({ ...request, strategy: 'all-at-once', plan: { bakeSeconds: 60 } });
    expect(state.deployment.strategy).toBe('all-at-once');
    expect(state.deployment.plan.steps.map((s) => s.kind)).toEqual(['setWeight', 'pause', 'check']);
    expect(await local.store().getDeployment(request.deploymentId)).toMatchObject({
      strategy: 'all-at-once',
      stepCount: 1,
    });
  });

  it('expands the strategy configured for the service', async () => {
    const { request } = await registered({
      strategy: 'recreate',
      plan: { startupSeconds: 10, bakeSeconds: 60 },
    });
    const state = await start(request);
    expect(state.deployment.strategy).toBe('recreate');
    expect(state.deployment.plan.steps.map((s) => s.kind)).toEqual([
      'stopStable',
      'pause',
      'startCandidate',
      'pause',
      'check',
    ]);
  });

  it('puts an approval gate before the first traffic step when the request asks for one', async () => {
    const { request } = await registered();
    const state = await start({ ...request, gate: { timeoutSeconds: 600, onTimeout: 'continue' } });
    expect(state.deployment.plan.steps.slice(0, 2)).toEqual([
      { kind: 'approval', timeoutSeconds: 600, onTimeout: 'continue' },
      { kind: 'setWeight', weight: 10 },
    ]);
  });

  it('marks a plan that never gives the candidate all traffic as not promoting it', async () => {
    const { request } = await registered({
      strategy: 'ab-segment',
      plan: { match: { header: 'x-beta', value: 'yes' }, bakeSeconds: 60, after: { analysisSeconds: 600 } },
    });
    const state = await start(request);
    expect(state.deployment.promotes).toBe(false);
    expect(await local.store().getDeployment(request.deploymentId)).toMatchObject({ stepCount: 1 });
  });

  it('refuses a plan without the strategy it is written for, and writes nothing', async () => {
    const { service, request } = await registered();
    await expect(start({ ...request, plan: canaryPlan(20, 100) })).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'deployment.plan needs deployment.strategy: a plan is written for one strategy',
    });
    expect(await local.store().getDeployment(request.deploymentId)).toBeUndefined();
    await expect(local.store().acquireLock(service, 'other', T0, 60)).resolves.toBeUndefined();
  });

  it("refuses another strategy than the service's without its plan", async () => {
    const { request } = await registered();
    await expect(start({ ...request, strategy: 'linear' })).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: "deployment.strategy linear differs from the service's (canary): give its plan too",
    });
  });

  it('refuses a service that is not registered, and writes nothing', async () => {
    const request = deploymentRequest({ service: unique('svc'), deploymentId: unique('dep') });
    await expect(start(request)).rejects.toMatchObject({
      name: 'Stepwise.ServiceNotFound',
      message: `service ${request.service} is not registered`,
    });
    expect(await local.store().getDeployment(request.deploymentId)).toBeUndefined();
    await expect(local.store().acquireLock(request.service, 'other', T0, 60)).resolves.toBeUndefined();
  });

  it('refuses an invalid request, naming the field, before anything changes', async () => {
    const { service, request } = await registered();
    const bad = { ...request, artifact: { image: '' } };
    await expect(start(bad)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: expect.stringMatching(/^artifact\.image /),
    });
    expect(await local.store().getDeployment(request.deploymentId)).toBeUndefined();
    await expect(local.store().acquireLock(service, 'other', T0, 60)).resolves.toBeUndefined();
  });

  it.each([
    [
      { image: 'shop:\u202e2.0' },
      {},
      'deployment.artifact.image holds the invisible or control character U+202E',
    ],
    [
      { image: BASELINE_VERSION },
      { provider: 'lambda-alias', providerConfig: { functionName: 'f', alias: 'live' } },
      'deployment.artifact.image baseline (simulated) is the simulated',
    ],
    [
      { image: 'shop:2.0' },
      {
        provider: 'lambda-alias',
        providerConfig: { functionName: 'f', alias: 'live' },
        strategy: 'recreate',
        plan: { startupSeconds: 30, bakeSeconds: 60 },
      },
      'deployment.strategy recreate cannot run on the lambda-alias provider',
    ],
  ] as const)('refuses %j on %j before it takes the lock', async (artifact, config, message) => {
    const { service, request } = await registered(config as never);
    await expect(start({ ...request, artifact })).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: expect.stringContaining(message),
    });
    expect(await local.store().getDeployment(request.deploymentId)).toBeUndefined();
    await expect(local.store().acquireLock(service, 'other', T0, 60)).resolves.toBeUndefined();
  });

  it('refuses a ring of its own service, or of an unregistered one, before it takes the lock', async () => {
    const { service, request } = await registered();
    const cases: [string, string][] = [
      [service, `plan.rings[0].service ${service} is the service this ring rollout deploys`],
      ['nobody', 'plan.rings[0].service nobody is not registered'],
    ];
    for (const [ring, message] of cases) {
      const plan = { rings: [{ name: 'a', service: ring, strategy: 'canary', plan: canaryPlan(100) }] };
      await expect(start({ ...request, strategy: 'ring', plan })).rejects.toMatchObject({
        name: 'Stepwise.InvalidInput',
        message: expect.stringContaining(message),
      });
    }
    expect(await local.store().getDeployment(request.deploymentId)).toBeUndefined();
    await expect(local.store().acquireLock(service, 'other', T0, 60)).resolves.toBeUndefined();
  });

  it('refuses a plan override whose weights go down, and writes nothing', async () => {
    const { service, request } = await registered();
    await expect(
      start({ ...request, strategy: 'canary', plan: canaryPlan(50, 20, 100) }),
    ).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'plan.steps weights must not decrease: 20 after 50',
    });
    expect(await local.store().getDeployment(request.deploymentId)).toBeUndefined();
    await expect(local.store().acquireLock(service, 'other', T0, 60)).resolves.toBeUndefined();
  });

  it("refuses a plan override whose hook calls a host outside the service's allowedHosts, and writes nothing", async () => {
    const { service, request } = await registered({ allowedHosts: ['smoke.shop.internal'] });
    const plan = {
      steps: [
        { setWeight: 10 },
        { hook: { name: 'probe', http: { url: 'http://169.254.169.254/latest?x=1' } } },
        { setWeight: 100 },
      ],
    };
    await expect(start({ ...request, strategy: 'canary', plan })).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: `plan: hook probe calls http://169.254.169.254/latest?…, but 169.254.169.254 is not in ${service}'s allowedHosts (smoke.shop.internal); register the host in the service's allowedHosts`,
    });
    expect(await local.store().getDeployment(request.deploymentId)).toBeUndefined();
    await expect(local.store().acquireLock(service, 'other', T0, 60)).resolves.toBeUndefined();
  });

  it("writes the plan to the trail without its hook URLs' credentials and queries", async () => {
    const hook = { name: 'smoke', http: { url: 'https://ci:s3cr3t@smoke.shop.internal/health?token=tok-9' } };
    const { request } = await registered({ allowedHosts: ['smoke.shop.internal'] });
    await start({ ...request, strategy: 'canary', plan: { steps: [{ hook }, { setWeight: 100 }] } });
    const trail = await local.store().listAuditEvents(request.deploymentId);
    expect(trail[0]?.detail).toMatchObject({
      plan: {
        steps: [{ hook: { http: { url: 'https://smoke.shop.internal/health?…' } } }, { setWeight: 100 }],
      },
    });
    expect(JSON.stringify(trail)).not.toMatch(/s3cr3t|tok-9/);
  });

  it('refuses a service whose registered plan does not fit its strategy, naming the field', async () => {
    const { request } = await registered({ strategy: 'rolling', plan: { instances: 2, batchSize: 3 } });
    await expect(start(request)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'plan.batchSize (3) cannot exceed plan.instances (2)',
    });
  });

  it('refuses a service configured with an unknown traffic provider, naming it', async () => {
    const { service, request } = await registered({ provider: 'nginx' });
    await expect(start(request)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: expect.stringContaining("unknown traffic provider 'nginx'"),
    });
    await expect(local.store().acquireLock(service, 'other', T0, 60)).resolves.toBeUndefined();
  });

  it('refuses to deploy the version that is already live', async () => {
    const { service, request } = await registered();
    await local.store().setLiveVersion({ service, liveVersion: 'shop:2.0', updatedAt: T0.toISOString() });
    await expect(start(request)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: `artifact.image shop:2.0 is already live on ${service}`,
    });
  });

  it('refuses a second deployment while the first holds the lock, and leaves the first alone', async () => {
    const { service, request } = await registered();
    await start(request);
    const second = { ...request, deploymentId: unique('dep'), artifact: { image: 'shop:3.0' } };

    await expect(start(second)).rejects.toMatchObject({
      name: 'Stepwise.LockHeld',
      message: expect.stringContaining(`locked by deployment ${request.deploymentId}`),
    });
    expect(await local.store().getDeployment(second.deploymentId)).toBeUndefined();
    expect(await local.store().listAuditEvents(second.deploymentId)).toEqual([]);
    await expect(local.store().acquireLock(service, 'other', T0, 60)).rejects.toThrow('locked');
  });

  it('creates one summary and one DeploymentStarted event when re-run for the same deployment', async () => {
    const { service, request } = await registered();
    const first = await start(request);
    const again = await start(request, fixedClock(new Date(T0.getTime() + 30_000)));

    expect(again.deployment.startedAt).toBe(first.deployment.startedAt);
    expect(again).toEqual(first);
    const trail = await local.store().listAuditEvents(request.deploymentId);
    expect(trail.map((e) => e.type)).toEqual(['DeploymentStarted']);
    const summaries = await local.store().listDeployments(service, 10);
    expect(summaries.map((d) => d.deploymentId)).toEqual([request.deploymentId]);
  });

  it('refuses to re-open a deployment that has already ended, and leaves the service unlocked', async () => {
    const { service, request } = await registered();
    const deps = taskDeps(local.store());
    const state = await start(request);
    await invoke(makeRecordEventHandler(deps, silentLogger()), { type: 'DeploymentRolledBack', state });
    const trailBefore = await local.store().listAuditEvents(request.deploymentId);

    await expect(start(request)).rejects.toMatchObject({ name: expect.stringMatching(/^Stepwise\./) });

    expect(await local.store().listAuditEvents(request.deploymentId)).toEqual(trailBefore);
    expect((await local.store().getDeployment(request.deploymentId))?.status).toBe('ROLLED_BACK');
    await expect(local.store().acquireLock(service, 'next', T0, 60)).resolves.toBeUndefined();
  });
});
