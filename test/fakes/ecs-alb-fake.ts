import {
  type Deployment,
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandInput,
  type ECSClient,
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
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
  ModifyRuleCommand,
  type ModifyRuleCommandInput,
  type Rule,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { EcsAlbConfig } from '../../lambdas/adapters/traffic/ecs-alb/config.ts';

/**
 * A small stateful ECS and ELBv2 for the ecs-alb provider: two services (blue live on 1.0,
 * green idle on an older revision), their task definitions, one production listener, one test
 * listener and one listener rule. Used behind aws-sdk-client-mock by the provider's unit tests
 * and by the state-machine tests that run it.
 */

export const ACCOUNT = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
export const TG_BLUE = `${ACCOUNT}:targetgroup/checkout-blue/0123456789abcdef`;
export const TG_GREEN = `${ACCOUNT}:targetgroup/checkout-green/fedcba9876543210`;
export const LISTENER = `${ACCOUNT}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const TEST_LISTENER = `${ACCOUNT}:listener/app/shop/50dc6c495c0c9188/0467ef3c8400ae65`;
export const RULE = `${ACCOUNT}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
export const BLUE = 'checkout-blue';
export const GREEN = 'checkout-green';
export const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout';
export const OLD = `${REPO}:0.9`;
export const V1 = `${REPO}:1.0`;
export const V2 = `${REPO}:1.1`;
/** The execution role every task definition of the fake runs with (it has no task role). */
export const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/checkout-execution';

/** The provider config that names the fake's resources. */
export const baseConfig: EcsAlbConfig = {
  cluster: 'prod',
  services: [BLUE, GREEN],
  targetGroupArns: [TG_BLUE, TG_GREEN],
  listenerArn: LISTENER,
  executionRoleArn: EXECUTION_ROLE,
};

export const awsError = (name: string, message = `${name} happened`) =>
  Object.assign(new Error(message), { name });

export const forward = (blue: number, green: number): Action => ({
  Type: 'forward',
  ForwardConfig: {
    TargetGroups: [
      { TargetGroupArn: TG_BLUE, Weight: blue },
      { TargetGroupArn: TG_GREEN, Weight: green },
    ],
  },
});

export function containers(image: string) {
  return [
    {
      name: 'log-router',
      image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
      essential: false,
    },
    { name: 'app', image, essential: true, portMappings: [{ containerPort: 8080 }] },
  ];
}

export interface FakeService {
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  rollout: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  targets: TargetHealthStateEnum;
  /** DescribeServices answers left before a started deployment settles on its own (see `startupReads`). */
  readsUntilSettled?: number;
  /** How the service deploys (default: the ECS controller, ROLLING). */
  controller?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  strategy?: 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
  /** A service created before 2021: its ARN has no cluster in it. */
  shortArn?: boolean;
}

/**
 * A small stateful model of the two services, their task definitions, the listeners and rules:
 * writes change it, describes read it, and `settle` plays the time ECS takes to start tasks.
 */
export class FakeEcsAlb {
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
  /**
   * How many DescribeServices answers a deployment that UpdateService started shows still in
   * progress before it settles by itself, as ECS does while the state machine waits. Undefined:
   * it settles only when a test calls `settle`.
   */
  startupReads: number | undefined;
  /**
   * How many DescribeListeners answers after each ModifyListener still show the listener as it
   * was before the write, as an eventually consistent read may (0: reads see writes at once).
   */
  staleReadsAfterWrite = 0;
  private ruleCount = 0;
  private readonly stale = new Map<string, { actions: Action[]; reads: number }>();

  constructor(options: { startupReads?: number } = {}) {
    this.startupReads = options.startupReads;
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

  /** Answers the provider's calls on these mocked clients from this model. */
  install(ecs: AwsClientStub<ECSClient>, elbv2: AwsClientStub<ElasticLoadBalancingV2Client>): void {
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
        DefaultActions: this.staleRead(arn) ?? this.listener(arn),
      })),
    }));
    elbv2.on(ModifyListenerCommand).callsFake((input: ModifyListenerCommandInput) => {
      const before = this.listener(input.ListenerArn ?? '');
      this.checkTargetGroups(input.DefaultActions ?? []);
      if (this.staleReadsAfterWrite > 0) {
        this.stale.set(input.ListenerArn ?? '', {
          actions: structuredClone(before),
          reads: this.staleReadsAfterWrite,
        });
      }
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
    delete service.readsUntilSettled;
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
      executionRoleArn: EXECUTION_ROLE,
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
    for (const name of present) this.tick(name);
    return {
      services: present.map((name) => this.service(name)),
      failures: names
        .filter((n) => !this.services[n])
        .map((n) => ({ arn: `arn:aws:ecs:eu-west-1:123456789012:service/prod/${n}`, reason: 'MISSING' })),
    };
  }

  /** One more look at a starting deployment: the last one it shows in progress settles it. */
  private tick(name: string): void {
    const service = this.services[name] as FakeService;
    if (service.readsUntilSettled === undefined) return;
    if (service.readsUntilSettled === 0) this.settle(name);
    else service.readsUntilSettled -= 1;
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
      serviceArn: `arn:aws:ecs:eu-west-1:123456789012:service/${s.shortArn ? '' : 'prod/'}${name}`,
      status: 'ACTIVE',
      ...(s.controller ? { deploymentController: { type: s.controller } } : {}),
      ...(s.strategy ? { deploymentConfiguration: { strategy: s.strategy } } : {}),
      taskDefinition: s.taskDefinition,
      desiredCount: s.desiredCount,
      runningCount: s.runningCount,
      deployments: [primary],
    };
  }

  private updateService(input: UpdateServiceCommandInput) {
    const s = this.services[input.service ?? ''];
    if (!s) throw awsError('ServiceNotFoundException', 'Service not found.');
    // What ECS answers a service that takes new task definitions only through its own deployments.
    if (input.taskDefinition && s.controller !== undefined && s.controller !== 'ECS') {
      throw awsError(
        'InvalidParameterException',
        'Unable to update task definition on services with a CODE_DEPLOY or EXTERNAL deployment controller.',
      );
    }
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
    if (s.rollout === 'IN_PROGRESS' && this.startupReads !== undefined)
      s.readsUntilSettled = this.startupReads;
    return { service: this.service(input.service ?? '') };
  }

  private describeRules(input: DescribeRulesCommandInput) {
    if (input.RuleArns) return { Rules: input.RuleArns.map((arn) => this.rule(arn)) };
    return { Rules: this.rules.filter((r) => r.listener === input.ListenerArn) };
  }

  /** The listener as it was before the last write, while that write is not yet visible to reads. */
  private staleRead(arn: string): Action[] | undefined {
    const stale = this.stale.get(arn);
    if (!stale) return undefined;
    if (--stale.reads <= 0) this.stale.delete(arn);
    return structuredClone(stale.actions);
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
