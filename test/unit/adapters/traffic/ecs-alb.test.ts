import {
  type Deployment,
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandInput,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type TaskDefinition,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  type Action,
  CreateRuleCommand,
  type CreateRuleCommandInput,
  DeleteRuleCommand,
  type DeleteRuleCommandInput,
  DescribeListenersCommand,
  type DescribeListenersCommandInput,
  DescribeRulesCommand,
  type DescribeRulesCommandInput,
  DescribeTargetHealthCommand,
  type DescribeTargetHealthCommandInput,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
  ModifyRuleCommand,
  type ModifyRuleCommandInput,
  type Rule,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type EcsAlbConfig, parseEcsAlbConfig } from '../../../../lambdas/adapters/traffic/ecs-alb/config.ts';
import { EcsAlbTrafficProvider } from '../../../../lambdas/adapters/traffic/ecs-alb/ecs-alb-provider.ts';
import type { TrafficTarget } from '../../../../lambdas/ports/traffic.ts';

const ecs = mockClient(ECSClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);

const ACCOUNT = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const TG_BLUE = `${ACCOUNT}:targetgroup/checkout-blue/0123456789abcdef`;
const TG_GREEN = `${ACCOUNT}:targetgroup/checkout-green/fedcba9876543210`;
const LISTENER = `${ACCOUNT}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const TEST_LISTENER = `${ACCOUNT}:listener/app/shop/50dc6c495c0c9188/0467ef3c8400ae65`;
const RULE = `${ACCOUNT}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const BLUE = 'checkout-blue';
const GREEN = 'checkout-green';
const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout';
const OLD = `${REPO}:0.9`;
const V1 = `${REPO}:1.0`;
const V2 = `${REPO}:1.1`;

const target: TrafficTarget = { service: 'checkout', stableVersion: V1, candidateVersion: V2 };
const baseConfig: EcsAlbConfig = {
  cluster: 'prod',
  services: [BLUE, GREEN],
  targetGroupArns: [TG_BLUE, TG_GREEN],
  listenerArn: LISTENER,
};

const awsError = (name: string, message = `${name} happened`) => Object.assign(new Error(message), { name });

const forward = (blue: number, green: number): Action => ({
  Type: 'forward',
  ForwardConfig: {
    TargetGroups: [
      { TargetGroupArn: TG_BLUE, Weight: blue },
      { TargetGroupArn: TG_GREEN, Weight: green },
    ],
  },
});

interface FakeService {
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  rollout: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  targets: TargetHealthStateEnum;
}

/**
 * A small stateful model of the two services, their task definitions, the listeners and rules:
 * writes change it, describes read it, and `settle` plays the time ECS takes to start tasks.
 */
class FakeAws {
  readonly definitions = new Map<string, TaskDefinition>();
  readonly services: Record<string, FakeService>;
  readonly listeners = new Map<string, Action[]>([
    [LISTENER, [forward(100, 0)]],
    [TEST_LISTENER, [{ Type: 'forward', TargetGroupArn: TG_BLUE }]],
  ]);
  rules: (Rule & { listener: string })[] = [
    {
      listener: LISTENER,
      RuleArn: RULE,
      Priority: '10',
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/checkout/*'] } }],
      Actions: [forward(100, 0)],
    },
  ];
  private ruleCount = 0;

  constructor() {
    const old = this.register({ family: 'checkout', containerDefinitions: containers(OLD) });
    const live = this.register({ family: 'checkout', containerDefinitions: containers(V1) });
    this.services = {
      [BLUE]: {
        taskDefinition: live,
        desiredCount: 3,
        runningCount: 3,
        rollout: 'COMPLETED',
        targets: 'healthy',
      },
      [GREEN]: {
        taskDefinition: old,
        desiredCount: 0,
        runningCount: 0,
        rollout: 'COMPLETED',
        targets: 'healthy',
      },
    };
  }

  install(): void {
    ecs
      .on(DescribeServicesCommand)
      .callsFake((input: DescribeServicesCommandInput) => this.describeServices(input));
    ecs.on(DescribeTaskDefinitionCommand).callsFake((input: DescribeTaskDefinitionCommandInput) => ({
      taskDefinition: this.definitions.get(input.taskDefinition ?? ''),
    }));
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionCommandInput) => ({
      taskDefinition: this.definitions.get(this.register(input)),
    }));
    ecs.on(UpdateServiceCommand).callsFake((input: UpdateServiceCommandInput) => this.updateService(input));
    elbv2.on(DescribeListenersCommand).callsFake((input: DescribeListenersCommandInput) => ({
      Listeners: (input.ListenerArns ?? []).map((arn) => ({
        ListenerArn: arn,
        DefaultActions: this.listener(arn),
      })),
    }));
    elbv2.on(ModifyListenerCommand).callsFake((input: ModifyListenerCommandInput) => {
      this.listener(input.ListenerArn ?? '');
      this.checkTargetGroups(input.DefaultActions ?? []);
      this.listeners.set(input.ListenerArn ?? '', structuredClone(input.DefaultActions ?? []));
      return {};
    });
    elbv2.on(DescribeRulesCommand).callsFake((input: DescribeRulesCommandInput) => this.describeRules(input));
    elbv2.on(CreateRuleCommand).callsFake((input: CreateRuleCommandInput) => {
      if (this.rules.some((r) => r.listener === input.ListenerArn && r.Priority === String(input.Priority))) {
        throw awsError('PriorityInUseException', 'Priority already in use');
      }
      this.ruleCount += 1;
      const arn = `${LISTENER.replace(':listener/', ':listener-rule/')}/${String(this.ruleCount).padStart(16, '0')}`;
      this.rules.push({
        listener: input.ListenerArn ?? '',
        RuleArn: arn,
        Priority: String(input.Priority),
        Conditions: structuredClone(input.Conditions),
        Actions: structuredClone(input.Actions),
      });
      return {};
    });
    elbv2.on(ModifyRuleCommand).callsFake((input: ModifyRuleCommandInput) => {
      const rule = this.rule(input.RuleArn ?? '');
      if (input.Actions) rule.Actions = structuredClone(input.Actions);
      if (input.Conditions) rule.Conditions = structuredClone(input.Conditions);
      return {};
    });
    elbv2.on(DeleteRuleCommand).callsFake((input: DeleteRuleCommandInput) => {
      this.rule(input.RuleArn ?? '');
      this.rules = this.rules.filter((r) => r.RuleArn !== input.RuleArn);
      return {};
    });
    elbv2.on(DescribeTargetHealthCommand).callsFake((input: DescribeTargetHealthCommandInput) => {
      const service = this.services[input.TargetGroupArn === TG_BLUE ? BLUE : GREEN] as FakeService;
      return {
        TargetHealthDescriptions: Array.from({ length: service.runningCount }, (_, i) => ({
          Target: { Id: `10.0.0.${i + 1}`, Port: 8080 },
          TargetHealth: {
            State: service.targets,
            ...(service.targets === 'unhealthy' ? { Reason: 'Target.ResponseCodeMismatch' as const } : {}),
          },
        })),
      };
    });
  }

  /** ECS finishes the deployment: all tasks running, targets healthy. */
  settle(name: string): void {
    const service = this.services[name] as FakeService;
    Object.assign(service, { runningCount: service.desiredCount, rollout: 'COMPLETED', targets: 'healthy' });
  }

  /** `{ checkout-blue: %, checkout-green: % }` as the listener (or rule) forwards them now. */
  split(arn: string): Record<string, number> {
    const actions = this.listeners.get(arn) ?? this.rule(arn).Actions ?? [];
    const action = actions.find((a) => a.Type === 'forward');
    const tuples = action?.ForwardConfig?.TargetGroups ?? [
      { TargetGroupArn: action?.TargetGroupArn, Weight: 100 },
    ];
    const weight = (tg: string) => tuples.find((t) => t.TargetGroupArn === tg)?.Weight ?? 0;
    return { [BLUE]: weight(TG_BLUE), [GREEN]: weight(TG_GREEN) };
  }

  image(name: string): string | undefined {
    const definition = this.definitions.get((this.services[name] as FakeService).taskDefinition);
    return definition?.containerDefinitions?.find((c) => c.name === 'app')?.image;
  }

  private register(input: RegisterTaskDefinitionCommandInput): string {
    const set = ['taskDefinitionArn', 'revision', 'status', 'registeredAt', 'compatibilities'];
    const refused = Object.keys(input).filter((k) => set.includes(k));
    if (refused.length > 0) throw awsError('ClientException', `unknown fields ${refused.join(', ')}`);
    const revision = [...this.definitions.values()].filter((d) => d.family === input.family).length + 1;
    const arn = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:${revision}`;
    this.definitions.set(arn, {
      cpu: '512',
      memory: '1024',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: 'arn:aws:iam::123456789012:role/checkout-execution',
      ...structuredClone(input),
      taskDefinitionArn: arn,
      revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
    } as TaskDefinition);
    return arn;
  }

  private describeServices(input: DescribeServicesCommandInput) {
    const names = input.services ?? [];
    const present = names.filter((n) => this.services[n]);
    return {
      services: present.map((name) => this.service(name)),
      failures: names
        .filter((n) => !this.services[n])
        .map((n) => ({ arn: `arn:aws:ecs:eu-west-1:123456789012:service/prod/${n}`, reason: 'MISSING' })),
    };
  }

  private service(name: string): Service {
    const s = this.services[name] as FakeService;
    const primary: Deployment = {
      status: 'PRIMARY',
      taskDefinition: s.taskDefinition,
      desiredCount: s.desiredCount,
      runningCount: s.runningCount,
      rolloutState: s.rollout,
      ...(s.rollout === 'FAILED' ? { rolloutStateReason: 'tasks failed to start' } : {}),
    };
    return {
      serviceName: name,
      serviceArn: `arn:aws:ecs:eu-west-1:123456789012:service/prod/${name}`,
      status: 'ACTIVE',
      taskDefinition: s.taskDefinition,
      desiredCount: s.desiredCount,
      runningCount: s.runningCount,
      deployments: [primary],
    };
  }

  private updateService(input: UpdateServiceCommandInput) {
    const s = this.services[input.service ?? ''];
    if (!s) throw awsError('ServiceNotFoundException', 'Service not found.');
    if (input.taskDefinition && input.taskDefinition !== s.taskDefinition) {
      Object.assign(s, { taskDefinition: input.taskDefinition, runningCount: 0, rollout: 'IN_PROGRESS' });
      s.targets = 'initial';
    }
    if (input.desiredCount !== undefined) {
      if (input.desiredCount > s.runningCount)
        Object.assign(s, { rollout: 'IN_PROGRESS', targets: 'initial' });
      s.runningCount = Math.min(s.runningCount, input.desiredCount);
      s.desiredCount = input.desiredCount;
    }
    if (input.forceNewDeployment) s.rollout = 'IN_PROGRESS';
    return { service: this.service(input.service ?? '') };
  }

  private describeRules(input: DescribeRulesCommandInput) {
    if (input.RuleArns) return { Rules: input.RuleArns.map((arn) => this.rule(arn)) };
    return { Rules: this.rules.filter((r) => r.listener === input.ListenerArn) };
  }

  private listener(arn: string): Action[] {
    const actions = this.listeners.get(arn);
    if (!actions) throw awsError('ListenerNotFoundException', 'One or more listeners not found');
    return structuredClone(actions);
  }

  private rule(arn: string): Rule & { listener: string } {
    const rule = this.rules.find((r) => r.RuleArn === arn);
    if (!rule) throw awsError('RuleNotFoundException', 'One or more rules not found');
    return rule;
  }

  private checkTargetGroups(actions: Action[]): void {
    for (const t of actions.flatMap((a) => a.ForwardConfig?.TargetGroups ?? [])) {
      if (![TG_BLUE, TG_GREEN].includes(t.TargetGroupArn ?? '')) {
        throw awsError('TargetGroupNotFoundException', 'One or more target groups not found');
      }
      if (!Number.isInteger(t.Weight) || (t.Weight as number) < 0 || (t.Weight as number) > 999) {
        throw awsError('ValidationError', `weight ${t.Weight} is out of range`);
      }
    }
  }
}

function containers(image: string) {
  return [
    {
      name: 'log-router',
      image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
      essential: false,
    },
    { name: 'app', image, essential: true, portMappings: [{ containerPort: 8080 }] },
  ];
}

let fake: FakeAws;

function providerWith(overrides: Record<string, unknown> = {}): EcsAlbTrafficProvider {
  const config: Record<string, unknown> = { ...baseConfig, ...overrides };
  for (const [key, value] of Object.entries(config)) if (value === undefined) delete config[key];
  return new EcsAlbTrafficProvider(config, {
    ecs: new ECSClient({ region: 'eu-west-1' }),
    elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
  });
}

/** What the state machine does: ask, wait (ECS settles meanwhile), ask again. */
async function prepared(provider: EcsAlbTrafficProvider): Promise<void> {
  expect((await provider.prepare(target)).ready).toBe(false);
  fake.settle(GREEN);
  expect((await provider.prepare(target)).ready).toBe(true);
}

beforeEach(() => {
  ecs.reset();
  elbv2.reset();
  fake = new FakeAws();
  fake.install();
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
    await expect(provider.rollback(target)).rejects.toMatchObject({ name: 'Stepwise.Transient' });
    expect(fake.services[BLUE]?.desiredCount).toBe(3);
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
    await expect(provider.rollback(target)).rejects.toMatchObject({ name: 'Stepwise.Transient' });
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
    await provider.setSegment(target, { header: 'x-beta', value: 'yes' });
    expect(await provider.getSegment(target)).toEqual({ header: 'x-beta', value: 'yes' });
    const rule = fake.rules.find((r) => r.Priority === '1');
    expect(rule?.Actions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: TG_GREEN, Weight: 1 },
    ]);
    elbv2.resetHistory();
    await provider.setSegment(target, { header: 'x-beta', value: 'yes' });
    expect(elbv2).not.toHaveReceivedCommand(CreateRuleCommand);
    expect(elbv2).not.toHaveReceivedCommand(ModifyRuleCommand);
    await provider.setSegment(target, { cookie: 'beta', value: 'on' });
    expect(await provider.getSegment(target)).toEqual({ cookie: 'beta', value: 'on' });
    expect(fake.rules.find((r) => r.Priority === '1')?.Conditions).toEqual([
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'Cookie', Values: ['*beta=on*'] } },
    ]);
    await provider.setSegment(target, undefined);
    expect(await provider.getSegment(target)).toBeUndefined();
    expect(fake.rules.map((r) => r.Priority)).toEqual(['10']);
  });

  it('removes the segment rule on rollback', async () => {
    const provider = providerWith();
    await prepared(provider);
    await provider.setSegment(target, { header: 'x-beta', value: 'yes' });
    await provider.rollback(target);
    expect(await provider.getSegment(target)).toBeUndefined();
    expect(fake.split(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
  });

  it('leaves a rule that is not its own alone at the segment priority', async () => {
    const provider = providerWith({ segmentPriority: 10 });
    await prepared(provider);
    await expect(provider.setSegment(target, { header: 'x-beta', value: 'yes' })).rejects.toMatchObject({
      name: 'Stepwise.Conflict',
      message: expect.stringContaining('segmentPriority'),
    });
    expect(await provider.getSegment(target)).toBeUndefined();
    await provider.rollback(target);
    expect(fake.rules.map((r) => r.RuleArn)).toEqual([RULE]);
  });

  it('needs a listener ARN for segments', async () => {
    const provider = providerWith({ listenerArn: undefined, ruleArn: RULE });
    await expect(provider.setSegment(target, { header: 'x-beta', value: 'yes' })).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
      message: expect.stringContaining('providerConfig.listenerArn'),
    });
  });

  it('does not stop or start versions (recreate uses ecs-rolling)', async () => {
    const provider = providerWith();
    await expect(provider.stopVersion(target, V1)).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
      message: expect.stringContaining('ecs-rolling'),
    });
    await expect(provider.startVersion(target, V2)).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
    });
    expect(ecs).not.toHaveReceivedAnyCommand();
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
    await expect(provider.setSegment(target, { header: 'x-beta', value: 'yes' })).rejects.toMatchObject({
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
    [{ weights: [50, 50] }, 'providerConfig.weights is not a known field'],
  ])('refuses %j, naming the field', (overrides, message) => {
    expect(() => providerWith(overrides)).toThrow(message);
    expect(() => providerWith(overrides)).toThrow(expect.objectContaining({ name: 'Stepwise.InvalidInput' }));
    expect(ecs).not.toHaveReceivedAnyCommand();
  });
});
