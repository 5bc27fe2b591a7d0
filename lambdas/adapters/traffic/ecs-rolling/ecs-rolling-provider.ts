import { createHash } from 'node:crypto';
import {
  type ContainerDefinition,
  type Deployment,
  type DeploymentConfiguration,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  TagResourceCommand,
  type TaskDefinition,
  UntagResourceCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  ConflictError,
  InvalidInputError,
  NotReadyYetError,
  ProviderError,
  ResourceNotFoundError,
} from '../../../domain/errors.ts';
import type { Weights } from '../../../domain/types.ts';
import type {
  PrepareResult,
  TrafficProvider,
  TrafficTarget,
  VersionStopStart,
} from '../../../ports/traffic.ts';
import { candidatePercent } from '../candidate-percent.ts';
import { assertDeployableService, assertPassableRoles, copyWithImage } from '../ecs-services.ts';
import { type ErrorReading, meaningOf, rethrow } from '../provider-errors.ts';
import { type EcsRollingConfig, parseEcsRollingConfig } from './config.ts';

/**
 * The rollout record, kept as tags on the ECS service so that any Lambda can pick it up: which
 * revision is stable and which the candidate, how far Stepwise has released the rollout, and
 * the desired count a recreate stopped.
 */
export const ROLLOUT_TAGS = {
  stable: 'stepwise:stable-revision',
  candidate: 'stepwise:candidate-revision',
  image: 'stepwise:candidate-image',
  released: 'stepwise:released-weight',
  desiredCount: 'stepwise:desired-count',
} as const;
/** On a revision Stepwise registered: the revision it copied. */
export const COPIED_FROM_TAG = 'stepwise:copied-from';

/** ECS tag values hold 256 characters; a longer image reference is recorded by its hash. */
const TAG_VALUE_MAX = 256;
/** How many of the family's newest revisions Prepare looks through for a copy it registered before. */
const COPY_LOOKBACK = 5;
const LIST_PAGES_MAX = 10;

interface Snapshot {
  service: Service;
  tags: Map<string, string>;
}

interface Rollout {
  stable: string;
  candidate: string;
  /** The candidate weight Stepwise has released the rollout to (0 before the first shift). */
  released: number;
  desiredCount?: number;
}

interface Described {
  definition: TaskDefinition;
  tags: Map<string, string>;
}

const tagValueOf = (image: string) =>
  image.length <= TAG_VALUE_MAX ? image : `sha256:${createHash('sha256').update(image).digest('hex')}`;

/** `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42` → `web`. */
const familyOf = (arn: string) => {
  const nameAndRevision = arn.slice(arn.lastIndexOf('/') + 1);
  return nameAndRevision.slice(0, nameAndRevision.lastIndexOf(':'));
};

const errorName = (error: unknown) => (error as { name?: string })?.name ?? '';

/**
 * One ECS service updated in place by ECS's own rolling update (the `rolling` and `recreate`
 * strategies). A version is a container image; Prepare registers a copy of the service's task
 * definition with only that image changed. ECS cannot hold a rolling update at a batch, so the
 * first shift starts the whole rollout and later shifts wait for it: a weight is the share of the
 * service's running tasks on the candidate revision, reported as at most the weight Stepwise has
 * released (ECS may be further along). See docs/providers/ecs-rolling.md.
 */
export class EcsRollingTrafficProvider implements TrafficProvider {
  private readonly ecs: ECSClient;
  private readonly config: EcsRollingConfig;

  /** Validates `providerConfig` (InvalidInputError naming the field) so a bad config fails before anything runs. */
  constructor(ecs: ECSClient, providerConfig: unknown) {
    this.ecs = ecs;
    this.config = parseEcsRollingConfig(providerConfig);
  }

  /** Registers the candidate revision (once) and records the rollout on the service; nothing runs it yet. */
  async prepare(target: TrafficTarget): Promise<PrepareResult> {
    const snapshot = await this.describe();
    assertDeployableService(snapshot.service, 'ecs-rolling');
    const primary = primaryRevision(snapshot.service);
    const existing = rolloutOf(snapshot, target);
    if (existing && (primary === existing.stable || primary === existing.candidate)) {
      return { ready: true, detail: `${existing.candidate} runs ${target.candidateVersion}` };
    }
    const base = await this.taskDefinition(primary, true);
    const baseImage = this.containerOf(base.definition).image;
    if (baseImage === target.candidateVersion) {
      throw new ConflictError(
        `ECS service ${this.config.service} already runs ${target.candidateVersion} (${primary}), which Stepwise did not prepare: there is no stable revision to roll back to`,
      );
    }
    const candidate =
      (await this.findCopy(base.definition, target.candidateVersion)) ??
      (await this.register(base, target.candidateVersion));
    await this.tag(snapshot, {
      [ROLLOUT_TAGS.stable]: primary,
      [ROLLOUT_TAGS.candidate]: candidate,
      [ROLLOUT_TAGS.image]: tagValueOf(target.candidateVersion),
      [ROLLOUT_TAGS.released]: '0',
    });
    // A desired count left by an earlier recreate would start this candidate at a stale size.
    if (snapshot.tags.has(ROLLOUT_TAGS.desiredCount)) await this.untag(snapshot, [ROLLOUT_TAGS.desiredCount]);
    const note =
      baseImage === target.stableVersion
        ? ''
        : `; the service ran ${baseImage ?? 'no image'}, not ${target.stableVersion}: rollback restores what ran`;
    return { ready: true, detail: `${candidate} runs ${target.candidateVersion}${note}` };
  }

  /**
   * Starts the rollout at the first weight above 0 (UpdateService to the candidate revision) and
   * answers once ECS has replaced at least that share of the running tasks; until then it throws
   * NotReadyYetError, and Shift traffic waits and asks again until `rolloutTimeoutSeconds`. Weight 0 rolls back.
   */
  async setWeights(target: TrafficTarget, weights: Weights): Promise<void> {
    const percent = candidatePercent(target, weights);
    if (percent === 0) return this.rollback(target);
    let snapshot = await this.describe();
    const rollout = this.requireRollout(snapshot, target);
    snapshot = await this.startRollout(snapshot, rollout, target);
    // Released after the update: a retry then finds the service on the candidate, never "moved off".
    if (rollout.released < percent) await this.tag(snapshot, { [ROLLOUT_TAGS.released]: String(percent) });
    const reached =
      (await this.weightsOf(snapshot, { ...rollout, released: Math.max(rollout.released, percent) }, target))[
        target.candidateVersion
      ] ?? 0;
    if (reached < percent) {
      throw new NotReadyYetError(
        `ECS is replacing the tasks of ${this.config.service}: ${reached}% of running tasks run ${target.candidateVersion}, waiting for ${percent}%`,
      );
    }
  }

  /**
   * The share of running tasks per version (from the deployments' runningCount). While the
   * service is rolling forward the candidate's share is capped at the released weight; with no
   * task running, the version ECS is told to run counts as 100 %.
   */
  async getWeights(target: TrafficTarget): Promise<Weights> {
    const snapshot = await this.describe();
    return this.weightsOf(snapshot, rolloutOf(snapshot, target), target);
  }

  /** Releases the whole rollout and answers once ECS reports it COMPLETED (NotReadyYetError, retried, until then). */
  async promote(target: TrafficTarget): Promise<void> {
    let snapshot = await this.describe();
    const rollout = this.requireRollout(snapshot, target);
    snapshot = await this.startRollout(snapshot, rollout, target);
    if (rollout.released < 100) await this.tag(snapshot, { [ROLLOUT_TAGS.released]: '100' });
    const deployments = snapshot.service.deployments ?? [];
    const primary = deployments.find((d) => d.status === 'PRIMARY');
    const draining = deployments.filter(
      (d) => d.status !== 'PRIMARY' && (d.runningCount ?? 0) + (d.pendingCount ?? 0) > 0,
    );
    const completed =
      draining.length === 0 &&
      primary !== undefined &&
      (primary.rolloutState ?? 'COMPLETED') === 'COMPLETED' &&
      (primary.runningCount ?? 0) === (primary.desiredCount ?? 0);
    if (!completed) {
      throw new NotReadyYetError(
        `ECS is still rolling ${this.config.service} out to ${target.candidateVersion}: ${primary?.runningCount ?? 0}/${primary?.desiredCount ?? 0} tasks running, ${draining.length} older deployment(s) draining`,
      );
    }
  }

  /**
   * UpdateService back to the stable revision (and its remembered desired count, if a recreate
   * stopped it); answers once no task runs the candidate (NotReadyYetError, retried, until then).
   */
  async rollback(target: TrafficTarget): Promise<void> {
    let snapshot = await this.describe();
    const rollout = rolloutOf(snapshot, target);
    // Nothing was prepared for this candidate: nothing of it can be running.
    if (!rollout) return;
    const wanted: UpdateServiceCommandInput = { cluster: this.config.cluster, service: this.config.service };
    if (primaryRevision(snapshot.service) !== rollout.stable) wanted.taskDefinition = rollout.stable;
    if (rollout.desiredCount !== undefined && snapshot.service.desiredCount !== rollout.desiredCount) {
      wanted.desiredCount = rollout.desiredCount;
    }
    if (wanted.taskDefinition !== undefined || wanted.desiredCount !== undefined) {
      snapshot = await this.update(snapshot, wanted);
    }
    if (rollout.released !== 0) await this.tag(snapshot, { [ROLLOUT_TAGS.released]: '0' });
    if (rollout.desiredCount !== undefined) await this.untag(snapshot, [ROLLOUT_TAGS.desiredCount]);
    const left = runningOn(snapshot.service, rollout.candidate);
    if (left > 0) {
      throw new NotReadyYetError(
        `ECS is rolling ${this.config.service} back to ${target.stableVersion}: ${left} task(s) still run ${target.candidateVersion}`,
      );
    }
  }

  /** Recreate stops the old version's tasks and starts the new one's, in the one service. */
  readonly stopStart: VersionStopStart = {
    stopVersion: (target, version) => this.stopVersion(target, version),
    startVersion: (target, version) => this.startVersion(target, version),
  };

  /** Scales the service to 0 when it runs `version`, remembering its desired count in a tag first. */
  private async stopVersion(target: TrafficTarget, version: string): Promise<void> {
    const snapshot = await this.describe();
    const rollout = this.requireRollout(snapshot, target);
    if (primaryRevision(snapshot.service) !== this.revisionOf(rollout, target, version)) return;
    const desiredCount = snapshot.service.desiredCount ?? 0;
    if (desiredCount === 0) return;
    if (rollout.desiredCount !== desiredCount) {
      await this.tag(snapshot, { [ROLLOUT_TAGS.desiredCount]: String(desiredCount) });
    }
    await this.update(snapshot, {
      cluster: this.config.cluster,
      service: this.config.service,
      desiredCount: 0,
    });
  }

  /** UpdateService to `version`'s revision at the desired count a stop remembered. */
  private async startVersion(target: TrafficTarget, version: string): Promise<void> {
    let snapshot = await this.describe();
    const rollout = this.requireRollout(snapshot, target);
    const revision = this.revisionOf(rollout, target, version);
    const desiredCount = rollout.desiredCount ?? snapshot.service.desiredCount ?? 0;
    if (desiredCount === 0) {
      throw new ProviderError(
        `ECS service ${this.config.service} has a desired count of 0 and no remembered count (${ROLLOUT_TAGS.desiredCount} tag): cannot tell how many tasks to start`,
      );
    }
    if (primaryRevision(snapshot.service) !== revision || snapshot.service.desiredCount !== desiredCount) {
      snapshot = await this.update(snapshot, {
        taskDefinition: revision,
        desiredCount,
        ...(revision === rollout.candidate ? this.deploymentConfiguration(snapshot.service) : {}),
      });
    }
    const released = revision === rollout.candidate ? 100 : 0;
    if (rollout.released !== released)
      await this.tag(snapshot, { [ROLLOUT_TAGS.released]: String(released) });
    if (rollout.desiredCount !== undefined) await this.untag(snapshot, [ROLLOUT_TAGS.desiredCount]);
  }

  /**
   * UpdateService to the candidate revision unless the service is on it. A service that left the
   * candidate after Stepwise released it is not sent back: ECS or someone else decided otherwise.
   */
  private async startRollout(snapshot: Snapshot, rollout: Rollout, target: TrafficTarget): Promise<Snapshot> {
    this.assertNotFailed(snapshot.service, rollout, target);
    if (primaryRevision(snapshot.service) === rollout.candidate) return snapshot;
    if (rollout.released > 0) this.movedOff(snapshot.service, rollout, target);
    return this.update(snapshot, {
      taskDefinition: rollout.candidate,
      ...this.deploymentConfiguration(snapshot.service),
    });
  }

  private async weightsOf(
    snapshot: Snapshot,
    rollout: Rollout | undefined,
    target: TrafficTarget,
  ): Promise<Weights> {
    const running = new Map<string, number>([
      [target.stableVersion, 0],
      [target.candidateVersion, 0],
    ]);
    for (const deployment of snapshot.service.deployments ?? []) {
      if (!deployment.taskDefinition) continue;
      const version = await this.versionOf(deployment.taskDefinition, rollout, target);
      running.set(version, (running.get(version) ?? 0) + (deployment.runningCount ?? 0));
    }
    const total = [...running.values()].reduce((a, b) => a + b, 0);
    if (total === 0) {
      const version = await this.versionOf(primaryRevision(snapshot.service), rollout, target);
      return { [target.stableVersion]: 0, [target.candidateVersion]: 0, [version]: 100 };
    }
    const weights = percentages(running, total);
    const others =
      total - (running.get(target.stableVersion) ?? 0) - (running.get(target.candidateVersion) ?? 0);
    const candidate = weights[target.candidateVersion] ?? 0;
    if (
      rollout &&
      rollout.released > 0 &&
      others === 0 &&
      primaryRevision(snapshot.service) === rollout.candidate &&
      candidate > rollout.released
    ) {
      return { [target.stableVersion]: 100 - rollout.released, [target.candidateVersion]: rollout.released };
    }
    return weights;
  }

  private async versionOf(revision: string, rollout: Rollout | undefined, target: TrafficTarget) {
    if (rollout?.candidate === revision) return target.candidateVersion;
    if (rollout?.stable === revision) return target.stableVersion;
    const image = this.containerOf((await this.taskDefinition(revision, false)).definition).image;
    return image ?? revision;
  }

  private revisionOf(rollout: Rollout, target: TrafficTarget, version: string): string {
    if (version === target.candidateVersion) return rollout.candidate;
    if (version === target.stableVersion) return rollout.stable;
    throw new InvalidInputError(
      `version ${version} is neither the stable (${target.stableVersion}) nor the candidate (${target.candidateVersion})`,
    );
  }

  private requireRollout(snapshot: Snapshot, target: TrafficTarget): Rollout {
    const rollout = rolloutOf(snapshot, target);
    if (!rollout) {
      throw new ProviderError(
        `ECS service ${this.config.service} has no revision prepared for ${target.candidateVersion}: Prepare candidate must run first`,
      );
    }
    return rollout;
  }

  private assertNotFailed(service: Service, rollout: Rollout, target: TrafficTarget): void {
    const failed = (service.deployments ?? []).find(
      (d) => d.taskDefinition === rollout.candidate && d.rolloutState === 'FAILED',
    );
    if (failed) {
      throw new ProviderError(
        `ECS failed the rollout of ${target.candidateVersion} on ${this.config.service}: ${failed.rolloutStateReason ?? 'no reason given'}`,
      );
    }
  }

  private movedOff(service: Service, rollout: Rollout, target: TrafficTarget): never {
    throw new ConflictError(
      `ECS service ${this.config.service} moved off ${target.candidateVersion} (${rollout.candidate}) to ${primaryRevision(service)} after Stepwise released it: another deployment, or ECS's circuit breaker, changed it`,
    );
  }

  /** Only what the config sets, over the service's own configuration (UpdateService replaces the whole object). */
  private deploymentConfiguration(service: Service): { deploymentConfiguration?: DeploymentConfiguration } {
    const { minimumHealthyPercent, maximumPercent, circuitBreaker } = this.config;
    if (minimumHealthyPercent === undefined && maximumPercent === undefined && circuitBreaker === undefined) {
      return {};
    }
    return {
      deploymentConfiguration: {
        ...service.deploymentConfiguration,
        ...(minimumHealthyPercent !== undefined ? { minimumHealthyPercent } : {}),
        ...(maximumPercent !== undefined ? { maximumPercent } : {}),
        ...(circuitBreaker !== undefined
          ? { deploymentCircuitBreaker: { enable: circuitBreaker, rollback: circuitBreaker } }
          : {}),
      },
    };
  }

  private containerOf(definition: TaskDefinition): ContainerDefinition {
    const containers = definition.containerDefinitions ?? [];
    const name = this.config.container;
    const container = name
      ? containers.find((c) => c.name === name)
      : containers.find((c) => c.essential !== false);
    if (!container) {
      throw new ResourceNotFoundError(
        name
          ? `container ${name} not found in task definition ${definition.taskDefinitionArn}`
          : `task definition ${definition.taskDefinitionArn} has no essential container`,
      );
    }
    return container;
  }

  /** A revision this provider registered from `base` with `image`, among the family's newest. */
  private async findCopy(base: TaskDefinition, image: string): Promise<string | undefined> {
    const family = base.family ?? '';
    let nextToken: string | undefined;
    let looked = 0;
    for (let page = 0; page < LIST_PAGES_MAX; page++) {
      const out = await this.send(`listing the revisions of task definition family ${family}`, () =>
        this.ecs.send(
          new ListTaskDefinitionsCommand({
            familyPrefix: family,
            status: 'ACTIVE',
            sort: 'DESC',
            nextToken,
          }),
        ),
      );
      for (const arn of out.taskDefinitionArns ?? []) {
        // familyPrefix also matches longer family names (web, web-worker).
        if (familyOf(arn) !== family || arn === base.taskDefinitionArn) continue;
        if (looked++ >= COPY_LOOKBACK) return undefined;
        const copy = await this.taskDefinition(arn, true);
        if (
          copy.tags.get(COPIED_FROM_TAG) === base.taskDefinitionArn &&
          this.containerOf(copy.definition).image === image
        ) {
          return arn;
        }
      }
      nextToken = out.nextToken;
      if (!nextToken) return undefined;
    }
    return undefined;
  }

  private async register(base: Described, image: string): Promise<string> {
    assertPassableRoles(base.definition, this.config);
    const container = this.containerOf(base.definition);
    const input = copyWithImage(base.definition, container, image);
    // aws: tags are reserved; keep the rest (cost allocation) and say where the copy came from.
    input.tags = [
      ...[...base.tags]
        .filter(([key]) => !key.startsWith('aws:') && key !== COPIED_FROM_TAG)
        .map(([key, value]) => ({ key, value })),
      { key: COPIED_FROM_TAG, value: base.definition.taskDefinitionArn },
    ];
    const out = await this.send(`registering a copy of ${base.definition.taskDefinitionArn}`, () =>
      this.ecs.send(new RegisterTaskDefinitionCommand(input)),
    );
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new ProviderError('RegisterTaskDefinition returned no task definition ARN');
    return arn;
  }

  private async describe(): Promise<Snapshot> {
    const { cluster, service } = this.config;
    const out = await this.send(`describing ECS service ${service}`, () =>
      this.ecs.send(new DescribeServicesCommand({ cluster, services: [service], include: ['TAGS'] })),
    );
    // ECS keeps describing a deleted service for a while, as DRAINING then INACTIVE.
    const found = out.services?.find((s) => (s.status ?? 'ACTIVE') === 'ACTIVE');
    if (!found) {
      const reason = out.failures?.[0]?.reason;
      throw new ResourceNotFoundError(
        `ECS service ${service} not found in cluster ${cluster}${reason ? ` (${reason})` : ''}`,
      );
    }
    return { service: found, tags: new Map((found.tags ?? []).map((t) => [t.key ?? '', t.value ?? ''])) };
  }

  private async taskDefinition(arn: string, withTags: boolean): Promise<Described> {
    const out = await this.send(
      `describing task definition ${arn}`,
      () =>
        this.ecs.send(
          new DescribeTaskDefinitionCommand({
            taskDefinition: arn,
            ...(withTags ? { include: ['TAGS'] } : {}),
          }),
        ),
      `task definition ${arn} not found`,
    );
    if (!out.taskDefinition) throw new ResourceNotFoundError(`task definition ${arn} not found`);
    return {
      definition: out.taskDefinition,
      tags: new Map((out.tags ?? []).map((t) => [t.key ?? '', t.value ?? ''])),
    };
  }

  private async update(snapshot: Snapshot, input: Partial<UpdateServiceCommandInput>): Promise<Snapshot> {
    const out = await this.send(`updating ECS service ${this.config.service}`, () =>
      this.ecs.send(
        new UpdateServiceCommand({ ...input, cluster: this.config.cluster, service: this.config.service }),
      ),
    );
    return { service: out.service ?? snapshot.service, tags: snapshot.tags };
  }

  private async tag(snapshot: Snapshot, tags: Record<string, string>): Promise<void> {
    const resourceArn = this.serviceArn(snapshot);
    await this.send(`tagging ECS service ${this.config.service}`, () =>
      this.ecs.send(
        new TagResourceCommand({
          resourceArn,
          tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
        }),
      ),
    );
    for (const [key, value] of Object.entries(tags)) snapshot.tags.set(key, value);
  }

  private async untag(snapshot: Snapshot, keys: string[]): Promise<void> {
    const resourceArn = this.serviceArn(snapshot);
    await this.send(`untagging ECS service ${this.config.service}`, () =>
      this.ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: keys })),
    );
    for (const key of keys) snapshot.tags.delete(key);
  }

  private serviceArn(snapshot: Snapshot): string {
    const arn = snapshot.service.serviceArn;
    if (!arn) throw new ProviderError(`ECS service ${this.config.service} has no ARN to tag`);
    return arn;
  }

  /** Runs an ECS call and maps its failure to the error the state machine acts on. */
  private async send<T>(what: string, call: () => Promise<T>, notFound?: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // ECS answers a missing task definition with a ClientException ("Unable to describe task definition").
      if (notFound && errorName(error) === 'ClientException') {
        throw new ResourceNotFoundError(notFound, { cause: error });
      }
      const { cluster, service } = this.config;
      return rethrow(
        {
          ...ECS_ERRORS,
          wording: {
            'not-found': ({ name }) =>
              name === 'ClusterNotFoundException'
                ? `ECS cluster ${cluster} not found`
                : `ECS service ${service} not found in cluster ${cluster}`,
            conflict: ({ what: call, message }) => `${call}: ${message}`,
            refused: ({ what: call, name, message }) =>
              name === 'ClientException' ? `${call}: ${message}` : `${call}: ${name}: ${message}`,
          },
        },
        error,
        what,
      );
    }
  }
}

/** ECS's errors and what they mean to the state machine. */
const ECS_ERRORS: ErrorReading = {
  meanings: {
    ...meaningOf('not-found', [
      'ClusterNotFoundException',
      'ServiceNotFoundException',
      'ServiceNotActiveException',
    ]),
    ServerException: 'transient',
    ...meaningOf('conflict', ['UpdateInProgressException', 'ConflictException', 'ResourceInUseException']),
    ...meaningOf('refused', [
      'ClientException',
      'AccessDeniedException',
      'InvalidParameterException',
      'LimitExceededException',
      'PlatformTaskDefinitionIncompatibilityException',
      'PlatformUnknownException',
      'UnsupportedFeatureException',
    ]),
  },
};

function primaryRevision(service: Service): string {
  return (
    service.deployments?.find((d: Deployment) => d.status === 'PRIMARY')?.taskDefinition ??
    service.taskDefinition ??
    ''
  );
}

function runningOn(service: Service, revision: string): number {
  return (service.deployments ?? [])
    .filter((d) => d.taskDefinition === revision)
    .reduce((sum, d) => sum + (d.runningCount ?? 0), 0);
}

/** The rollout the service's tags record, when it is this target's candidate. */
function rolloutOf(snapshot: Snapshot, target: TrafficTarget): Rollout | undefined {
  const { tags } = snapshot;
  const stable = tags.get(ROLLOUT_TAGS.stable);
  const candidate = tags.get(ROLLOUT_TAGS.candidate);
  if (!stable || !candidate || tags.get(ROLLOUT_TAGS.image) !== tagValueOf(target.candidateVersion)) {
    return undefined;
  }
  const released = Number(tags.get(ROLLOUT_TAGS.released) ?? '0');
  const desired = tags.get(ROLLOUT_TAGS.desiredCount);
  return {
    stable,
    candidate,
    released: Number.isInteger(released) ? released : 0,
    ...(desired !== undefined && /^\d+$/.test(desired) ? { desiredCount: Number(desired) } : {}),
  };
}

/** Whole percents summing to 100 (largest remainder). */
function percentages(counts: Map<string, number>, total: number): Weights {
  const exact = [...counts].map(([version, n]) => ({ version, share: (100 * n) / total }));
  const weights: Weights = Object.fromEntries(exact.map((e) => [e.version, Math.floor(e.share)]));
  let left = 100 - Object.values(weights).reduce((a, b) => a + b, 0);
  for (const e of [...exact].sort((a, b) => (b.share % 1) - (a.share % 1))) {
    if (left-- <= 0) break;
    weights[e.version] = (weights[e.version] ?? 0) + 1;
  }
  return weights;
}
