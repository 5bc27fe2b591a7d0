import { AppConfigClient } from '@aws-sdk/client-appconfig';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultStrategyPlan, type StrategyName } from '../../lambdas/domain/strategies/index.ts';
import { READY_POLL_SECONDS } from '../../lambdas/handlers/prepare-candidate.ts';
import { TASK_NAMES } from '../../local/fault-injection.ts';
import { parseFaults } from '../../local/faults.ts';
import type { DeploymentReport } from '../../local/report.ts';
import { DEFAULT_ALARMS, LocalRuntime } from '../../local/runtime.ts';
import { BLUE, baseConfig, FakeEcsAlb, GREEN, LISTENER, REPO, V2 } from '../fakes/ecs-alb-fake.ts';
import { config as ecsRollingFake, FakeEcs, V2 as RV2 } from '../fakes/ecs-rolling-fake.ts';
import * as fn from '../fakes/lambda-fake.ts';
import { mockClient } from '../support/aws-mock.ts';

/**
 * The strategies' state machines on the embedded engine with the real ecs-alb and lambda-alias
 * providers, over mocked SDK clients answered by the small stateful fakes in test/fakes. The
 * simulated fleet and CloudWatch follow what the provider reads back, so `--inject` faults still
 * drive the alarms. Runs are a service's first deployment (from the simulated baseline) unless
 * they say otherwise; the end state is read from the fakes: the listener's weights and the services' desired counts,
 * or the alias's version and routing config.
 */
const ecs = mockClient(ECSClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const lambda = mockClient(LambdaClient);
// No test here uses appconfig-flag; mocked all the same, so no call can reach AWS.
const appconfig = mockClient(AppConfigClient);

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await LocalRuntime.open(undefined, {
    aws: () => ({
      ecs: new ECSClient({ region: 'eu-west-1' }),
      elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
      lambda: new LambdaClient({ region: 'eu-west-1' }),
      appconfig: new AppConfigClient({ region: 'eu-west-1' }),
    }),
  });
});
afterAll(async () => {
  await runtime?.close();
});

beforeEach(() => {
  ecs.reset();
  elbv2.reset();
  lambda.reset();
  appconfig.reset();
});

const ECS_ALB = { kind: 'ecs-alb', ...baseConfig };
const LAMBDA_ALIAS = { kind: 'lambda-alias', ...fn.config };

let serial = 0;

interface Run {
  strategy: StrategyName;
  image: string;
  provider: { kind: string } & Record<string, unknown>;
  inject?: string[];
  /** Deploys to this service again instead of a new one. */
  service?: string;
  /** The plan (default: the strategy's, with 120 s bakes). */
  plan?: unknown;
}

async function deploy(run: Run): Promise<DeploymentReport> {
  serial += 1;
  return runtime.deploy({
    service: run.service ?? `${run.provider.kind}-${run.strategy}-${serial}`,
    image: run.image,
    strategy: run.strategy,
    plan: run.plan ?? defaultStrategyPlan(run.strategy, 120),
    alarms: DEFAULT_ALARMS,
    insufficientData: 'healthy',
    requestsPerMinute: 1000,
    principal: 'tester@ci',
    faults: parseFaults(run.inject ?? [], TASK_NAMES),
    provider: run.provider,
  });
}

/** Two ECS services behind one listener; a started ECS deployment settles after `startupReads` DescribeServices. */
function ecsAlb(startupReads = 0): FakeEcsAlb {
  const fake = new FakeEcsAlb({ startupReads });
  fake.install(ecs, elbv2);
  return fake;
}

function lambdaFunction(): fn.FakeLambda {
  const fake = new fn.FakeLambda();
  fake.install(lambda);
  return fake;
}

/** The candidate's share of traffic at each shift, as the state machine read it back from the provider. */
const candidateShares = (report: DeploymentReport) =>
  report.steps.map((s) => s.weights[report.candidateVersion]);

async function liveVersion(report: DeploymentReport): Promise<string | undefined> {
  return (await runtime.store.getServiceStatus(report.service))?.liveVersion;
}

/** How many times Prepare candidate answered not ready, and the state machine waited and asked again. */
async function readyWaits(report: DeploymentReport): Promise<number> {
  const events = await runtime.store.listAuditEvents(report.deploymentId);
  const prepared = events.find((e) => e.type === 'CandidatePrepared');
  expect(prepared, 'a CandidatePrepared audit event').toBeDefined();
  return Number(prepared?.detail?.waitedSeconds) / READY_POLL_SECONDS;
}

describe('ecs-alb', () => {
  it.each([
    ['canary', [10, 25, 50, 100]],
    ['blue-green', [100]],
  ] as [StrategyName, number[]][])(
    '%s, healthy: ends with the candidate target group at 100 and the old service at desired 0',
    async (strategy, shares) => {
      const fake = ecsAlb();

      const report = await deploy({ strategy, image: V2, provider: ECS_ALB });

      expect(report.status, report.reason).toBe('SUCCEEDED');
      expect(candidateShares(report)).toEqual(shares);
      expect(fake.split(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
      expect(report.finalWeights[V2]).toBe(100);
      expect(fake.image(GREEN)).toBe(V2);
      expect(fake.services[GREEN]?.desiredCount).toBe(3);
      expect(fake.services[BLUE]?.desiredCount).toBe(0);
      expect(await liveVersion(report)).toBe(V2);
    },
  );

  it.each([
    ['canary', 'errors at step 2', ['errors=10%@step=2'], [10, 25]],
    ['blue-green', 'errors after the switch', ['errors=10%'], [100]],
  ] as [StrategyName, string, string[], number[]][])(
    '%s, %s: rolls back with the stable target group at 100 and the idle service at desired 0',
    async (strategy, _fault, inject, shares) => {
      const fake = ecsAlb();

      const report = await deploy({ strategy, image: V2, provider: ECS_ALB, inject });

      expect(report.status, report.reason).toBe('ROLLED_BACK');
      expect(report.reason).toMatch(/unhealthy/);
      expect(candidateShares(report)).toEqual(shares);
      expect(report.steps.at(-1)?.verdict).toBe('unhealthy');
      expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
      expect(report.finalWeights[V2]).toBe(0);
      expect(fake.services[GREEN]?.desiredCount).toBe(0);
      expect(fake.services[BLUE]?.desiredCount).toBe(3);
      expect(await liveVersion(report)).not.toBe(report.candidateVersion);
    },
  );

  it('deploys the next version to the other side: back to blue, green at desired 0', async () => {
    const fake = ecsAlb();
    const first = await deploy({ strategy: 'canary', image: V2, provider: ECS_ALB });
    expect(first.status, first.reason).toBe('SUCCEEDED');
    const next = `${REPO}:1.2`;

    const report = await deploy({
      strategy: 'canary',
      image: next,
      provider: ECS_ALB,
      service: first.service,
    });

    expect(report.status, report.reason).toBe('SUCCEEDED');
    expect(report.stableVersion).toBe(V2);
    expect(candidateShares(report)).toEqual([10, 25, 50, 100]);
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    expect(fake.image(BLUE)).toBe(next);
    expect(fake.services[GREEN]?.desiredCount).toBe(0);
    expect(fake.services[BLUE]?.desiredCount).toBe(3);
  });

  it('waits and asks again while the ECS deployment is in progress, then proceeds', async () => {
    ecsAlb(0);
    const quick = await deploy({ strategy: 'canary', image: V2, provider: ECS_ALB });
    ecs.reset();
    elbv2.reset();
    const fake = ecsAlb(6);

    const slow = await deploy({ strategy: 'canary', image: V2, provider: ECS_ALB });

    expect(slow.status, slow.reason).toBe('SUCCEEDED');
    const [quickWaits, slowWaits] = [await readyWaits(quick), await readyWaits(slow)];
    expect(quickWaits).toBeGreaterThanOrEqual(1);
    expect(slowWaits).toBeGreaterThan(quickWaits);
    // Each extra turn of the loop is three states: Candidate ready?, Wait for candidate, Prepare candidate.
    expect(slow.stateTransitions - quick.stateTransitions).toBe(3 * (slowWaits - quickWaits));
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
    expect(fake.services[BLUE]?.desiredCount).toBe(0);
  });

  it('reads the weights again when the first read after a write is stale, and does not roll back', async () => {
    const fake = ecsAlb(0);
    // The local runtime's simulated fleet reads the route once after each write, then the task reads it back.
    fake.staleReadsAfterWrite = 2;

    const report = await deploy({ strategy: 'canary', image: V2, provider: ECS_ALB });

    expect(report.status, report.reason).toBe('SUCCEEDED');
    expect(candidateShares(report)).toEqual([10, 25, 50, 100]);
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
    expect(await liveVersion(report)).toBe(V2);
  });

  it('rolls back when the candidate is not ready within the provider config’s readyTimeoutSeconds', async () => {
    const fake = ecsAlb(1000);

    const report = await deploy({
      strategy: 'canary',
      image: V2,
      provider: { ...ECS_ALB, readyTimeoutSeconds: 60 },
    });

    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reason).toContain(
      `Stepwise.CandidateNotReady: ${V2} was not ready after 60s: ${GREEN}: deployment IN_PROGRESS`,
    );
    expect(report.steps).toEqual([]);
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    expect(fake.services[GREEN]?.desiredCount).toBe(0);
    expect(fake.services[BLUE]?.desiredCount).toBe(3);
  });

  it('fails at Prepare, naming the listener, when the listener does not exist, and changes nothing', async () => {
    const fake = ecsAlb();
    fake.listeners.delete(LISTENER);
    const definitions = fake.definitions.size;

    const report = await deploy({ strategy: 'canary', image: V2, provider: ECS_ALB });

    expect(report.status).toBe('FAILED');
    expect(report.reason).toContain(`${LISTENER}: listener not found (ListenerNotFoundException`);
    expect(report.steps).toEqual([]);
    expect(fake.definitions.size).toBe(definitions);
    expect(fake.services[GREEN]?.desiredCount).toBe(0);
    expect(fake.services[BLUE]?.desiredCount).toBe(3);
  });
});

describe('Lambda hooks', () => {
  const plan = {
    steps: [
      { weight: 20, bakeSeconds: 60 },
      { hook: { name: 'stock', lambda: { functionName: 'stepwise-hook-stock' }, retries: 0 } },
      { weight: 100, bakeSeconds: 60 },
    ],
  };
  const answer = (passed: boolean) => ({
    StatusCode: 200,
    Payload: new TextEncoder().encode(
      JSON.stringify({ passed, message: passed ? 'in stock' : 'out of stock' }),
    ) as InvokeCommandOutput['Payload'],
  });

  it.each([
    [true, 'SUCCEEDED'],
    [false, 'ROLLED_BACK'],
  ] as const)('invoke the hook function through Lambda: passed %s ends %s', async (passed, status) => {
    lambda.on(InvokeCommand, { FunctionName: 'stepwise-hook-stock' }).resolves(answer(passed));
    serial += 1;
    const report = await runtime.deploy({
      service: `hooked-${serial}`,
      image: 'shop:2',
      strategy: 'canary',
      plan,
      alarms: DEFAULT_ALARMS,
      insufficientData: 'healthy',
      requestsPerMinute: 1000,
      principal: 'tester@ci',
      faults: parseFaults([], TASK_NAMES),
    });
    expect(report.status, report.reason).toBe(status);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
  });
});

describe('ecs-rolling', () => {
  const ECS_ROLLING = { kind: 'ecs-rolling', ...ecsRollingFake };

  /** One ECS service of 4 tasks whose rollout replaces a task every `readsPerTask` DescribeServices. */
  function ecsService(readsPerTask: number): FakeEcs {
    const fake = new FakeEcs();
    fake.readsPerTask = readsPerTask;
    ecs.on(DescribeServicesCommand).callsFake((input) => fake.describeServices(input));
    ecs.on(DescribeTaskDefinitionCommand).callsFake((input) => fake.describeTaskDefinition(input));
    ecs.on(ListTaskDefinitionsCommand).callsFake((input) => fake.listTaskDefinitions(input));
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input) => fake.register(input));
    ecs.on(UpdateServiceCommand).callsFake((input) => fake.update(input));
    ecs.on(TagResourceCommand).callsFake((input) => fake.tag(input));
    ecs.on(UntagResourceCommand).callsFake((input) => fake.untag(input));
    return fake;
  }

  const halves = { steps: [50, 100].map((weight) => ({ weight, bakeSeconds: 60 })) };

  it('waits for ECS through the Wait state for as long as rolloutTimeoutSeconds allows, past the 40 retries a task has', async () => {
    // 2 of the 4 tasks at 25 reads each: more than the 1 + 40 attempts the NotReadyYet retrier gave a shift.
    const fake = ecsService(25);

    const report = await deploy({
      strategy: 'canary',
      image: RV2,
      plan: halves,
      provider: { ...ECS_ROLLING, rolloutTimeoutSeconds: 3_600 },
    });

    expect(report.status, report.reason).toBe('SUCCEEDED');
    expect(candidateShares(report)).toEqual([50, 100]);
    expect(fake.image(fake.primary.taskDefinition)).toBe(RV2);
    expect(fake.primary.runningCount).toBe(4);
    // Waiting takes virtual time (15 s, 30 s, then 60 s a poll), as it takes ECS's time on AWS.
    expect(report.simulatedSeconds).toBeGreaterThan(2 * 60 + 1_800);
  });

  it('rolls back once ECS has not got there within rolloutTimeoutSeconds, naming it', async () => {
    const fake = ecsService(25);

    const report = await deploy({ strategy: 'canary', image: RV2, plan: halves, provider: ECS_ROLLING });

    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reason).toContain(
      "traffic did not reach the step's weight within 600s (providerConfig.rolloutTimeoutSeconds)",
    );
    expect(fake.image(fake.primary.taskDefinition)).not.toBe(RV2);
  });

  // More asks than the 1 + 40 attempts the NotReadyYet retrier gave Promote and Roll back before
  // their settle loops.
  it('promotes once ECS reports the rollout COMPLETED, waiting through Wait for promotion to settle', async () => {
    // Every task on the candidate at the last shift; ECS reaches steady state 60 reads later.
    const fake = ecsService(1);
    fake.steadyReads = 60;

    const report = await deploy({
      strategy: 'canary',
      image: RV2,
      plan: halves,
      provider: { ...ECS_ROLLING, rolloutTimeoutSeconds: 7_200 },
    });

    expect(report.status, report.reason).toBe('SUCCEEDED');
    expect(fake.image(fake.primary.taskDefinition)).toBe(RV2);
    expect(fake.deployments).toHaveLength(1);
    expect(fake.primary.runningCount).toBe(4);
    expect(await liveVersion(report)).toBe(RV2);
    const trail = await runtime.store.listAuditEvents(report.deploymentId);
    expect(trail.filter((e) => e.type === 'Promoted')).toHaveLength(1);
  });

  it('rolls back through Wait for rollback to settle until no task runs the candidate, and closes as rolled back', async () => {
    // Half the tasks on the candidate at step 1; taking them back at 30 reads a task.
    const fake = ecsService(30);

    const report = await deploy({
      strategy: 'canary',
      image: RV2,
      plan: halves,
      inject: ['errors=50%@step=1'],
      provider: { ...ECS_ROLLING, rolloutTimeoutSeconds: 7_200 },
    });

    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reason).toContain('step 1 unhealthy');
    expect(report.reconciled).toEqual([]);
    expect(fake.image(fake.primary.taskDefinition)).not.toBe(RV2);
    expect(fake.deployments.every((d) => fake.image(d.taskDefinition) !== RV2)).toBe(true);
    const trail = await runtime.store.listAuditEvents(report.deploymentId);
    expect(trail.filter((e) => e.type === 'RolledBack')).toHaveLength(1);
  });

  it('a rollback ECS has not finished within rolloutTimeoutSeconds ends in Rollback failed, and the reconciler finishes it as the sweep would', async () => {
    // Forward a task a read; back to the stable revision, 60 reads a task: far more than the
    // rollback's 60 s loop and its retries read, well within a day of sweeps.
    const fake = ecsService(1);
    const stable = fake.primary.taskDefinition;
    ecs.on(UpdateServiceCommand).callsFake((input) => {
      if (input.taskDefinition === stable) fake.readsPerTask = 60;
      return fake.update(input);
    });

    const report = await deploy({
      strategy: 'canary',
      image: RV2,
      plan: halves,
      // From the check at the bake's end, as the test of the reconciler's sweeps needs, not the alarm's event.
      inject: ['errors=50%@step=1', 'alarm-events=lost'],
      provider: { ...ECS_ROLLING, rolloutTimeoutSeconds: 60 },
    });

    expect(report.error).toBe('Stepwise.RollbackFailed');
    expect(report.status, report.reason).toBe('ROLLED_BACK');
    // The rollback's own UpdateService had sent ECS back: the reconciler waited, sweep after sweep, and closed it.
    expect(report.reconciled).toEqual([
      expect.stringMatching(
        /^closed as ROLLED_BACK: execution failed with Stepwise\.RollbackFailed: traffic did not return/,
      ),
    ]);
    expect(fake.deployments.every((d) => fake.image(d.taskDefinition) !== RV2)).toBe(true);
    expect(await runtime.store.getLock(report.service)).toBeUndefined();
    expect((await runtime.store.getDeployment(report.deploymentId))?.status).toBe('ROLLED_BACK');
  });
});

describe('lambda-alias', () => {
  const alias = (fake: fn.FakeLambda) => fake.getAlias({ FunctionName: 'checkout', Name: 'live' });

  it('linear, healthy: ends with the alias on the new version and no routing config', async () => {
    const fake = lambdaFunction();

    const report = await deploy({ strategy: 'linear', image: fn.V2, provider: LAMBDA_ALIAS });

    expect(report.status, report.reason).toBe('SUCCEEDED');
    expect(candidateShares(report)).toEqual([25, 50, 75, 100]);
    expect(fake.versions.at(-1)).toMatchObject({ Version: '2', ImageUri: fn.V2 });
    expect(alias(fake).FunctionVersion).toBe('2');
    expect(alias(fake).RoutingConfig).toBeUndefined();
    expect(await liveVersion(report)).toBe(fn.V2);
  });

  it('linear, errors at step 2: rolls back to the old version with no routing config', async () => {
    const fake = lambdaFunction();

    const report = await deploy({
      strategy: 'linear',
      image: fn.V2,
      provider: LAMBDA_ALIAS,
      inject: ['errors=10%@step=2'],
    });

    expect(report.status, report.reason).toBe('ROLLED_BACK');
    expect(candidateShares(report)).toEqual([25, 50]);
    expect(report.steps.at(-1)?.verdict).toBe('unhealthy');
    expect(alias(fake).FunctionVersion).toBe('1');
    expect(alias(fake).RoutingConfig).toBeUndefined();
    expect(await liveVersion(report)).not.toBe(report.candidateVersion);
  });

  it('fails at Prepare, naming the alias, when the alias does not exist', async () => {
    const fake = lambdaFunction();

    const report = await deploy({
      strategy: 'linear',
      image: fn.V2,
      provider: { ...LAMBDA_ALIAS, alias: 'gone' },
    });

    expect(report.status).toBe('FAILED');
    expect(report.reason).toMatch(
      /^execution failed with Stepwise.RollbackFailed: alias gone of function checkout not found .*; traffic could not be checked or restored: alias gone/,
    );
    // Closed all the same, so the service is not held for ever by a provider that cannot work.
    expect((await runtime.store.getDeployment(report.deploymentId))?.status).toBe('FAILED');
    expect(await runtime.store.getLock(report.service)).toBeUndefined();
    expect(fake.versions).toHaveLength(1);
    expect(alias(fake).FunctionVersion).toBe('1');
  });
});
