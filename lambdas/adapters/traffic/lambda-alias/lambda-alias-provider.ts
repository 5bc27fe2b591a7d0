import {
  type AliasConfiguration,
  type FunctionConfiguration,
  GetAliasCommand,
  GetFunctionCommand,
  type GetFunctionCommandOutput,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { InvalidInputError, ProviderError } from '../../../domain/errors.ts';
import { assertValidWeights } from '../../../domain/plan.ts';
import type { Weights } from '../../../domain/types.ts';
import type { VersionMetricSpec, VersionMetricSpecs } from '../../../ports/metrics.ts';
import type { PrepareResult, TrafficProvider, TrafficTarget } from '../../../ports/traffic.ts';
import {
  type Artifact,
  CODE_TAG,
  codeTagValue,
  describesArtifact,
  parseArtifact,
  readDescription,
  versionDescription,
} from './artifact.ts';
import { type LambdaAliasConfig, parseLambdaAliasConfig } from './config.ts';
import { isPreconditionFailed, rethrowLambda } from './lambda-errors.ts';

const LATEST = '$LATEST';

/** Where the alias sends invocations: its version, and percents for the additional ones. */
interface Routing {
  version: string;
  extra: Record<string, number>;
}

function routingOf(alias: AliasConfiguration): Routing {
  const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
  return {
    version: alias.FunctionVersion ?? LATEST,
    extra: Object.fromEntries(Object.entries(weights).map(([v, w]) => [v, Math.round(w * 100)])),
  };
}

function sameRouting(a: Routing, b: Routing): boolean {
  const keys = new Set([...Object.keys(a.extra), ...Object.keys(b.extra)]);
  return a.version === b.version && [...keys].every((k) => a.extra[k] === b.extra[k]);
}

/** The newest version whose description says Stepwise published it for `artifact`. */
function newestFor(versions: FunctionConfiguration[], artifact: string): FunctionConfiguration | undefined {
  return versions.findLast((v) => describesArtifact(v.Description, artifact));
}

/**
 * Routes a Lambda alias between two published versions of one function (weighted alias
 * routing). Versions are artifacts: an image URI, or `s3://bucket/key` for a .zip package.
 * Prepare puts the candidate on `$LATEST` and publishes it with a description naming the
 * artifact, which is how every later call finds its version number again, statelessly. The
 * stable version is the one the alias serves. Every method reads before it writes, and writes
 * with the revision it read, so a retry changes nothing and a concurrent change is a conflict.
 */
export class LambdaAliasTrafficProvider implements TrafficProvider {
  private readonly lambda: LambdaClient;
  private readonly config: LambdaAliasConfig;

  /** Validates `providerConfig` at once: a bad config is refused before a deployment starts. */
  constructor(lambda: LambdaClient, providerConfig: unknown) {
    this.lambda = lambda;
    this.config = parseLambdaAliasConfig(providerConfig);
  }

  /**
   * Updates `$LATEST` to the candidate and waits (answering not ready) for the update to finish,
   * then publishes it; ready once the published version is active. A retry finds the version
   * already published instead of publishing another.
   */
  async prepare(target: TrafficTarget): Promise<PrepareResult> {
    const artifact = parseArtifact(target.candidateVersion);
    const [alias, versions] = await Promise.all([this.alias(), this.versions()]);
    const serving = alias.FunctionVersion ?? LATEST;
    if (serving === LATEST) {
      throw new ProviderError(
        `${this.aliasResource} points at $LATEST, which prepare overwrites and weighted routing cannot use: point it at a published version first`,
      );
    }
    const published = newestFor(versions, artifact.name);
    // Only the newest version is reused: an older one of the same artifact may predate configuration changes.
    if (published?.Version && published === versions.at(-1))
      return this.readiness(published.Version, artifact);

    const latest = await this.latest();
    const config = latest.Configuration ?? {};
    this.assertPackageType(config, artifact);
    const holdsCandidate = this.holds(latest, artifact);
    if (config.LastUpdateStatus === 'InProgress' || config.State === 'Pending') {
      return {
        ready: false,
        detail: holdsCandidate
          ? `${this.functionResource} is updating to ${artifact.name}`
          : `${this.functionResource} is busy with an update Stepwise did not start; ${artifact.name} waits`,
      };
    }
    if (!holdsCandidate) return this.updateCode(config, artifact);
    if (config.LastUpdateStatus === 'Failed') {
      throw new ProviderError(
        `updating ${this.functionResource} to ${artifact.name} failed: ${config.LastUpdateStatusReasonCode ?? 'no reason code'}: ${config.LastUpdateStatusReason ?? 'no reason given'}`,
      );
    }
    return this.publish(config, artifact, serving);
  }

  /** Stable version as the alias's version, the candidate as its one additional version. */
  async setWeights(target: TrafficTarget, weights: Weights): Promise<void> {
    assertValidWeights(weights);
    const stray = Object.entries(weights).find(
      ([version, w]) => w > 0 && version !== target.stableVersion && version !== target.candidateVersion,
    );
    if (stray) {
      throw new InvalidInputError(
        `lambda-alias routes only ${target.stableVersion} and ${target.candidateVersion}, got ${stray[1]}% for ${stray[0]}`,
      );
    }
    const percent = weights[target.candidateVersion] ?? 0;
    const [alias, versions] = await Promise.all([this.alias(), this.versions()]);
    const candidate = newestFor(versions, target.candidateVersion)?.Version;
    if (percent === 0) {
      const stable = this.requireStable(target, alias, versions, candidate);
      return this.route(alias, { version: stable, extra: {} });
    }
    if (!candidate) throw this.notPrepared(target);
    if (percent === 100) return this.route(alias, { version: candidate, extra: {} });
    const stable = this.requireStable(target, alias, versions, candidate);
    return this.route(alias, { version: stable, extra: { [candidate]: percent } });
  }

  /** The alias's routing in whole percents, with version numbers named as the deployment names them. */
  async getWeights(target: TrafficTarget): Promise<Weights> {
    const [alias, versions] = await Promise.all([this.alias(), this.versions()]);
    const candidate = newestFor(versions, target.candidateVersion)?.Version;
    const stable = this.stableNumber(target, alias, versions, candidate);
    const nameOf = (version: string): string => {
      if (version === candidate) return target.candidateVersion;
      if (version === stable) return target.stableVersion;
      const named = readDescription(versions.find((v) => v.Version === version)?.Description)?.named;
      return named ? `${named} (version ${version})` : `version ${version}`;
    };
    const routing = routingOf(alias);
    const weights: Weights = {};
    const add = (version: string, percent: number) => {
      if (percent > 0) weights[nameOf(version)] = (weights[nameOf(version)] ?? 0) + percent;
    };
    let rest = 100;
    for (const [version, percent] of Object.entries(routing.extra)) {
      add(version, percent);
      rest -= percent;
    }
    add(routing.version, rest);
    return weights;
  }

  /** The alias on the candidate's version alone. */
  async promote(target: TrafficTarget): Promise<void> {
    const [alias, versions] = await Promise.all([this.alias(), this.versions()]);
    const candidate = newestFor(versions, target.candidateVersion)?.Version;
    if (!candidate) throw this.notPrepared(target);
    await this.route(alias, { version: candidate, extra: {} });
  }

  /** The alias on the stable version alone; `$LATEST` keeps the candidate's code (nothing invokes it through the alias). */
  async rollback(target: TrafficTarget): Promise<void> {
    const [alias, versions] = await Promise.all([this.alias(), this.versions()]);
    const candidate = newestFor(versions, target.candidateVersion)?.Version;
    const stable = this.requireStable(target, alias, versions, candidate);
    await this.route(alias, { version: stable, extra: {} });
  }

  /**
   * Each version's invocations through the alias in AWS/Lambda: Invocations, Errors and Duration
   * (milliseconds) by FunctionName, Resource (`function:alias`) and ExecutedVersion.
   */
  async versionMetrics(target: TrafficTarget): Promise<VersionMetricSpecs> {
    const [alias, versions] = await Promise.all([this.alias(), this.versions()]);
    const candidate = newestFor(versions, target.candidateVersion)?.Version;
    if (!candidate) throw this.notPrepared(target);
    const stable = this.requireStable(target, alias, versions, candidate);
    const name =
      this.config.functionName.replace(/^arn:[^:]+:lambda:[^:]+:\d+:function:/, '').split(':')[0] ?? '';
    const of = (version: string): VersionMetricSpec => {
      const dimensions = {
        FunctionName: name,
        Resource: `${name}:${this.config.alias}`,
        ExecutedVersion: version,
      };
      const metric = (metricName: string) => ({ namespace: 'AWS/Lambda', metricName, dimensions });
      return {
        requests: metric('Invocations'),
        errors: metric('Errors'),
        latency: { ...metric('Duration'), unitMs: 1 },
      };
    };
    return { candidate: of(candidate), baseline: of(stable) };
  }

  private get functionResource(): string {
    return `function ${this.config.functionName}`;
  }

  private get aliasResource(): string {
    return `alias ${this.config.alias} of function ${this.config.functionName}`;
  }

  private async call<T>(what: string, resource: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      rethrowLambda(error, `lambda-alias ${what}`, resource);
    }
  }

  private alias(): Promise<AliasConfiguration> {
    return this.call('GetAlias', this.aliasResource, () =>
      this.lambda.send(
        new GetAliasCommand({ FunctionName: this.config.functionName, Name: this.config.alias }),
      ),
    );
  }

  /** Every published version, oldest first; Lambda returns 50 a page. */
  private async versions(): Promise<FunctionConfiguration[]> {
    const versions: FunctionConfiguration[] = [];
    let marker: string | undefined;
    do {
      const input = { FunctionName: this.config.functionName, Marker: marker };
      const page = await this.call('ListVersionsByFunction', this.functionResource, () =>
        this.lambda.send(new ListVersionsByFunctionCommand(input)),
      );
      versions.push(...(page.Versions ?? []).filter((v) => v.Version && v.Version !== LATEST));
      marker = page.NextMarker;
    } while (marker);
    return versions.sort((a, b) => Number(a.Version) - Number(b.Version));
  }

  private latest(): Promise<GetFunctionCommandOutput> {
    return this.call('GetFunction', this.functionResource, () =>
      this.lambda.send(new GetFunctionCommand({ FunctionName: this.config.functionName })),
    );
  }

  private assertPackageType(config: FunctionConfiguration, artifact: Artifact): void {
    const wanted = artifact.kind === 'image' ? 'Image' : 'Zip';
    if (config.PackageType && config.PackageType !== wanted) {
      throw new ProviderError(
        `${this.functionResource} is packaged as ${config.PackageType}, so it cannot run ${artifact.name} (${wanted === 'Image' ? 'an image' : 'a .zip package'})`,
      );
    }
  }

  /** Whether `$LATEST` holds the artifact: its image URI, or the code tag written when Stepwise updated it. */
  private holds(latest: GetFunctionCommandOutput, artifact: Artifact): boolean {
    if (artifact.kind === 'image') {
      return latest.Code?.ImageUri === artifact.uri || latest.Code?.ResolvedImageUri === artifact.uri;
    }
    if (latest.TagsError) {
      throw new ProviderError(
        `lambda-alias follows a .zip update by the ${CODE_TAG} tag, but GetFunction returned no tags for ${this.functionResource} (lambda:ListTags allowed?): ${latest.TagsError.ErrorCode}: ${latest.TagsError.Message}`,
      );
    }
    const sha = latest.Configuration?.CodeSha256;
    return sha !== undefined && latest.Tags?.[CODE_TAG] === codeTagValue(sha, artifact.name);
  }

  private async updateCode(config: FunctionConfiguration, artifact: Artifact): Promise<PrepareResult> {
    const bucket = this.config.artifactBucket;
    if (artifact.kind === 'zip' && bucket !== undefined && artifact.bucket !== bucket) {
      throw new InvalidInputError(
        `${artifact.name} is not in providerConfig.artifactBucket '${bucket}', the only bucket Stepwise may read .zip packages from`,
      );
    }
    const code =
      artifact.kind === 'image'
        ? { ImageUri: artifact.uri }
        : { S3Bucket: artifact.bucket, S3Key: artifact.key };
    let updated: FunctionConfiguration;
    try {
      updated = await this.lambda.send(
        new UpdateFunctionCodeCommand({
          FunctionName: this.config.functionName,
          ...code,
          RevisionId: config.RevisionId,
        }),
      );
    } catch (error) {
      if (isPreconditionFailed(error)) return this.changedMeanwhile();
      rethrowLambda(error, 'lambda-alias UpdateFunctionCode', this.functionResource);
    }
    if (artifact.kind === 'zip') {
      const arn = (updated.FunctionArn ?? config.FunctionArn ?? '').replace(/:\$LATEST$/, '');
      if (!arn || !updated.CodeSha256) {
        throw new ProviderError(
          `UpdateFunctionCode of ${this.functionResource} returned no ARN or CodeSha256`,
        );
      }
      const tags = { [CODE_TAG]: codeTagValue(updated.CodeSha256, artifact.name) };
      await this.call('TagResource', this.functionResource, () =>
        this.lambda.send(new TagResourceCommand({ Resource: arn, Tags: tags })),
      );
    }
    return { ready: false, detail: `updating ${this.functionResource} to ${artifact.name}` };
  }

  private async publish(config: FunctionConfiguration, artifact: Artifact, serving: string) {
    let version: FunctionConfiguration;
    try {
      version = await this.lambda.send(
        new PublishVersionCommand({
          FunctionName: this.config.functionName,
          Description: versionDescription(artifact.name, serving),
          // Publishes exactly the $LATEST just checked: a change since is a PreconditionFailed.
          RevisionId: config.RevisionId,
        }),
      );
    } catch (error) {
      if (isPreconditionFailed(error)) return this.changedMeanwhile();
      rethrowLambda(error, 'lambda-alias PublishVersion', this.functionResource);
    }
    // Lambda publishes nothing when $LATEST matches the newest version, and returns that one instead.
    if (version.Version === serving) {
      throw new ProviderError(
        `${artifact.name} is what ${this.aliasResource} already serves: $LATEST matches version ${serving}, so Lambda published no new version`,
      );
    }
    if (!describesArtifact(version.Description, artifact.name)) {
      throw new ProviderError(
        `Lambda published no new version for ${artifact.name}: $LATEST matches version ${version.Version} ('${version.Description ?? ''}'); deploy an artifact that differs from it`,
      );
    }
    return this.stateOf(version, artifact);
  }

  private async readiness(version: string, artifact: Artifact): Promise<PrepareResult> {
    const config = await this.call(
      'GetFunctionConfiguration',
      `version ${version} of ${this.functionResource}`,
      () =>
        this.lambda.send(
          new GetFunctionConfigurationCommand({ FunctionName: this.config.functionName, Qualifier: version }),
        ),
    );
    return this.stateOf(config, artifact);
  }

  private stateOf(version: FunctionConfiguration, artifact: Artifact): PrepareResult {
    const which = `version ${version.Version} of ${this.functionResource}`;
    switch (version.State) {
      case undefined:
      case 'Active':
      case 'Inactive':
        return { ready: true, detail: `${which} runs ${artifact.name}` };
      case 'Failed':
        throw new ProviderError(
          `${which} (${artifact.name}) failed: ${version.StateReasonCode ?? 'no reason code'}: ${version.StateReason ?? 'no reason given'}`,
        );
      default:
        return {
          ready: false,
          detail: `${which} (${artifact.name}) is ${version.State}${version.StateReason ? `: ${version.StateReason}` : ''}`,
        };
    }
  }

  private changedMeanwhile(): PrepareResult {
    return { ready: false, detail: `${this.functionResource} changed while Stepwise read it; looking again` };
  }

  /**
   * The stable version's number: the version the alias serves (unless that is the candidate, or
   * Stepwise published the stable artifact as another version), else the newest version Stepwise
   * published for it, else the version the candidate replaced when it was published.
   */
  private stableNumber(
    target: TrafficTarget,
    alias: AliasConfiguration,
    versions: FunctionConfiguration[],
    candidate: string | undefined,
  ): string | undefined {
    const serving = alias.FunctionVersion;
    const marked = newestFor(versions, target.stableVersion);
    const servingDescription = versions.find((v) => v.Version === serving)?.Description;
    if (
      serving &&
      serving !== candidate &&
      (!marked || describesArtifact(servingDescription, target.stableVersion))
    ) {
      return serving;
    }
    if (marked?.Version) return marked.Version;
    const candidateDescription = versions.find((v) => v.Version === candidate)?.Description;
    return readDescription(candidateDescription)?.replacing;
  }

  private requireStable(
    target: TrafficTarget,
    alias: AliasConfiguration,
    versions: FunctionConfiguration[],
    candidate: string | undefined,
  ): string {
    const stable = this.stableNumber(target, alias, versions, candidate);
    if (!stable) {
      throw new ProviderError(
        `cannot tell which version of ${this.functionResource} is ${target.stableVersion}: the alias serves the candidate and no version description names it`,
      );
    }
    return stable;
  }

  private notPrepared(target: TrafficTarget): ProviderError {
    return new ProviderError(
      `no version of ${this.functionResource} was published for ${target.candidateVersion}: prepare it first`,
    );
  }

  /** Writes the alias only when its routing differs, with the revision read, so a concurrent change is a conflict. */
  private async route(alias: AliasConfiguration, wanted: Routing): Promise<void> {
    if (sameRouting(routingOf(alias), wanted)) return;
    const weights = Object.fromEntries(
      Object.entries(wanted.extra).map(([v, percent]) => [v, percent / 100]),
    );
    await this.call('UpdateAlias', this.aliasResource, () =>
      this.lambda.send(
        new UpdateAliasCommand({
          FunctionName: this.config.functionName,
          Name: this.config.alias,
          FunctionVersion: wanted.version,
          // An empty map removes the routing configuration; leaving it out would keep the old one.
          RoutingConfig: { AdditionalVersionWeights: weights },
          RevisionId: alias.RevisionId,
        }),
      ),
    );
  }
}
