import {
  type ContainerDefinition,
  type Deployment,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  type TaskDefinition,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  type Action,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Rule,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ConflictError,
  NotReadyYetError,
  ProviderError,
  ResourceNotFoundError,
} from '../../../domain/errors.ts';
import { assertValidWeights } from '../../../domain/plan.ts';
import type { SegmentMatch } from '../../../domain/steps.ts';
import type { Weights } from '../../../domain/types.ts';
import type { VersionMetricSpec, VersionMetricSpecs } from '../../../ports/metrics.ts';
import type {
  PrepareResult,
  SegmentRouting,
  TrafficProvider,
  TrafficTarget,
} from '../../../ports/traffic.ts';
import { assertDeployableService, assertPassableRoles, copyWithImage } from '../ecs-services.ts';
import { DEFAULT_SEGMENT_PRIORITY, type EcsAlbConfig, parseEcsAlbConfig } from './config.ts';
import { rethrowEcsAlb } from './errors.ts';
import {
  forwardsToBoth,
  forwardTargets,
  type Pair,
  percentWeights,
  segmentConditions,
  segmentOf,
  targetGroupName,
  withWeights,
} from './routes.ts';

/** The SDK clients the provider calls; the Lambda wiring, the tests and a dry run hand in their own. */
export interface EcsAlbClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
}

/** Where weights live: a listener's default action or a rule's action, and the config field that named it. */
interface RouteRef {
  kind: 'listener' | 'rule';
  arn: string;
  field: string;
}

/** One of the two ECS services, as described just now. */
interface Side {
  index: 0 | 1;
  service: string;
  /** The service as DescribeServices returned it. */
  described: Service;
  targetGroupArn: string;
  taskDefinition: TaskDefinition;
  /** The main container's image, i.e. the version this side runs. */
  image: string | undefined;
  desiredCount: number;
  runningCount: number;
  deployments: Deployment[];
  /** Percent of the production route's traffic. */
  weight: number;
}

/** Both sides, the production route, and which side plays which part in this deployment. */
interface View {
  sides: Pair<Side>;
  actions: Action[];
  stable: Side;
  candidate: Side;
  /** The version name each side answers to in weights. */
  names: Pair<string>;
}

const LEAVING_OR_HEALTHY = new Set(['healthy', 'draining', 'unhealthy.draining']);

/**
 * Two ECS services (blue and green) behind one ALB listener or listener rule that forwards to
 * their target groups by weight. Stateless across invocations: every method describes both
 * services, their task definitions and the route, and works out from them which side runs which
 * version (the main container's image) and which side is live (the larger weight). Every method
 * writes only what differs from what it read. See docs/providers/ecs-alb.md.
 */
export class EcsAlbTrafficProvider implements TrafficProvider {
  private readonly config: EcsAlbConfig;
  private readonly ecs: ECSClient;
  private readonly elbv2: ElasticLoadBalancingV2Client;
  private readonly route: RouteRef;
  private readonly testRoute: RouteRef | undefined;

  /** Validates `config` (a service's providerConfig) at once, so a bad config changes nothing. */
  constructor(config: unknown, clients: EcsAlbClients) {
    this.config = parseEcsAlbConfig(config);
    this.ecs = clients.ecs;
    this.elbv2 = clients.elbv2;
    const { listenerArn, ruleArn, testListenerArn, testRuleArn } = this.config;
    this.route = listenerArn
      ? { kind: 'listener', arn: listenerArn, field: 'providerConfig.listenerArn' }
      : { kind: 'rule', arn: ruleArn ?? '', field: 'providerConfig.ruleArn' };
    this.testRoute = testListenerArn
      ? { kind: 'listener', arn: testListenerArn, field: 'providerConfig.testListenerArn' }
      : testRuleArn
        ? { kind: 'rule', arn: testRuleArn, field: 'providerConfig.testRuleArn' }
        : undefined;
  }

  /**
   * Puts the candidate image on the idle side at the live side's size (a copy of the live task
   * definition with only the main container's image changed), with no traffic, and answers ready
   * once that service is steady and its targets are healthy; then points the test route at it.
   * Refuses services that are not ECS rolling-update services with a long ARN (`assertDeployableService`).
   */
  async prepare(target: TrafficTarget): Promise<PrepareResult> {
    const view = await this.view(target);
    // Both sides: the idle one takes this candidate, the live one the next.
    for (const side of view.sides) assertDeployableService(side.described, 'ecs-alb');
    const { stable, candidate } = view;
    const wanted = stable.desiredCount;
    if (candidate.image !== target.candidateVersion) {
      if (candidate.weight > 0) {
        throw new ConflictError(
          `${candidate.service} runs ${candidate.image ?? 'no known image'} and takes ${candidate.weight}% of traffic, so it cannot take the candidate; route all traffic to ${stable.service} first`,
        );
      }
      // Before any write: registering the copy passes its roles to ECS.
      assertPassableRoles(stable.taskDefinition, this.config);
      await this.includeBothTargetGroups(view);
      const revision = await this.registerCandidate(stable, target.candidateVersion);
      await this.updateService(candidate, { taskDefinition: revision, desiredCount: wanted });
      return {
        ready: false,
        detail: `started ${wanted} task(s) of ${revision.split('/').pop()} (${target.candidateVersion}) on ${candidate.service}; waiting for its deployment`,
      };
    }
    if (candidate.weight === 0 && candidate.desiredCount !== wanted) {
      await this.includeBothTargetGroups(view);
      // A deployment the circuit breaker failed launches no tasks, whatever the desired count says.
      const failed = primaryOf(candidate)?.rolloutState === 'FAILED';
      await this.updateService(candidate, {
        desiredCount: wanted,
        ...(failed ? { forceNewDeployment: true } : {}),
      });
      return {
        ready: false,
        detail: `scaled ${candidate.service} (${target.candidateVersion}) to ${wanted} task(s); waiting for its deployment`,
      };
    }
    await this.includeBothTargetGroups(view);
    const waiting = await this.waitingFor(candidate);
    if (waiting) return { ready: false, detail: waiting };
    await this.pointTestRoute(candidate);
    return {
      ready: true,
      detail: `${candidate.service} runs ${target.candidateVersion}: ${candidate.runningCount}/${candidate.desiredCount} tasks, healthy in ${targetGroupName(candidate.targetGroupArn)}`,
    };
  }

  async setWeights(target: TrafficTarget, weights: Weights): Promise<void> {
    assertValidWeights(weights);
    const view = await this.view(target);
    const split: Pair<number> = [0, 0];
    for (const [version, weight] of Object.entries(weights)) {
      const side = view.sides.find((s) => view.names[s.index] === version);
      if (side) split[side.index] += weight;
      else if (weight > 0) {
        throw new ConflictError(
          `${version} runs on neither ${view.sides[0].service} (${view.names[0]}) nor ${view.sides[1].service} (${view.names[1]}); prepare the candidate first`,
        );
      }
    }
    await this.applyWeights(this.route, view.actions, split, view.sides);
  }

  async getWeights(target: TrafficTarget): Promise<Weights> {
    const view = await this.view(target);
    const weights: Weights = {};
    for (const side of view.sides) {
      const name = view.names[side.index];
      weights[name] = (weights[name] ?? 0) + side.weight;
    }
    return weights;
  }

  /**
   * All traffic to the candidate, no segment, the test route on the candidate, and the old side
   * scaled to zero at once: the blue-green termination wait is the state machine's, before this.
   */
  async promote(target: TrafficTarget): Promise<void> {
    const view = await this.view(target);
    const { stable, candidate } = view;
    if (candidate.image !== target.candidateVersion) {
      throw new ConflictError(
        `${target.candidateVersion} runs on neither ${view.sides[0].service} nor ${view.sides[1].service}; nothing to promote`,
      );
    }
    await this.applyWeights(this.route, view.actions, only(candidate), view.sides);
    await this.clearSegment();
    await this.pointTestRoute(candidate);
    if (stable.desiredCount > 0) await this.updateService(stable, { desiredCount: 0 });
  }

  /**
   * All traffic to the stable side, no segment, the test route on the stable side, and the other
   * side scaled to zero. A stable side that was already scaled to zero (a failure after the old
   * version was retired) is started first: traffic stays where it is, and the call fails with
   * TransientError (retried by the ASL) until the stable side has a healthy target.
   */
  async rollback(target: TrafficTarget): Promise<void> {
    const view = await this.view(target);
    const { stable, candidate } = view;
    if (stable.weight < 100 && stable.desiredCount === 0) {
      const count = Math.max(candidate.desiredCount, 1);
      await this.updateService(stable, { desiredCount: count });
      throw new NotReadyYetError(
        `${stable.service} (${view.names[stable.index]}) had no tasks: started ${count}; traffic stays on ${candidate.service} until one is healthy`,
      );
    }
    if (stable.weight === 0) {
      const healthy = (await this.targetHealth(stable.targetGroupArn)).filter(
        (t) => t.TargetHealth?.State === 'healthy',
      );
      if (healthy.length === 0) {
        throw new NotReadyYetError(
          `${stable.service} has no healthy target in ${targetGroupName(stable.targetGroupArn)} yet (${stable.runningCount}/${stable.desiredCount} tasks running); traffic stays on ${candidate.service}`,
        );
      }
    }
    await this.applyWeights(this.route, view.actions, only(stable), view.sides);
    await this.clearSegment();
    await this.pointTestRoute(stable);
    if (candidate.desiredCount > 0) await this.updateService(candidate, { desiredCount: 0 });
  }

  /**
   * Segments are a rule on the listener: given `providerConfig.listenerArn` (not a rule's ARN),
   * the provider can route them.
   */
  get segments(): SegmentRouting | undefined {
    const listenerArn = this.config.listenerArn;
    if (!listenerArn) return undefined;
    return {
      setSegment: (target, match) => this.setSegment(listenerArn, target, match),
      getSegment: () => this.getSegment(listenerArn),
    };
  }

  /** A rule at `segmentPriority` on the listener: requests matching the header or cookie go to the candidate's target group. */
  private async setSegment(
    listenerArn: string,
    target: TrafficTarget,
    match: SegmentMatch | undefined,
  ): Promise<void> {
    const found = await this.segmentRule(listenerArn);
    if (found && !found.ours) {
      throw new ConflictError(
        `priority ${this.segmentPriority} on listener ${listenerArn} is taken by ${found.rule.RuleArn}, which is not a Stepwise segment rule; set providerConfig.segmentPriority to a free priority`,
      );
    }
    const rule = found?.rule;
    if (!match) {
      if (rule?.RuleArn) await this.deleteRule(rule.RuleArn);
      return;
    }
    const view = await this.view(target);
    if (view.candidate.image !== target.candidateVersion) {
      throw new ConflictError(
        `${target.candidateVersion} runs on neither ${view.sides[0].service} nor ${view.sides[1].service}; prepare the candidate first`,
      );
    }
    if (view.candidate.desiredCount === 0) {
      throw new ConflictError(
        `${view.candidate.service} has no tasks (desired count 0), so it cannot take the segment's traffic`,
      );
    }
    const conditions = segmentConditions(match);
    const actions: Action[] = [
      {
        Type: 'forward',
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: view.candidate.targetGroupArn, Weight: 1 }] },
      },
    ];
    if (!rule?.RuleArn) {
      await this.aws(`CreateRule at priority ${this.segmentPriority} on listener ${listenerArn}`, () =>
        this.elbv2.send(
          new CreateRuleCommand({
            ListenerArn: listenerArn,
            Priority: this.segmentPriority,
            Conditions: conditions,
            Actions: actions,
          }),
        ),
      );
      return;
    }
    const targets = forwardTargets(rule);
    const sameMatch = JSON.stringify(segmentOf(rule)) === JSON.stringify(match);
    if (sameMatch && targets.length === 1 && targets[0] === view.candidate.targetGroupArn) return;
    const ruleArn = rule.RuleArn;
    await this.aws(`ModifyRule ${ruleArn}`, () =>
      this.elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: conditions, Actions: actions })),
    );
  }

  private async getSegment(listenerArn: string): Promise<SegmentMatch | undefined> {
    const found = await this.segmentRule(listenerArn);
    return found?.ours ? segmentOf(found.rule) : undefined;
  }

  /**
   * Each version's target group in AWS/ApplicationELB: RequestCount, HTTPCode_Target_5XX_Count and
   * TargetResponseTime (seconds) by TargetGroup and LoadBalancer, the dimensions read from the
   * ARNs (`targetgroup/NAME/ID`, `app/NAME/ID`).
   */
  async versionMetrics(target: TrafficTarget): Promise<VersionMetricSpecs> {
    const view = await this.view(target);
    const routeArn = this.config.listenerArn ?? this.config.ruleArn ?? '';
    const loadBalancer = /:listener(?:-rule)?\/(app\/[^/]+\/[^/]+)\//.exec(routeArn)?.[1] ?? '';
    const of = (side: Side): VersionMetricSpec => {
      const dimensions = {
        TargetGroup: /:(targetgroup\/[^/]+\/[^/]+)$/.exec(side.targetGroupArn)?.[1] ?? side.targetGroupArn,
        LoadBalancer: loadBalancer,
      };
      const metric = (metricName: string) => ({ namespace: 'AWS/ApplicationELB', metricName, dimensions });
      return {
        requests: metric('RequestCount'),
        errors: metric('HTTPCode_Target_5XX_Count'),
        latency: { ...metric('TargetResponseTime'), unitMs: 1000 },
      };
    };
    return { candidate: of(view.candidate), baseline: of(view.stable) };
  }

  private get segmentPriority(): number {
    return this.config.segmentPriority ?? DEFAULT_SEGMENT_PRIORITY;
  }

  /** Describes both services, their task definitions and the production route, and assigns the parts. */
  private async view(target: TrafficTarget): Promise<View> {
    const [services, actions] = await Promise.all([this.describeServices(), this.readActions(this.route)]);
    const weights = percentWeights(actions, this.config.targetGroupArns, this.describeRoute(this.route));
    const definitions = new Map<string, Promise<TaskDefinition>>();
    const definition = (arn: string) => {
      const known = definitions.get(arn);
      if (known) return known;
      const described = this.describeTaskDefinition(arn);
      definitions.set(arn, described);
      return described;
    };
    const side = async (service: Service, index: 0 | 1): Promise<Side> => {
      const taskDefinition = await definition(service.taskDefinition ?? '');
      return {
        index,
        service: this.config.services[index],
        described: service,
        targetGroupArn: this.config.targetGroupArns[index],
        taskDefinition,
        image: this.mainContainer(taskDefinition)?.image,
        desiredCount: service.desiredCount ?? 0,
        runningCount: service.runningCount ?? 0,
        deployments: service.deployments ?? [],
        weight: weights[index],
      };
    };
    const sides: Pair<Side> = await Promise.all([side(services[0], 0), side(services[1], 1)]);
    const [blue, green] = sides;
    const onCandidate = sides.filter((s) => s.image === target.candidateVersion);
    if (onCandidate.length === 2) {
      throw new ConflictError(
        `both ${blue.service} and ${green.service} run ${target.candidateVersion}: neither is the stable version`,
      );
    }
    // The side already running the candidate is the candidate's; otherwise the live (heavier) side is stable.
    const stable = onCandidate[0]
      ? other(sides, onCandidate[0])
      : blue.weight !== green.weight
        ? blue.weight > green.weight
          ? blue
          : green
        : green.image === target.stableVersion && blue.image !== target.stableVersion
          ? green
          : blue;
    const candidate = other(sides, stable);
    // Until Stepwise knows the live image (a service's first deployment), the live side stands for the stable version.
    const stableKnown = sides.some((s) => s.image === target.stableVersion);
    const nameOf = (s: Side): string => {
      if (s === candidate && s.image === target.candidateVersion) return target.candidateVersion;
      if (s === stable && (s.image === target.stableVersion || !stableKnown)) return target.stableVersion;
      return s.image ?? `${s.service} (no ${this.config.container ?? 'essential'} container)`;
    };
    return { sides, actions, stable, candidate, names: [nameOf(blue), nameOf(green)] };
  }

  private async describeServices(): Promise<Pair<Service>> {
    const { cluster, services } = this.config;
    const out = await this.aws(`DescribeServices ${services.join(', ')} in cluster ${cluster}`, () =>
      this.ecs.send(new DescribeServicesCommand({ cluster, services: [...services] })),
    );
    const found = services.map((name, i) => {
      const service = out.services?.find((s) => s.serviceName === name);
      if (service?.status === 'ACTIVE') return service;
      const reason = service
        ? `its status is ${service.status}`
        : (out.failures?.find((f) => f.arn?.endsWith(`/${name}`))?.reason ?? 'MISSING');
      throw new ResourceNotFoundError(
        `service ${name} (providerConfig.services[${i}]) not found in cluster ${cluster}: ${reason}`,
      );
    });
    return [found[0] as Service, found[1] as Service];
  }

  private async describeTaskDefinition(arn: string): Promise<TaskDefinition> {
    const out = await this.aws(`DescribeTaskDefinition ${arn}`, () =>
      this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
    );
    if (!out.taskDefinition)
      throw new ProviderError(`DescribeTaskDefinition ${arn} returned no task definition`);
    return out.taskDefinition;
  }

  /** The container whose image is the version: `container` from the config, else the first essential one. */
  private mainContainer(definition: TaskDefinition): ContainerDefinition | undefined {
    const containers = definition.containerDefinitions ?? [];
    const name = this.config.container;
    return name ? containers.find((c) => c.name === name) : containers.find((c) => c.essential !== false);
  }

  /** Registers a revision of the stable side's task definition whose main container runs `image`; returns its ARN. */
  private async registerCandidate(stable: Side, image: string): Promise<string> {
    const definition = stable.taskDefinition;
    const main = this.mainContainer(definition);
    if (!main) {
      const names = (definition.containerDefinitions ?? []).map((c) => c.name).join(', ');
      throw new ProviderError(
        `${definition.taskDefinitionArn} (${stable.service}) has no ${this.config.container ? `container ${this.config.container}` : 'essential container'}; its containers: ${names}`,
      );
    }
    const family = definition.family;
    const out = await this.aws(`RegisterTaskDefinition ${family}`, () =>
      this.ecs.send(new RegisterTaskDefinitionCommand(copyWithImage(definition, main, image))),
    );
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new ProviderError(`RegisterTaskDefinition ${family} returned no task definition ARN`);
    return arn;
  }

  private async updateService(
    side: Side,
    changes: Pick<UpdateServiceCommandInput, 'taskDefinition' | 'desiredCount' | 'forceNewDeployment'>,
  ): Promise<void> {
    const { cluster } = this.config;
    await this.aws(`UpdateService ${side.service} in cluster ${cluster}`, () =>
      this.ecs.send(new UpdateServiceCommand({ cluster, service: side.service, ...changes })),
    );
  }

  /** What a side still waits for before it can take traffic; undefined when steady with healthy targets. */
  private async waitingFor(side: Side): Promise<string | undefined> {
    const primary = primaryOf(side);
    if (primary?.rolloutState === 'FAILED') {
      throw new ProviderError(
        `the ECS deployment of ${side.service} failed: ${primary.rolloutStateReason ?? 'no reason given'}`,
      );
    }
    const tasks = `${side.runningCount}/${side.desiredCount} tasks running`;
    if (!primary || side.deployments.length !== 1) {
      return `${side.service}: ${side.deployments.length} deployments in progress (${tasks})`;
    }
    if (primary.rolloutState !== undefined && primary.rolloutState !== 'COMPLETED') {
      return `${side.service}: deployment ${primary.rolloutState} (${tasks})`;
    }
    if (side.runningCount !== side.desiredCount) return `${side.service}: ${tasks}`;
    const targets = await this.targetHealth(side.targetGroupArn);
    const healthy = targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
    // Draining targets are old tasks on their way out; they neither count nor block.
    const others = targets.filter((t) => !LEAVING_OR_HEALTHY.has(t.TargetHealth?.State ?? ''));
    if (healthy >= side.desiredCount && others.length === 0) return undefined;
    const states = [
      ...new Set(
        others.map((t) =>
          [t.TargetHealth?.State ?? 'unknown', t.TargetHealth?.Reason].filter(Boolean).join(' '),
        ),
      ),
    ];
    return `${targetGroupName(side.targetGroupArn)}: ${healthy}/${side.desiredCount} targets healthy${states.length > 0 ? ` (others: ${states.join(', ')})` : ''}`;
  }

  private async targetHealth(targetGroupArn: string): Promise<TargetHealthDescription[]> {
    const out = await this.aws(`DescribeTargetHealth ${targetGroupArn}`, () =>
      this.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    return out.TargetHealthDescriptions ?? [];
  }

  private describeRoute(route: RouteRef): string {
    return `${route.kind} ${route.arn} (${route.field})`;
  }

  private async readActions(route: RouteRef): Promise<Action[]> {
    if (route.kind === 'listener') {
      const out = await this.aws(`DescribeListeners ${route.arn}`, () =>
        this.elbv2.send(new DescribeListenersCommand({ ListenerArns: [route.arn] })),
      );
      const listener = out.Listeners?.[0];
      if (!listener) throw new ResourceNotFoundError(`${this.describeRoute(route)} not found`);
      return listener.DefaultActions ?? [];
    }
    const out = await this.aws(`DescribeRules ${route.arn}`, () =>
      this.elbv2.send(new DescribeRulesCommand({ RuleArns: [route.arn] })),
    );
    const rule = out.Rules?.[0];
    if (!rule) throw new ResourceNotFoundError(`${this.describeRoute(route)} not found`);
    return rule.Actions ?? [];
  }

  /**
   * Splits `route` between the two target groups ([blue, green] percent). Writes only when the
   * split, or the list of target groups, differs; never gives traffic to a side with no tasks.
   */
  private async applyWeights(
    route: RouteRef,
    actions: Action[],
    split: Pair<number>,
    sides?: Pair<Side>,
  ): Promise<void> {
    const groups = this.config.targetGroupArns;
    const where = this.describeRoute(route);
    const [a, b] = percentWeights(actions, groups, where);
    if (a === split[0] && b === split[1] && forwardsToBoth(actions, groups, where)) return;
    const starved = sides?.find((s) => split[s.index] > 0 && s.desiredCount === 0);
    if (starved) {
      throw new ConflictError(
        `${starved.service} has no tasks (desired count 0), so it cannot take ${split[starved.index]}% of traffic`,
      );
    }
    const next = withWeights(actions, groups, split);
    if (route.kind === 'listener') {
      await this.aws(`ModifyListener ${route.arn}`, () =>
        this.elbv2.send(new ModifyListenerCommand({ ListenerArn: route.arn, DefaultActions: next })),
      );
    } else {
      await this.aws(`ModifyRule ${route.arn}`, () =>
        this.elbv2.send(new ModifyRuleCommand({ RuleArn: route.arn, Actions: next })),
      );
    }
  }

  /** ALB health-checks a target group only when a rule forwards to it, so the idle one is listed at weight 0. */
  private async includeBothTargetGroups(view: View): Promise<void> {
    await this.applyWeights(this.route, view.actions, [view.sides[0].weight, view.sides[1].weight]);
  }

  private async pointTestRoute(to: Side): Promise<void> {
    if (!this.testRoute) return;
    const actions = await this.readActions(this.testRoute);
    await this.applyWeights(this.testRoute, actions, only(to));
  }

  private async clearSegment(): Promise<void> {
    if (!this.config.listenerArn) return;
    const found = await this.segmentRule(this.config.listenerArn);
    if (found?.ours && found.rule.RuleArn) await this.deleteRule(found.rule.RuleArn);
  }

  /** The rule at `segmentPriority`, and whether it is ours: one header condition, forwarding only to our target groups. */
  private async segmentRule(listenerArn: string): Promise<{ rule: Rule; ours: boolean } | undefined> {
    const priority = String(this.segmentPriority);
    let marker: string | undefined;
    do {
      const page = await this.aws(`DescribeRules on listener ${listenerArn}`, () =>
        this.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker })),
      );
      const rule = page.Rules?.find((r) => r.Priority === priority);
      if (rule) {
        const targets = forwardTargets(rule);
        const groups: readonly string[] = this.config.targetGroupArns;
        const ours =
          targets.length > 0 && targets.every((arn) => groups.includes(arn)) && segmentOf(rule) !== undefined;
        return { rule, ours };
      }
      marker = page.NextMarker;
    } while (marker);
    return undefined;
  }

  private async deleteRule(ruleArn: string): Promise<void> {
    await this.aws(`DeleteRule ${ruleArn}`, () =>
      this.elbv2.send(new DeleteRuleCommand({ RuleArn: ruleArn })),
    );
  }

  private async aws<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      return rethrowEcsAlb(error, what);
    }
  }
}

function other(sides: Pair<Side>, side: Side): Side {
  return side === sides[0] ? sides[1] : sides[0];
}

/** [blue, green] weights with all traffic on `side`. */
function only(side: Side): Pair<number> {
  return side.index === 0 ? [100, 0] : [0, 100];
}

function primaryOf(side: Side): Deployment | undefined {
  return side.deployments.find((d) => d.status === 'PRIMARY');
}
