import {
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  type Action,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseEcsAlbConfig } from '../../../../lambdas/adapters/traffic/ecs-alb/config.ts';
import { EcsAlbTrafficProvider } from '../../../../lambdas/adapters/traffic/ecs-alb/ecs-alb-provider.ts';
import type { SegmentRouting, TrafficProvider, TrafficTarget } from '../../../../lambdas/ports/traffic.ts';
import {
  awsError,
  BLUE,
  baseConfig,
  containers,
  EXECUTION_ROLE,
  FakeEcsAlb,
  type FakeService,
  forward,
  GREEN,
  LISTENER,
  OLD,
  RULE,
  TEST_LISTENER,
  TG_BLUE,
  TG_GREEN,
  V1,
  V2,
} from '../../../fakes/ecs-alb-fake.ts';
import { mockClient } from '../../../support/aws-mock.ts';

const ecs = mockClient(ECSClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);

const target: TrafficTarget = { service: 'checkout', stableVersion: V1, candidateVersion: V2 };

let fake: FakeEcsAlb;

function providerWith(overrides: Record<string, unknown> = {}): EcsAlbTrafficProvider {
  const config: Record<string, unknown> = { ...baseConfig, ...overrides };
  for (const [key, value] of Object.entries(config)) if (value === undefined) delete config[key];
  return new EcsAlbTrafficProvider(config, {
    ecs: new ECSClient({ region: 'eu-west-1' }),
    elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
  });
}

/** What the state machine does: ask, wait (ECS settles meanwhile), ask again. */
/** The provider's segment routing, which it has when given a listener ARN. */
function segmentsOf(provider: EcsAlbTrafficProvider): SegmentRouting {
  const segments = provider.segments;
  if (!segments) throw new Error('the provider has no segment routing');
  return segments;
}

async function prepared(provider: EcsAlbTrafficProvider): Promise<void> {
  expect((await provider.prepare(target)).ready).toBe(false);
  fake.settle(GREEN);
  expect((await provider.prepare(target)).ready).toBe(true);
}

beforeEach(() => {
  ecs.reset();
  elbv2.reset();
  fake = new FakeEcsAlb();
  fake.install(ecs, elbv2);
});

describe('EcsAlbTrafficProvider', () => {
  it('reads all traffic on the live side, named by the images the services run', async () => {
    expect(await providerWith().getWeights(target)).toEqual({ [V1]: 100, [OLD]: 0 });
  });

  it('prepares the candidate on the idle side: a copy of the live task definition with only the main image changed', async () => {
    const provider = providerWith();
    const first = await provider.prepare(target);
    expect(first.ready).toBe(false);
    expect(first.detail).toContain(GREEN);
    expect(fake.image(GREEN)).toBe(V2);
    expect(fake.services[GREEN]?.desiredCount).toBe(3);
    const registered = fake.definitions.get(fake.services[GREEN]?.taskDefinition ?? '');
    expect(registered?.containerDefinitions).toEqual(containers(V2));
    expect(registered).toMatchObject({ family: 'checkout', revision: 3, cpu: '512', networkMode: 'awsvpc' });
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    expect(await provider.getWeights(target)).toEqual({ [V1]: 100, [V2]: 0 });
  });

  it('is not ready while the deployment runs or the targets are unhealthy, then ready', async () => {
    const provider = providerWith();
    await provider.prepare(target);
    const starting = await provider.prepare(target);
    expect(starting).toMatchObject({ ready: false, detail: expect.stringContaining('IN_PROGRESS') });
    fake.settle(GREEN);
    (fake.services[GREEN] as FakeService).targets = 'unhealthy';
    const unhealthy = await provider.prepare(target);
    expect(unhealthy.ready).toBe(false);
    expect(unhealthy.detail).toContain('0/3 targets healthy');
    expect(unhealthy.detail).toContain('Target.ResponseCodeMismatch');
    (fake.services[GREEN] as FakeService).targets = 'healthy';
    expect(await provider.prepare(target)).toMatchObject({
      ready: true,
      detail: expect.stringContaining(V2),
    });
  });

  it('writes nothing when prepare is called again for a candidate that is already there', async () => {
    const provider = providerWith();
    await prepared(provider);
    ecs.resetHistory();
    elbv2.resetHistory();
    expect((await provider.prepare(target)).ready).toBe(true);
    expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(elbv2).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('registers no second revision while the first deployment is still starting', async () => {
    const provider = providerWith();
    await provider.prepare(target);
    ecs.resetHistory();
    await provider.prepare(target);
    expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('fails prepare when the circuit breaker failed the candidate deployment', async () => {
    const provider = providerWith();
    await provider.prepare(target);
    (fake.services[GREEN] as FakeService).rollout = 'FAILED';
    await expect(provider.prepare(target)).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
      message: expect.stringContaining('tasks failed to start'),
    });
  });

  it('adds the idle target group at weight 0 when the listener forwards to the live one only', async () => {
    fake.listeners.set(LISTENER, [{ Type: 'forward', TargetGroupArn: TG_BLUE }]);
    await providerWith().prepare(target);
    expect(fake.listeners.get(LISTENER)?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: TG_BLUE, Weight: 100 },
      { TargetGroupArn: TG_GREEN, Weight: 0 },
    ]);
  });

  it('refuses to replace an idle side that still takes traffic', async () => {
    fake.listeners.set(LISTENER, [forward(70, 30)]);
    await expect(providerWith().prepare(target)).rejects.toMatchObject({ name: 'Stepwise.Conflict' });
    expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it("says where each version's own metrics are: its side's target group on the listener's load balancer", async () => {
    const provider = providerWith();
    await prepared(provider);
    const specs = await provider.versionMetrics(target);
    const dimensions = (tg: string) => ({
      TargetGroup: /targetgroup\/.*$/.exec(tg)?.[0],
      LoadBalancer: 'app/shop/50dc6c495c0c9188',
    });
    expect(specs.candidate).toEqual({
      requests: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        dimensions: dimensions(TG_GREEN),
      },
      errors: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'HTTPCode_Target_5XX_Count',
        dimensions: dimensions(TG_GREEN),
      },
      latency: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'TargetResponseTime',
        dimensions: dimensions(TG_GREEN),
        unitMs: 1000,
      },
    });
    expect(specs.baseline.requests.dimensions).toEqual(dimensions(TG_BLUE));
  });

  it('shifts traffic step by step and promotes: the candidate at 100 %, the old side at desired 0', async () => {
    const provider = providerWith();
    await prepared(provider);
    for (const percent of [10, 50]) {
      await provider.setWeights(target, { [V1]: 100 - percent, [V2]: percent });
      expect(await provider.getWeights(target)).toEqual({ [V1]: 100 - percent, [V2]: percent });
    }
    await provider.promote(target);
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
    expect(fake.services[BLUE]?.desiredCount).toBe(0);
    expect(fake.services[GREEN]?.desiredCount).toBe(3);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 0, [V2]: 100 });
    ecs.resetHistory();
    elbv2.resetHistory();
    await provider.promote(target);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(elbv2).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('rolls back: the stable side at 100 %, the idle side at desired 0', async () => {
    const provider = providerWith();
    await prepared(provider);
    await provider.setWeights(target, { [V1]: 75, [V2]: 25 });
    await provider.rollback(target);
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    expect(fake.services[GREEN]?.desiredCount).toBe(0);
    expect(fake.services[BLUE]?.desiredCount).toBe(3);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 100, [V2]: 0 });
    ecs.resetHistory();
    elbv2.resetHistory();
    await provider.rollback(target);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(elbv2).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('starts a stable side that was already retired before taking traffic back to it', async () => {
    const provider = providerWith();
    await prepared(provider);
    await provider.promote(target);
    await expect(provider.rollback(target)).rejects.toMatchObject({ name: 'Stepwise.NotReadyYet' });
    expect(fake.services[BLUE]?.desiredCount).toBe(3);
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
    await expect(provider.rollback(target)).rejects.toMatchObject({ name: 'Stepwise.NotReadyYet' });
    fake.settle(BLUE);
    await provider.rollback(target);
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    expect(fake.services[GREEN]?.desiredCount).toBe(0);
  });

  it('writes nothing when the weights are already there', async () => {
    const provider = providerWith();
    await prepared(provider);
    elbv2.resetHistory();
    await provider.setWeights(target, { [V1]: 100, [V2]: 0 });
    expect(elbv2).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('refuses weights that do not sum to 100 before any call', async () => {
    const provider = providerWith();
    await expect(provider.setWeights(target, { [V1]: 60, [V2]: 30 })).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
    });
    expect(ecs).not.toHaveReceivedAnyCommand();
    expect(elbv2).not.toHaveReceivedAnyCommand();
  });

  it('refuses traffic for a candidate that runs on neither side', async () => {
    await expect(providerWith().setWeights(target, { [V1]: 90, [V2]: 10 })).rejects.toMatchObject({
      name: 'Stepwise.Conflict',
      message: expect.stringContaining('prepare the candidate first'),
    });
    expect(elbv2).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('names the live side after the stable version while Stepwise does not know its image yet', async () => {
    const first = { ...target, stableVersion: 'baseline (simulated)' };
    const provider = providerWith();
    expect(await provider.getWeights(first)).toEqual({ 'baseline (simulated)': 100, [OLD]: 0 });
    await provider.prepare(first);
    fake.settle(GREEN);
    await provider.prepare(first);
    await provider.setWeights(first, { 'baseline (simulated)': 90, [V2]: 10 });
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 90, [GREEN]: 10 });
  });

  it('keeps an authenticate action and its secret when it rewrites the listener', async () => {
    const oidc: Action = {
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp.example.com',
        AuthorizationEndpoint: 'https://idp.example.com/authorize',
        TokenEndpoint: 'https://idp.example.com/token',
        UserInfoEndpoint: 'https://idp.example.com/userinfo',
        ClientId: 'checkout',
      },
    };
    fake.listeners.set(LISTENER, [oidc, { ...forward(100, 0), Order: 2 }]);
    const provider = providerWith();
    await prepared(provider);
    await provider.setWeights(target, { [V1]: 50, [V2]: 50 });
    const [auth, fwd] = fake.listeners.get(LISTENER) ?? [];
    expect(auth?.AuthenticateOidcConfig).toMatchObject({
      ClientId: 'checkout',
      UseExistingClientSecret: true,
    });
    expect(fwd).toMatchObject({ Type: 'forward', Order: 2 });
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 50, [GREEN]: 50 });
  });

  it('moves the weights of a listener rule when given ruleArn', async () => {
    const provider = providerWith({ listenerArn: undefined, ruleArn: RULE });
    await prepared(provider);
    await provider.setWeights(target, { [V1]: 80, [V2]: 20 });
    expect(fake.split(RULE)).toEqual({ [BLUE]: 80, [GREEN]: 20 });
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    expect(await provider.getWeights(target)).toEqual({ [V1]: 80, [V2]: 20 });
  });

  it('points the test listener at the candidate once it is ready, and back at the stable side on rollback', async () => {
    const provider = providerWith({ testListenerArn: TEST_LISTENER });
    await provider.prepare(target);
    expect(fake.split(TEST_LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    fake.settle(GREEN);
    await provider.prepare(target);
    expect(fake.split(TEST_LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    await provider.rollback(target);
    expect(fake.split(TEST_LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
  });

  it('routes a header segment to the candidate with a listener rule, changes it to a cookie, and removes it', async () => {
    const provider = providerWith();
    await prepared(provider);
    await segmentsOf(provider).setSegment(target, { header: 'x-beta', value: 'yes' });
    expect(await segmentsOf(provider).getSegment(target)).toEqual({ header: 'x-beta', value: 'yes' });
    const rule = fake.rules.find((r) => r.Priority === '1');
    expect(rule?.Actions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: TG_GREEN, Weight: 1 },
    ]);
    elbv2.resetHistory();
    await segmentsOf(provider).setSegment(target, { header: 'x-beta', value: 'yes' });
    expect(elbv2).not.toHaveReceivedCommand(CreateRuleCommand);
    expect(elbv2).not.toHaveReceivedCommand(ModifyRuleCommand);
    await segmentsOf(provider).setSegment(target, { cookie: 'beta', value: 'on' });
    expect(await segmentsOf(provider).getSegment(target)).toEqual({ cookie: 'beta', value: 'on' });
    expect(fake.rules.find((r) => r.Priority === '1')?.Conditions).toEqual([
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'Cookie', Values: ['*beta=on*'] } },
    ]);
    await segmentsOf(provider).setSegment(target, undefined);
    expect(await segmentsOf(provider).getSegment(target)).toBeUndefined();
    expect(fake.rules.map((r) => r.Priority)).toEqual(['10']);
  });

  it('removes the segment rule on rollback', async () => {
    const provider = providerWith();
    await prepared(provider);
    await segmentsOf(provider).setSegment(target, { header: 'x-beta', value: 'yes' });
    await provider.rollback(target);
    expect(await segmentsOf(provider).getSegment(target)).toBeUndefined();
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
  });

  it('leaves a rule that is not its own alone at the segment priority', async () => {
    const provider = providerWith({ segmentPriority: 10 });
    await prepared(provider);
    await expect(
      segmentsOf(provider).setSegment(target, { header: 'x-beta', value: 'yes' }),
    ).rejects.toMatchObject({
      name: 'Stepwise.Conflict',
      message: expect.stringContaining('segmentPriority'),
    });
    expect(await segmentsOf(provider).getSegment(target)).toBeUndefined();
    await provider.rollback(target);
    expect(fake.rules.map((r) => r.RuleArn)).toEqual([RULE]);
  });

  it('routes segments only when given a listener ARN', () => {
    expect(providerWith({ listenerArn: undefined, ruleArn: RULE }).segments).toBeUndefined();
    expect(providerWith().segments).toBeDefined();
  });

  it('does not stop or start versions (recreate uses ecs-rolling)', () => {
    const port: TrafficProvider = providerWith();
    expect(port.stopStart).toBeUndefined();
    expect(ecs).not.toHaveReceivedAnyCommand();
  });

  /** Nothing that changes a service or a route was sent. */
  function expectNoWrites() {
    expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(elbv2).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(elbv2).not.toHaveReceivedCommand(ModifyRuleCommand);
    expect(elbv2).not.toHaveReceivedCommand(CreateRuleCommand);
    expect(elbv2).not.toHaveReceivedCommand(DeleteRuleCommand);
  }

  it.each([
    [GREEN, 'CODE_DEPLOY', 'a CodeDeploy deployment of its own'],
    [GREEN, 'EXTERNAL', 'a task set deployment of its own'],
    [BLUE, 'CODE_DEPLOY', 'a CodeDeploy deployment of its own'],
  ] as const)(
    'refuses in prepare, changing nothing, when %s deploys with the %s controller',
    async (name, controller, why) => {
      (fake.services[name] as FakeService).controller = controller;
      await expect(providerWith().prepare(target)).rejects.toMatchObject({
        name: 'Stepwise.ProviderFailed',
        message: `ECS service ${name} deploys with ${controller}; the ecs-alb provider needs ECS rolling updates (deployment controller ECS, strategy ROLLING): a ${controller} service takes a new task definition only through ${why}`,
      });
      expectNoWrites();
    },
  );

  it.each(['BLUE_GREEN', 'LINEAR', 'CANARY'] as const)(
    'refuses in prepare, changing nothing, a service on the ECS %s strategy, which would shift traffic under Stepwise',
    async (strategy) => {
      (fake.services[GREEN] as FakeService).strategy = strategy;
      await expect(providerWith().prepare(target)).rejects.toMatchObject({
        name: 'Stepwise.ProviderFailed',
        message: expect.stringContaining(
          `ECS service ${GREEN} deploys with ECS (${strategy}); the ecs-alb provider needs ECS rolling updates`,
        ),
      });
      expectNoWrites();
    },
  );

  it('refuses in prepare, changing nothing, a service with a short (pre-2021) ARN, pointing at the migration', async () => {
    (fake.services[BLUE] as FakeService).shortArn = true;
    await expect(providerWith().prepare(target)).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
      message: expect.stringMatching(
        new RegExp(
          `^ECS service ${BLUE} has the short ARN arn:aws:ecs:eu-west-1:123456789012:service/${BLUE} \\(created before 2021\\).*migrate it to the long ARN format.*service-arn-migration\\.html`,
        ),
      ),
    });
    expectNoWrites();
  });

  it('refuses in prepare, naming the field, a task definition role the config does not name', async () => {
    // A listener prepare would otherwise rewrite first (to list the idle target group).
    fake.listeners.set(LISTENER, [{ Type: 'forward', TargetGroupArn: TG_BLUE }]);
    await expect(providerWith({ executionRoleArn: undefined }).prepare(target)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: expect.stringMatching(
        new RegExp(
          `^providerConfig\\.executionRoleArn is required: checkout:2 runs with execution role ${EXECUTION_ROLE}`,
        ),
      ),
    });
    const other = 'arn:aws:iam::123456789012:role/someone-else';
    await expect(providerWith({ executionRoleArn: other }).prepare(target)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: `providerConfig.executionRoleArn is ${other}, but checkout:2 runs with execution role ${EXECUTION_ROLE}: name that role, or Stepwise may not pass it to ECS`,
    });
    expectNoWrites();
  });

  it('says which configured service is missing', async () => {
    delete fake.services[GREEN];
    await expect(providerWith().getWeights(target)).rejects.toMatchObject({
      name: 'Stepwise.ResourceNotFound',
      message: expect.stringContaining(
        `service ${GREEN} (providerConfig.services[1]) not found in cluster prod`,
      ),
    });
  });

  describe.each([
    ['ClusterNotFoundException', 'Stepwise.ResourceNotFound', 'cluster prod'],
    ['ServiceNotFoundException', 'Stepwise.ResourceNotFound', GREEN],
    ['ListenerNotFoundException', 'Stepwise.ResourceNotFound', LISTENER],
    ['TargetGroupNotFoundException', 'Stepwise.ResourceNotFound', 'target group'],
    ['ThrottlingException', 'Stepwise.Transient', 'ThrottlingException'],
    ['Throttling', 'Stepwise.Transient', 'Throttling'],
    ['ServerException', 'Stepwise.Transient', 'ServerException'],
    ['InvalidParameterException', 'Stepwise.ProviderFailed', 'InvalidParameterException'],
    ['ValidationError', 'Stepwise.ProviderFailed', 'ValidationError'],
    ['UpdateInProgressException', 'Stepwise.Conflict', 'UpdateInProgressException'],
  ])('an AWS %s', (awsName, stepwiseName, mentioned) => {
    it(`becomes ${stepwiseName}, naming ${mentioned}`, async () => {
      const error = awsError(awsName);
      if (awsName === 'ClusterNotFoundException' || awsName === 'Throttling') {
        ecs.on(DescribeServicesCommand).rejects(error);
      } else if (awsName === 'ListenerNotFoundException') {
        elbv2.on(DescribeListenersCommand).rejects(error);
      } else if (
        ['TargetGroupNotFoundException', 'ThrottlingException', 'ValidationError'].includes(awsName)
      ) {
        // Prepare lists the idle target group on a listener that forwards to the live one only.
        fake.listeners.set(LISTENER, [{ Type: 'forward', TargetGroupArn: TG_BLUE }]);
        elbv2.on(ModifyListenerCommand).rejects(error);
      } else {
        ecs.on(UpdateServiceCommand).rejects(error);
      }
      await expect(providerWith().prepare(target)).rejects.toMatchObject({
        name: stepwiseName,
        message: expect.stringContaining(mentioned),
      });
    });
  });

  it('maps a missing listener rule to ResourceNotFound naming it', async () => {
    fake.rules = [];
    await expect(
      providerWith({ listenerArn: undefined, ruleArn: RULE }).getWeights(target),
    ).rejects.toMatchObject({
      name: 'Stepwise.ResourceNotFound',
      message: expect.stringContaining(RULE),
    });
  });

  it('maps a priority already in use to Conflict', async () => {
    const provider = providerWith();
    await prepared(provider);
    elbv2.on(CreateRuleCommand).rejects(awsError('PriorityInUseException', 'Priority already in use'));
    await expect(
      segmentsOf(provider).setSegment(target, { header: 'x-beta', value: 'yes' }),
    ).rejects.toMatchObject({
      name: 'Stepwise.Conflict',
    });
  });
});

describe('parseEcsAlbConfig', () => {
  it('accepts a full config', () => {
    const full = {
      ...baseConfig,
      testListenerArn: TEST_LISTENER,
      container: 'app',
      segmentPriority: 5,
      readyTimeoutSeconds: 600,
    };
    expect(parseEcsAlbConfig(full)).toEqual(full);
  });

  it.each([
    [{ cluster: undefined }, 'providerConfig.cluster is required'],
    [{ services: [BLUE] }, 'providerConfig.services must NOT have fewer than 2 items'],
    [{ services: [BLUE, BLUE] }, 'providerConfig.services must NOT have duplicate items'],
    [
      { targetGroupArns: [TG_BLUE, 'checkout-green'] },
      'providerConfig.targetGroupArns[1] must match pattern',
    ],
    [{ listenerArn: undefined }, 'providerConfig.listenerArn (or providerConfig.ruleArn) is required'],
    [{ ruleArn: RULE }, 'providerConfig.ruleArn cannot be given with providerConfig.listenerArn'],
    [{ testListenerArn: LISTENER }, 'providerConfig.testListenerArn must differ from the production route'],
    [{ segmentPriority: 0 }, 'providerConfig.segmentPriority must be >= 1'],
    [{ readyTimeoutSeconds: '900' }, 'providerConfig.readyTimeoutSeconds must be integer'],
    [{ rolloutTimeoutSeconds: 5 }, 'providerConfig.rolloutTimeoutSeconds must be >= 15'],
    [{ weights: [50, 50] }, 'providerConfig.weights is not a known field'],
  ])('refuses %j, naming the field', (overrides, message) => {
    expect(() => providerWith(overrides)).toThrow(message);
    expect(() => providerWith(overrides)).toThrow(expect.objectContaining({ name: 'Stepwise.InvalidInput' }));
    expect(ecs).not.toHaveReceivedAnyCommand();
  });
});
