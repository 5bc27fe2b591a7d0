import {
  type AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  type DeploymentSummary,
  GetApplicationCommand,
  GetConfigurationProfileCommand,
  GetDeploymentCommand,
  GetDeploymentStrategyCommand,
  GetEnvironmentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import {
  ConflictError,
  InvalidInputError,
  NotReadyYetError,
  ProviderError,
  ResourceNotFoundError,
} from '../../../domain/errors.ts';
import type { Weights } from '../../../domain/types.ts';
import type { PrepareResult, TrafficProvider, TrafficTarget } from '../../../ports/traffic.ts';
import { candidatePercent } from '../candidate-percent.ts';
import { type ErrorReading, type FailedCall, meaningOf, rethrow } from '../provider-errors.ts';
import {
  type AppConfigFlagConfig,
  DEFAULT_PERCENTAGE_ATTRIBUTE,
  parseAppConfigFlagConfig,
} from './config.ts';

export const FEATURE_FLAGS_TYPE = 'AWS.AppConfig.FeatureFlags';
/** Starts the Description of every version and deployment this provider writes (`stepwise: <flag> at <p>% ...`): a rollback stops only those of its flag. */
export const DESCRIPTION_PREFIX = 'stepwise:';

/** AppConfig runs one deployment per environment at a time: these hold the environment. */
const IN_PROGRESS = new Set(['VALIDATING', 'DEPLOYING', 'BAKING', 'ROLLING_BACK']);
/** A deployment in these states is what clients get, or are about to. */
const EFFECTIVE = new Set(['VALIDATING', 'DEPLOYING', 'BAKING', 'COMPLETE']);
const PAGE_SIZE = 50;
/** How far back ListDeployments is read for the flag's last effective deployment. */
const DEPLOYMENT_PAGES_MAX = 10;

interface FlagDefinition {
  attributes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The AWS.AppConfig.FeatureFlags document: `{ flags: {...}, values: {...}, version: "1" }`. */
interface FlagDocument {
  version?: string;
  flags?: Record<string, FlagDefinition>;
  values?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

interface HostedVersion {
  number: number;
  document: FlagDocument;
}

/**
 * A feature flag in AWS AppConfig whose rollout percentage is the weight. The stable version is
 * the flag off, the candidate the flag on for `percentageAttribute` percent of requests (the
 * application buckets them): weights are `{ stable: 100 - p, candidate: p }`. Every write is a
 * new hosted configuration version and a deployment; see docs/providers/appconfig-flag.md.
 */
export class AppConfigFlagTrafficProvider implements TrafficProvider {
  private readonly appconfig: AppConfigClient;
  private readonly config: AppConfigFlagConfig & { percentageAttribute: string };

  /** Validates `providerConfig` (InvalidInputError naming the field) so a bad config fails before anything runs. */
  constructor(appconfig: AppConfigClient, providerConfig: unknown) {
    this.appconfig = appconfig;
    const config = parseAppConfigFlagConfig(providerConfig);
    this.config = {
      ...config,
      percentageAttribute: config.percentageAttribute ?? DEFAULT_PERCENTAGE_ATTRIBUTE,
    };
  }

  /**
   * Checks that the application, environment, profile, strategy and flag exist, and that the
   * strategy deploys at once with no bake (`assertImmediate`); writes nothing.
   */
  async prepare(_target: TrafficTarget): Promise<PrepareResult> {
    const { applicationId: ApplicationId, environmentId: EnvironmentId } = this.config;
    const { configurationProfileId: ConfigurationProfileId, deploymentStrategyId } = this.config;
    await this.send(
      'reading the application',
      () => this.appconfig.send(new GetApplicationCommand({ ApplicationId })),
      `AppConfig application ${ApplicationId} not found`,
    );
    await this.send(
      'reading the environment',
      () => this.appconfig.send(new GetEnvironmentCommand({ ApplicationId, EnvironmentId })),
      `AppConfig environment ${EnvironmentId} not found in application ${ApplicationId}`,
    );
    const profile = await this.send(
      'reading the configuration profile',
      () =>
        this.appconfig.send(new GetConfigurationProfileCommand({ ApplicationId, ConfigurationProfileId })),
      `AppConfig configuration profile ${ConfigurationProfileId} not found in application ${ApplicationId}`,
    );
    if (profile.Type !== FEATURE_FLAGS_TYPE || profile.LocationUri !== 'hosted') {
      throw new InvalidInputError(
        `providerConfig.configurationProfileId ${ConfigurationProfileId} is a ${profile.Type ?? 'freeform'} profile stored at ${profile.LocationUri ?? 'an unknown location'}; the appconfig-flag provider needs a hosted ${FEATURE_FLAGS_TYPE} profile`,
      );
    }
    const strategy = await this.send(
      'reading the deployment strategy',
      () =>
        this.appconfig.send(new GetDeploymentStrategyCommand({ DeploymentStrategyId: deploymentStrategyId })),
      `AppConfig deployment strategy ${deploymentStrategyId} not found`,
    );
    assertImmediate(deploymentStrategyId, strategy);
    this.definitionOf(await this.latest());
    return { ready: true, detail: `flag ${this.config.flag} found in profile ${ConfigurationProfileId}` };
  }

  /** Deploys the flag at the candidate's percent; no write when that is what is deployed (or deploying). */
  async setWeights(target: TrafficTarget, weights: Weights): Promise<void> {
    await this.deploy(target, candidatePercent(target, weights), false);
  }

  /** The percent in the configuration the environment's last effective deployment of the profile carries. */
  async getWeights(target: TrafficTarget): Promise<Weights> {
    const percent = await this.deployedPercent();
    return { [target.stableVersion]: 100 - percent, [target.candidateVersion]: percent };
  }

  async promote(target: TrafficTarget): Promise<void> {
    await this.deploy(target, 100, false);
  }

  /**
   * Turns the flag off. A deployment this provider started that is still in progress is stopped
   * first (AppConfig reverts it), then the next attempt deploys the flag off.
   */
  async rollback(target: TrafficTarget): Promise<void> {
    await this.deploy(target, 0, true);
  }

  private async deploy(target: TrafficTarget, percent: number, stopOwn: boolean): Promise<void> {
    const { applicationId: ApplicationId, environmentId: EnvironmentId, flag } = this.config;
    const { configurationProfileId: ConfigurationProfileId } = this.config;
    const recent = await this.deployments();
    const newest = recent[0];
    // No newer deployment can start while one runs, so a running one is the newest.
    if (newest && IN_PROGRESS.has(newest.State ?? '')) {
      const running = await this.send('reading the running deployment', () =>
        this.appconfig.send(
          new GetDeploymentCommand({
            ApplicationId,
            EnvironmentId,
            DeploymentNumber: newest.DeploymentNumber,
          }),
        ),
      );
      // A rollback takes AppConfig moments, and the environment is free after it.
      if (running.State === 'ROLLING_BACK') {
        throw new NotReadyYetError(
          `AppConfig is rolling back deployment ${running.DeploymentNumber} in environment ${EnvironmentId}`,
        );
      }
      if (running.ConfigurationProfileId === ConfigurationProfileId && running.ConfigurationVersion) {
        const deploying = await this.version(running.ConfigurationVersion);
        if (this.percentOf(deploying.document, `version ${deploying.number}`) === percent) return;
        // Only a deployment Stepwise started for this flag: stopping it reverts nobody else's change.
        if (stopOwn && running.Description?.startsWith(`${DESCRIPTION_PREFIX} ${flag} at `)) {
          await this.send('stopping the running deployment', () =>
            this.appconfig.send(
              new StopDeploymentCommand({
                ApplicationId,
                EnvironmentId,
                DeploymentNumber: running.DeploymentNumber,
                AllowRevert: true,
              }),
            ),
          );
          throw new NotReadyYetError(
            `stopped AppConfig deployment ${running.DeploymentNumber} of flag ${flag}; it goes to ${percent}% once AppConfig has rolled that back`,
          );
        }
      }
      const bake = running.State === 'BAKING' ? ` (baking ${running.FinalBakeTimeInMinutes ?? '?'} min)` : '';
      throw new ConflictError(
        `AppConfig deployment ${running.DeploymentNumber} of profile ${running.ConfigurationProfileId} is ${running.State}${bake} in environment ${EnvironmentId}, and AppConfig runs one deployment per environment at a time${bake ? ': use a deployment strategy with no bake time, Stepwise bakes and judges each step' : ''}`,
      );
    }
    if ((await this.deployedPercent(recent)) === percent) return;
    const latest = await this.latest();
    const wanted = this.withPercent(latest, percent);
    let version = latest.number;
    // The latest version may already say so: a retry after the version was created but not deployed.
    if (JSON.stringify(wanted) !== JSON.stringify(latest.document)) {
      const created = await this.send('creating a configuration version', () =>
        this.appconfig.send(
          new CreateHostedConfigurationVersionCommand({
            ApplicationId,
            ConfigurationProfileId,
            Content: new TextEncoder().encode(JSON.stringify(wanted, null, 2)),
            ContentType: 'application/json',
            // Someone else's version in between makes this a conflict rather than an overwrite.
            LatestVersionNumber: latest.number,
            Description: `${DESCRIPTION_PREFIX} ${flag} at ${percent}% for ${target.service}`,
          }),
        ),
      );
      if (created.VersionNumber === undefined) {
        throw new ProviderError('CreateHostedConfigurationVersion returned no version number');
      }
      version = created.VersionNumber;
    }
    await this.send('starting a deployment', () =>
      this.appconfig.send(
        new StartDeploymentCommand({
          ApplicationId,
          EnvironmentId,
          ConfigurationProfileId,
          ConfigurationVersion: String(version),
          DeploymentStrategyId: this.config.deploymentStrategyId,
          Description: `${DESCRIPTION_PREFIX} ${flag} at ${percent}% for ${target.service} (${target.candidateVersion})`,
        }),
      ),
    );
  }

  private async deployedPercent(recent?: DeploymentSummary[]): Promise<number> {
    const effective = (recent ?? (await this.deployments())).find(
      (d) => EFFECTIVE.has(d.State ?? '') && d.ConfigurationProfileId === this.config.configurationProfileId,
    );
    // Nothing deployed: clients get no flag at all, which is the flag off.
    if (!effective?.ConfigurationVersion) return 0;
    const deployed = await this.version(effective.ConfigurationVersion);
    return this.percentOf(deployed.document, `version ${deployed.number}`);
  }

  /** The environment's deployments, newest first, as far back as the flag's last effective one. */
  private async deployments(): Promise<DeploymentSummary[]> {
    const { applicationId: ApplicationId, environmentId: EnvironmentId } = this.config;
    const found: DeploymentSummary[] = [];
    let NextToken: string | undefined;
    for (let page = 0; page < DEPLOYMENT_PAGES_MAX; page++) {
      const out = await this.send(
        'listing deployments',
        () =>
          this.appconfig.send(
            new ListDeploymentsCommand({ ApplicationId, EnvironmentId, MaxResults: PAGE_SIZE, NextToken }),
          ),
        `AppConfig environment ${EnvironmentId} not found in application ${ApplicationId}`,
      );
      found.push(...(out.Items ?? []));
      const ownEffective = found.some(
        (d) =>
          EFFECTIVE.has(d.State ?? '') && d.ConfigurationProfileId === this.config.configurationProfileId,
      );
      NextToken = out.NextToken;
      if (ownEffective || !NextToken) break;
    }
    return found.sort((a, b) => (b.DeploymentNumber ?? 0) - (a.DeploymentNumber ?? 0));
  }

  /** The newest hosted configuration version of the profile. */
  private async latest(): Promise<HostedVersion> {
    const { applicationId: ApplicationId, configurationProfileId: ConfigurationProfileId } = this.config;
    let newest: number | undefined;
    let NextToken: string | undefined;
    do {
      const out = await this.send(
        'listing configuration versions',
        () =>
          this.appconfig.send(
            new ListHostedConfigurationVersionsCommand({
              ApplicationId,
              ConfigurationProfileId,
              MaxResults: PAGE_SIZE,
              NextToken,
            }),
          ),
        `AppConfig configuration profile ${ConfigurationProfileId} not found in application ${ApplicationId}`,
      );
      for (const item of out.Items ?? []) {
        if (item.VersionNumber !== undefined && (newest === undefined || item.VersionNumber > newest)) {
          newest = item.VersionNumber;
        }
      }
      NextToken = out.NextToken;
    } while (NextToken);
    if (newest === undefined) {
      throw new ResourceNotFoundError(
        `AppConfig configuration profile ${ConfigurationProfileId} has no configuration version, so no flag ${this.config.flag}`,
      );
    }
    return this.version(String(newest));
  }

  /** A hosted version by number, or by label (a deployment may name its version either way). */
  private async version(numberOrLabel: string): Promise<HostedVersion> {
    const { applicationId: ApplicationId, configurationProfileId: ConfigurationProfileId } = this.config;
    let number = Number(numberOrLabel);
    if (!/^\d+$/.test(numberOrLabel)) {
      const out = await this.send('finding a configuration version by label', () =>
        this.appconfig.send(
          new ListHostedConfigurationVersionsCommand({
            ApplicationId,
            ConfigurationProfileId,
            VersionLabel: numberOrLabel,
          }),
        ),
      );
      const found = out.Items?.[0]?.VersionNumber;
      if (found === undefined) {
        throw new ResourceNotFoundError(
          `configuration version ${numberOrLabel} not found in AppConfig profile ${ConfigurationProfileId}`,
        );
      }
      number = found;
    }
    const out = await this.send(
      `reading configuration version ${number}`,
      () =>
        this.appconfig.send(
          new GetHostedConfigurationVersionCommand({
            ApplicationId,
            ConfigurationProfileId,
            VersionNumber: number,
          }),
        ),
      `configuration version ${number} not found in AppConfig profile ${ConfigurationProfileId}`,
    );
    const text = new TextDecoder().decode(out.Content ?? new Uint8Array());
    try {
      return { number, document: JSON.parse(text) as FlagDocument };
    } catch (error) {
      throw new ProviderError(
        `configuration version ${number} of AppConfig profile ${ConfigurationProfileId} is not JSON`,
        { cause: error },
      );
    }
  }

  private definitionOf(version: HostedVersion): FlagDefinition {
    const definition = version.document.flags?.[this.config.flag];
    if (!definition) {
      throw new ResourceNotFoundError(
        `flag ${this.config.flag} not found in AppConfig profile ${this.config.configurationProfileId} (version ${version.number})`,
      );
    }
    return definition;
  }

  /** The flag's rollout percent: 0 when off; 100 when on without the attribute. */
  private percentOf(document: FlagDocument, where: string): number {
    const { flag, percentageAttribute } = this.config;
    const value = document.values?.[flag];
    if (value?.enabled !== true) return 0;
    const percent = value[percentageAttribute];
    if (percent === undefined) return 100;
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      throw new ProviderError(
        `flag ${flag} has ${percentageAttribute} ${JSON.stringify(percent)} in ${where}; Stepwise reads a whole percent from 0 to 100`,
      );
    }
    return percent;
  }

  /** The document with the flag on at `percent` (off at 0), declaring the attribute if the flag lacks it. */
  private withPercent(version: HostedVersion, percent: number): FlagDocument {
    const { flag, percentageAttribute } = this.config;
    const document = version.document;
    const definition = this.definitionOf(version);
    const attributes = definition.attributes ?? {};
    return {
      ...document,
      flags: {
        ...document.flags,
        [flag]: {
          ...definition,
          attributes:
            percentageAttribute in attributes
              ? attributes
              : {
                  ...attributes,
                  [percentageAttribute]: { constraints: { type: 'number', minimum: 0, maximum: 100 } },
                },
        },
      },
      values: {
        ...document.values,
        [flag]: { ...document.values?.[flag], enabled: percent > 0, [percentageAttribute]: percent },
      },
    };
  }

  /** Runs an AppConfig call and maps its failure to the error the state machine acts on. */
  private async send<T>(what: string, call: () => Promise<T>, notFound?: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      return rethrow(
        {
          ...APPCONFIG_ERRORS,
          wording: {
            'not-found': (failed) => notFound ?? `${failed.what}: ${failed.message}`,
            ...CONFLICT_WORDING,
          },
        },
        error,
        what,
      );
    }
  }
}

/** AppConfig's errors and what they mean to the state machine. */
const APPCONFIG_ERRORS: ErrorReading = {
  meanings: {
    ResourceNotFoundException: 'not-found',
    ConflictException: 'conflict',
    InternalServerException: 'transient',
    ...meaningOf('refused', [
      'BadRequestException',
      'PayloadTooLargeException',
      'ServiceQuotaExceededException',
      'AccessDeniedException',
    ]),
  },
};
const CONFLICT_WORDING = { conflict: (failed: FailedCall) => `${failed.what}: ${failed.message}` };

/**
 * A strategy's time in an environment must fit every plan, and the plan's allowance is none:
 * AppConfig starts no other deployment in the environment while one deploys or bakes, and the
 * next write comes as soon as the plan moves on, which a plan may do at once (a zero bake), and a
 * rollback at any moment. A duration also makes the rollback itself reach clients only over
 * that time, and shows clients the old percentage while the weight reads the new one. Stepwise
 * bakes and judges each step itself, so the strategy must do neither.
 */
function assertImmediate(
  id: string,
  strategy: { DeploymentDurationInMinutes?: number; FinalBakeTimeInMinutes?: number },
): void {
  const duration = strategy.DeploymentDurationInMinutes ?? 0;
  const bake = strategy.FinalBakeTimeInMinutes ?? 0;
  if (duration + bake === 0) return;
  throw new InvalidInputError(
    `providerConfig.deploymentStrategyId ${id} deploys over ${duration} min and bakes ${bake} min; Stepwise needs one with DeploymentDurationInMinutes 0 and FinalBakeTimeInMinutes 0: AppConfig deploys nothing else to the environment for those ${duration + bake} min, so the next step or deployment conflicts, and Stepwise bakes and judges each step itself. Create one as docs/providers/appconfig-flag.md shows`,
  );
}
