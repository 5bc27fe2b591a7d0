import {
  AppConfigClient,
  BadRequestException,
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  type CreateHostedConfigurationVersionCommandInput,
  type DeploymentState,
  GetApplicationCommand,
  GetConfigurationProfileCommand,
  GetDeploymentCommand,
  type GetDeploymentCommandInput,
  GetDeploymentStrategyCommand,
  GetEnvironmentCommand,
  GetHostedConfigurationVersionCommand,
  type GetHostedConfigurationVersionCommandInput,
  InternalServerException,
  ListDeploymentsCommand,
  type ListDeploymentsCommandInput,
  ListHostedConfigurationVersionsCommand,
  type ListHostedConfigurationVersionsCommandInput,
  ResourceNotFoundException,
  StartDeploymentCommand,
  type StartDeploymentCommandInput,
  StopDeploymentCommand,
  type StopDeploymentCommandInput,
} from '@aws-sdk/client-appconfig';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AppConfigFlagTrafficProvider,
  DESCRIPTION_PREFIX,
} from '../../../../lambdas/adapters/traffic/appconfig-flag/appconfig-flag-provider.ts';
import {
  ConflictError,
  InvalidInputError,
  ProviderError,
  ResourceNotFoundError,
  TransientError,
} from '../../../../lambdas/domain/errors.ts';
import type { TrafficProvider, TrafficTarget } from '../../../../lambdas/ports/traffic.ts';
import { mockClient } from '../../../support/aws-mock.ts';

const APP = 'abc1234';
const ENV = 'env5678';
const PROFILE = 'prf9012';
const OTHER_PROFILE = 'prf0000';
/** A strategy of the account that deploys at once and does not bake, as Stepwise needs. */
const IMMEDIATE = 'qk4zs2x';
const config = {
  applicationId: APP,
  environmentId: ENV,
  configurationProfileId: PROFILE,
  flag: 'newCheckout',
  deploymentStrategyId: IMMEDIATE,
};
/** What GetDeploymentStrategy answers, by id: AppConfig's predefined strategies and one of the account's. */
const STRATEGIES: Record<string, { DeploymentDurationInMinutes: number; FinalBakeTimeInMinutes: number }> = {
  [IMMEDIATE]: { DeploymentDurationInMinutes: 0, FinalBakeTimeInMinutes: 0 },
  'AppConfig.AllAtOnce': { DeploymentDurationInMinutes: 0, FinalBakeTimeInMinutes: 10 },
  'AppConfig.Linear50PercentEvery30Seconds': { DeploymentDurationInMinutes: 1, FinalBakeTimeInMinutes: 1 },
  slow123: { DeploymentDurationInMinutes: 20, FinalBakeTimeInMinutes: 0 },
};
const target: TrafficTarget = {
  service: 'checkout',
  stableVersion: 'checkout-off',
  candidateVersion: 'checkout-on',
};
const weights = (candidate: number) => ({ 'checkout-off': 100 - candidate, 'checkout-on': candidate });

const meta = { $metadata: {} };
const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

interface FlagDocument {
  version: string;
  flags: Record<string, { name: string; attributes?: Record<string, unknown> }>;
  values: Record<string, Record<string, unknown>>;
}

interface FakeDeployment {
  DeploymentNumber: number;
  ConfigurationProfileId: string;
  ConfigurationName: string;
  ConfigurationVersion: string;
  DeploymentStrategyId: string;
  Description?: string;
  FinalBakeTimeInMinutes: number;
  State: DeploymentState;
}

const IN_PROGRESS = ['VALIDATING', 'DEPLOYING', 'BAKING', 'ROLLING_BACK'];

/**
 * A small AppConfig: the profile's hosted versions and the environment's deployments, with
 * AppConfig's rule of one deployment at a time. A started deployment is COMPLETE at once unless
 * `bakeMinutes` is set (then it BAKEs until `finish()`).
 */
class FakeAppConfig {
  versions = new Map<number, { content: string; description?: string }>();
  deployments: FakeDeployment[] = [];
  profileType = 'AWS.AppConfig.FeatureFlags';
  bakeMinutes = 0;
  missing = new Set<'application' | 'environment' | 'profile' | 'strategy'>();
  /** Someone else's write, just before ours. */
  beforeCreate?: () => void;
  private failures = new Map<string, Error>();

  constructor() {
    this.addVersion({
      version: '1',
      flags: {
        newCheckout: { name: 'New checkout' },
        darkMode: { name: 'Dark mode', attributes: { theme: { constraints: { type: 'string' } } } },
      },
      values: { newCheckout: { enabled: false }, darkMode: { enabled: true, theme: 'night' } },
    });
    this.deployments.push(this.record(OTHER_PROFILE, '3', 'COMPLETE'), this.record(PROFILE, '1', 'COMPLETE'));
    this.deployments.reverse();
  }

  failOnce(command: string, error: Error) {
    this.failures.set(command, error);
  }

  private maybeFail(command: string) {
    const error = this.failures.get(command);
    if (error) {
      this.failures.delete(command);
      throw error;
    }
  }

  addVersion(document: FlagDocument | string, description?: string): number {
    const number = this.versions.size + 1;
    const content = typeof document === 'string' ? document : JSON.stringify(document);
    this.versions.set(number, { content, ...(description ? { description } : {}) });
    return number;
  }

  document(version: string | number): FlagDocument {
    return JSON.parse(this.versions.get(Number(version))?.content ?? 'null') as FlagDocument;
  }

  /** The flag document of the profile's newest deployment that clients get. */
  deployed(): FlagDocument | undefined {
    const effective = [...this.deployments]
      .reverse()
      .find(
        (d) => d.ConfigurationProfileId === PROFILE && ['DEPLOYING', 'BAKING', 'COMPLETE'].includes(d.State),
      );
    return effective ? this.document(effective.ConfigurationVersion) : undefined;
  }

  private record(
    profile: string,
    version: string,
    State: DeploymentState,
    Description?: string,
  ): FakeDeployment {
    return {
      DeploymentNumber: this.deployments.length + 1,
      ConfigurationProfileId: profile,
      ConfigurationName: profile === PROFILE ? 'flags' : 'settings',
      ConfigurationVersion: version,
      DeploymentStrategyId: IMMEDIATE,
      FinalBakeTimeInMinutes: this.bakeMinutes,
      State,
      ...(Description ? { Description } : {}),
    };
  }

  /** Someone else deploys `profile` (theirs, not Stepwise's). */
  deployByHand(profile: string, version: string, state: DeploymentState) {
    this.deployments.push(this.record(profile, version, state, 'hand-made'));
  }

  get(kind: 'application' | 'environment' | 'profile' | 'strategy', value: object) {
    this.maybeFail(kind);
    if (this.missing.has(kind)) {
      throw new ResourceNotFoundException({ message: `${kind} not found`, ResourceName: kind, ...meta });
    }
    return value;
  }

  listVersions(input: ListHostedConfigurationVersionsCommandInput) {
    this.maybeFail('ListHostedConfigurationVersions');
    const all = [...this.versions.keys()].sort((a, b) => b - a);
    const start = Number(input.NextToken ?? 0);
    const size = input.MaxResults ?? 50;
    const page = all.slice(start, start + size);
    return {
      Items: page.map((VersionNumber) => ({
        ApplicationId: APP,
        ConfigurationProfileId: PROFILE,
        VersionNumber,
      })),
      ...(start + size < all.length ? { NextToken: String(start + size) } : {}),
    };
  }

  getVersion(input: GetHostedConfigurationVersionCommandInput) {
    this.maybeFail('GetHostedConfigurationVersion');
    const found = this.versions.get(input.VersionNumber ?? 0);
    if (!found) throw new ResourceNotFoundException({ message: 'version not found', ...meta });
    return {
      VersionNumber: input.VersionNumber,
      ContentType: 'application/json',
      Content: new TextEncoder().encode(found.content) as never,
    };
  }

  createVersion(input: CreateHostedConfigurationVersionCommandInput) {
    this.maybeFail('CreateHostedConfigurationVersion');
    this.beforeCreate?.();
    if (input.LatestVersionNumber !== undefined && input.LatestVersionNumber !== this.versions.size) {
      throw new ConflictException({ message: 'Latest version number does not match', ...meta });
    }
    const text = new TextDecoder().decode(input.Content as Uint8Array);
    const document = JSON.parse(text) as FlagDocument;
    for (const [flag, value] of Object.entries(document.values)) {
      for (const key of Object.keys(value)) {
        if (key !== 'enabled' && !document.flags[flag]?.attributes?.[key]) {
          throw new BadRequestException({ message: `attribute ${key} of ${flag} is not defined`, ...meta });
        }
      }
    }
    return { VersionNumber: this.addVersion(text, input.Description) };
  }

  listDeployments(input: ListDeploymentsCommandInput) {
    this.maybeFail('ListDeployments');
    expect(input).toMatchObject({ ApplicationId: APP, EnvironmentId: ENV });
    const newestFirst = [...this.deployments].reverse();
    const start = Number(input.NextToken ?? 0);
    const size = input.MaxResults ?? 50;
    return {
      Items: newestFirst
        .slice(start, start + size)
        .map(({ Description: _d, DeploymentStrategyId: _s, ...d }) => d),
      ...(start + size < newestFirst.length ? { NextToken: String(start + size) } : {}),
    };
  }

  getDeployment(input: GetDeploymentCommandInput) {
    const found = this.deployments.find((d) => d.DeploymentNumber === input.DeploymentNumber);
    if (!found) throw new ResourceNotFoundException({ message: 'deployment not found', ...meta });
    return { ApplicationId: APP, EnvironmentId: ENV, ...found };
  }

  start(input: StartDeploymentCommandInput) {
    this.maybeFail('StartDeployment');
    const running = this.deployments.find((d) => IN_PROGRESS.includes(d.State));
    if (running) {
      throw new ConflictException({
        message: `Deployment ${running.DeploymentNumber} is in progress`,
        ...meta,
      });
    }
    if (!this.versions.has(Number(input.ConfigurationVersion))) {
      throw new BadRequestException({ message: 'no such configuration version', ...meta });
    }
    const deployment = this.record(
      input.ConfigurationProfileId ?? '',
      input.ConfigurationVersion ?? '',
      this.bakeMinutes > 0 ? 'BAKING' : 'COMPLETE',
      input.Description,
    );
    deployment.DeploymentStrategyId = input.DeploymentStrategyId ?? '';
    this.deployments.push(deployment);
    return deployment;
  }

  stop(input: StopDeploymentCommandInput) {
    const found = this.deployments.find((d) => d.DeploymentNumber === input.DeploymentNumber);
    if (!found) throw new ResourceNotFoundException({ message: 'deployment not found', ...meta });
    if (found.State !== 'DEPLOYING' && !input.AllowRevert) {
      throw new BadRequestException({ message: 'only a DEPLOYING deployment can be stopped', ...meta });
    }
    found.State = 'ROLLING_BACK';
    return found;
  }

  /** Time passes: bakes end, rollbacks finish. */
  finish() {
    for (const d of this.deployments) {
      if (d.State === 'BAKING' || d.State === 'DEPLOYING') d.State = 'COMPLETE';
      if (d.State === 'ROLLING_BACK') d.State = 'ROLLED_BACK';
    }
  }
}

const appconfig = mockClient(AppConfigClient);
let fake: FakeAppConfig;
let provider: AppConfigFlagTrafficProvider;

beforeEach(() => {
  appconfig.reset();
  fake = new FakeAppConfig();
  appconfig.on(GetApplicationCommand).callsFake(() => fake.get('application', { Id: APP, Name: 'shop' }));
  appconfig.on(GetEnvironmentCommand).callsFake(() => fake.get('environment', { Id: ENV, Name: 'prod' }));
  appconfig
    .on(GetConfigurationProfileCommand)
    .callsFake(() =>
      fake.get('profile', { Id: PROFILE, Name: 'flags', LocationUri: 'hosted', Type: fake.profileType }),
    );
  appconfig.on(GetDeploymentStrategyCommand).callsFake((input) =>
    fake.get('strategy', {
      Id: input.DeploymentStrategyId,
      ...STRATEGIES[input.DeploymentStrategyId ?? ''],
    }),
  );
  appconfig.on(ListHostedConfigurationVersionsCommand).callsFake((input) => fake.listVersions(input));
  appconfig.on(GetHostedConfigurationVersionCommand).callsFake((input) => fake.getVersion(input));
  appconfig.on(CreateHostedConfigurationVersionCommand).callsFake((input) => fake.createVersion(input));
  appconfig.on(ListDeploymentsCommand).callsFake((input) => fake.listDeployments(input));
  appconfig.on(GetDeploymentCommand).callsFake((input) => fake.getDeployment(input));
  appconfig.on(StartDeploymentCommand).callsFake((input) => fake.start(input));
  appconfig.on(StopDeploymentCommand).callsFake((input) => fake.stop(input));
  provider = new AppConfigFlagTrafficProvider(new AppConfigClient({ region: 'eu-west-1' }), config);
});

/** No call that changes something, only reads. */
function expectNoWrites() {
  expect(appconfig).not.toHaveReceivedCommand(CreateHostedConfigurationVersionCommand);
  expect(appconfig).not.toHaveReceivedCommand(StartDeploymentCommand);
  expect(appconfig).not.toHaveReceivedCommand(StopDeploymentCommand);
}

describe('AppConfigFlagTrafficProvider config', () => {
  const client = new AppConfigClient({ region: 'eu-west-1' });

  it('names a missing field', () => {
    const { flag: _flag, ...rest } = config;
    expect(() => new AppConfigFlagTrafficProvider(client, rest)).toThrow(
      new InvalidInputError('providerConfig.flag is required'),
    );
    expect(() => new AppConfigFlagTrafficProvider(client, undefined)).toThrow(
      'providerConfig.applicationId is required',
    );
  });

  it('names a bad value and shows it', () => {
    expect(() => new AppConfigFlagTrafficProvider(client, { ...config, environmentId: 'Prod' })).toThrow(
      'providerConfig.environmentId must match pattern "^[a-z0-9]{4,7}$", got "Prod"',
    );
    expect(() => new AppConfigFlagTrafficProvider(client, { ...config, flag: 'New Checkout' })).toThrow(
      /^providerConfig\.flag must match pattern/,
    );
    expect(
      () => new AppConfigFlagTrafficProvider(client, { ...config, deploymentStrategyId: 'AllAtOnce' }),
    ).toThrow(/^providerConfig\.deploymentStrategyId must match pattern/);
  });

  it('takes how long a flag deployment may take to finish, from 15 s', () => {
    expect(
      () => new AppConfigFlagTrafficProvider(client, { ...config, rolloutTimeoutSeconds: 1_800 }),
    ).not.toThrow();
    expect(() => new AppConfigFlagTrafficProvider(client, { ...config, rolloutTimeoutSeconds: 5 })).toThrow(
      'providerConfig.rolloutTimeoutSeconds must be >= 15',
    );
  });

  it('names an unknown field', () => {
    expect(() => new AppConfigFlagTrafficProvider(client, { ...config, cluster: 'prod' })).toThrow(
      'providerConfig.cluster is not a known field',
    );
  });
});

describe('AppConfigFlagTrafficProvider.prepare', () => {
  it('finds the application, environment, profile, strategy and flag, and writes nothing', async () => {
    expect(await provider.prepare(target)).toEqual({
      ready: true,
      detail: 'flag newCheckout found in profile prf9012',
    });
    expectNoWrites();
    expect(await provider.getWeights(target)).toEqual(weights(0));
  });

  it('needs a deployment strategy: no predefined one fits', () => {
    const { deploymentStrategyId: _strategy, ...rest } = config;
    expect(
      () => new AppConfigFlagTrafficProvider(new AppConfigClient({ region: 'eu-west-1' }), rest),
    ).toThrow(new InvalidInputError('providerConfig.deploymentStrategyId is required'));
  });

  it.each([
    ['AppConfig.AllAtOnce', 0, 10],
    ['AppConfig.Linear50PercentEvery30Seconds', 1, 1],
    ['slow123', 20, 0],
  ])(
    'refuses, naming the field and writing nothing, the strategy %s (%i min, bake %i min)',
    async (id, duration, bake) => {
      provider = new AppConfigFlagTrafficProvider(new AppConfigClient({ region: 'eu-west-1' }), {
        ...config,
        deploymentStrategyId: id,
      });
      await expect(provider.prepare(target)).rejects.toThrow(
        new InvalidInputError(
          `providerConfig.deploymentStrategyId ${id} deploys over ${duration} min and bakes ${bake} min; Stepwise needs one with DeploymentDurationInMinutes 0 and FinalBakeTimeInMinutes 0: AppConfig deploys nothing else to the environment for those ${duration + bake} min, so the next step or deployment conflicts, and Stepwise bakes and judges each step itself. Create one as docs/providers/appconfig-flag.md shows`,
        ),
      );
      expectNoWrites();
    },
  );

  it.each([
    ['application', 'AppConfig application abc1234 not found'],
    ['environment', 'AppConfig environment env5678 not found in application abc1234'],
    ['profile', 'AppConfig configuration profile prf9012 not found in application abc1234'],
    ['strategy', 'AppConfig deployment strategy qk4zs2x not found'],
  ] as const)('names a missing %s', async (kind, message) => {
    fake.missing.add(kind);
    await expect(provider.prepare(target)).rejects.toThrow(new ResourceNotFoundError(message));
  });

  it('names a missing flag', async () => {
    provider = new AppConfigFlagTrafficProvider(new AppConfigClient({ region: 'eu-west-1' }), {
      ...config,
      flag: 'oneClick',
    });
    await expect(provider.prepare(target)).rejects.toThrow(
      new ResourceNotFoundError('flag oneClick not found in AppConfig profile prf9012 (version 1)'),
    );
  });

  it('refuses a profile that is not a feature-flag profile', async () => {
    fake.profileType = 'AWS.Freeform';
    await expect(provider.prepare(target)).rejects.toThrow(InvalidInputError);
  });
});

describe('AppConfigFlagTrafficProvider shifting', () => {
  it('prepares, shifts and promotes: the deployed flag is on for everyone', async () => {
    await provider.prepare(target);
    for (const percent of [10, 50]) {
      await provider.setWeights(target, weights(percent));
      expect(await provider.getWeights(target)).toEqual(weights(percent));
    }
    await provider.promote(target);

    expect(await provider.getWeights(target)).toEqual(weights(100));
    const deployed = fake.deployed();
    expect(deployed?.values.newCheckout).toEqual({ enabled: true, rolloutPercentage: 100 });
    expect(deployed?.flags.newCheckout?.attributes).toEqual({
      rolloutPercentage: { constraints: { type: 'number', minimum: 0, maximum: 100 } },
    });
    // The rest of the profile is carried over untouched.
    expect(deployed?.values.darkMode).toEqual({ enabled: true, theme: 'night' });
    expect(deployed?.flags.darkMode).toEqual(fake.document(1).flags.darkMode);
    const ours = fake.deployments.filter((d) => d.Description?.startsWith(DESCRIPTION_PREFIX));
    expect(ours.map((d) => d.DeploymentStrategyId)).toEqual(Array(3).fill(IMMEDIATE));
  });

  it('prepares, shifts and rolls back: the deployed flag is off', async () => {
    await provider.prepare(target);
    await provider.setWeights(target, weights(25));
    await provider.rollback(target);

    expect(await provider.getWeights(target)).toEqual(weights(0));
    expect(fake.deployed()?.values.newCheckout).toEqual({ enabled: false, rolloutPercentage: 0 });
  });

  it('writes nothing when the deployed flag already has the percentage', async () => {
    await provider.setWeights(target, weights(25));
    appconfig.resetHistory();

    await provider.setWeights(target, weights(25));
    expectNoWrites();

    fake = new FakeAppConfig();
    await provider.rollback(target);
    expectNoWrites();
  });

  it('deploys the version it created when starting the deployment failed', async () => {
    fake.failOnce('StartDeployment', throttling());
    await expect(provider.setWeights(target, weights(25))).rejects.toThrow(TransientError);

    await provider.setWeights(target, weights(25));
    expect(appconfig).toHaveReceivedCommandTimes(CreateHostedConfigurationVersionCommand, 1);
    expect(await provider.getWeights(target)).toEqual(weights(25));
  });

  it('uses the configured strategy and percentage attribute', async () => {
    provider = new AppConfigFlagTrafficProvider(new AppConfigClient({ region: 'eu-west-1' }), {
      ...config,
      deploymentStrategyId: 'qk4zs2x',
      percentageAttribute: 'share',
    });
    await provider.setWeights(target, weights(30));
    expect(fake.deployed()?.values.newCheckout).toEqual({ enabled: true, share: 30 });
    expect(appconfig).toHaveReceivedCommandWith(StartDeploymentCommand, {
      DeploymentStrategyId: 'qk4zs2x',
      ConfigurationProfileId: PROFILE,
    });
  });

  it('reads the deployed configuration, not a newer version nobody deployed', async () => {
    await provider.setWeights(target, weights(25));
    const draft = fake.document(2);
    fake.addVersion({
      ...draft,
      values: { ...draft.values, newCheckout: { enabled: true, rolloutPercentage: 90 } },
    });
    expect(await provider.getWeights(target)).toEqual(weights(25));
  });

  it('reads past a deployment AppConfig rolled back', async () => {
    await provider.setWeights(target, weights(25));
    const last = fake.deployments.at(-1);
    if (last) last.State = 'ROLLED_BACK';
    expect(await provider.getWeights(target)).toEqual(weights(0));
  });

  it('reads a flag that is on without the attribute as on for everyone', async () => {
    const first = fake.document(1);
    const version = fake.addVersion({
      ...first,
      values: { ...first.values, newCheckout: { enabled: true } },
    });
    fake.deployByHand(PROFILE, String(version), 'COMPLETE');
    expect(await provider.getWeights(target)).toEqual(weights(100));
  });

  it('refuses to read a percentage that is not a whole percent', async () => {
    const first = fake.document(1);
    const version = fake.addVersion({
      ...first,
      values: { ...first.values, newCheckout: { enabled: true, rolloutPercentage: 12.5 } },
    });
    fake.deployByHand(PROFILE, String(version), 'COMPLETE');
    await expect(provider.getWeights(target)).rejects.toThrow(
      new ProviderError(
        `flag newCheckout has rolloutPercentage 12.5 in version ${version}; Stepwise reads a whole percent from 0 to 100`,
      ),
    );
  });

  it('refuses weights that name a third version', async () => {
    await expect(provider.setWeights(target, { 'checkout-off': 50, other: 50 })).rejects.toThrow(
      InvalidInputError,
    );
    expectNoWrites();
  });
});

describe('AppConfigFlagTrafficProvider deployments in progress', () => {
  it('refuses to shift while another deployment holds the environment', async () => {
    fake.deployByHand(OTHER_PROFILE, '3', 'BAKING');
    await expect(provider.setWeights(target, weights(25))).rejects.toThrow(ConflictError);
    expectNoWrites();
  });

  it('says to drop the bake when its own previous step is still baking', async () => {
    fake.bakeMinutes = 10;
    await provider.setWeights(target, weights(10));
    await expect(provider.setWeights(target, weights(50))).rejects.toThrow(
      /is BAKING \(baking 10 min\) in environment env5678, .*: use a deployment strategy with no bake time/,
    );
  });

  it('writes nothing when the deployment in progress already carries the percentage', async () => {
    fake.bakeMinutes = 10;
    await provider.setWeights(target, weights(10));
    appconfig.resetHistory();
    await provider.setWeights(target, weights(10));
    expectNoWrites();
    expect(await provider.getWeights(target)).toEqual(weights(10));
  });

  it('rolls back by stopping its own baking deployment, then turning the flag off', async () => {
    fake.bakeMinutes = 10;
    await provider.setWeights(target, weights(10));
    await expect(provider.rollback(target)).rejects.toThrow(TransientError);
    expect(appconfig).toHaveReceivedCommandWith(StopDeploymentCommand, {
      ApplicationId: APP,
      EnvironmentId: ENV,
      AllowRevert: true,
    });

    await expect(provider.rollback(target)).rejects.toThrow(TransientError);
    fake.finish();
    await provider.rollback(target);
    expect(await provider.getWeights(target)).toEqual(weights(0));
  });

  it('does not stop a deployment of the profile that someone else started', async () => {
    const first = fake.document(1);
    const version = fake.addVersion({
      ...first,
      values: { ...first.values, newCheckout: { enabled: true, rolloutPercentage: 40 } },
    });
    fake.deployByHand(PROFILE, String(version), 'BAKING');
    await expect(provider.rollback(target)).rejects.toThrow(ConflictError);
    expect(appconfig).not.toHaveReceivedCommand(StopDeploymentCommand);
  });

  it('does not stop the deployment Stepwise started for another flag of the profile', async () => {
    fake.bakeMinutes = 10;
    await provider.setWeights(target, weights(40));
    fake.finish();
    const other = new AppConfigFlagTrafficProvider(new AppConfigClient({ region: 'eu-west-1' }), {
      ...config,
      flag: 'darkMode',
    });
    await other.setWeights({ ...target, service: 'theme' }, weights(50));
    await expect(provider.rollback(target)).rejects.toThrow(ConflictError);
    expect(appconfig).not.toHaveReceivedCommand(StopDeploymentCommand);
  });

  it('refuses to overwrite a version someone else created meanwhile', async () => {
    fake.beforeCreate = () => {
      fake.addVersion(fake.document(1));
      fake.beforeCreate = undefined;
    };
    await expect(provider.setWeights(target, weights(25))).rejects.toThrow(ConflictError);
    expect(appconfig).not.toHaveReceivedCommand(StartDeploymentCommand);
  });
});

describe('AppConfigFlagTrafficProvider capabilities', () => {
  it('has neither segment routing nor stopping and starting: a flag only sets its percentage', () => {
    const port: TrafficProvider = provider;
    expect(port.segments).toBeUndefined();
    expect(port.stopStart).toBeUndefined();
  });
});

describe('AppConfigFlagTrafficProvider errors', () => {
  it('turns throttling and AppConfig server errors into TransientError', async () => {
    fake.failOnce('ListDeployments', throttling());
    await expect(provider.getWeights(target)).rejects.toThrow(TransientError);
    fake.failOnce('GetHostedConfigurationVersion', new InternalServerException({ message: 'boom', ...meta }));
    await expect(provider.getWeights(target)).rejects.toThrow(TransientError);
  });

  it('turns a refused configuration into ProviderError', async () => {
    fake.failOnce(
      'CreateHostedConfigurationVersion',
      new BadRequestException({ message: 'Configuration fails validation', ...meta }),
    );
    await expect(provider.setWeights(target, weights(25))).rejects.toThrow(
      new ProviderError(
        'creating a configuration version: BadRequestException: Configuration fails validation',
      ),
    );
  });

  it('names the environment when it is gone', async () => {
    fake.failOnce('ListDeployments', new ResourceNotFoundException({ message: 'not found', ...meta }));
    await expect(provider.getWeights(target)).rejects.toThrow(
      new ResourceNotFoundError('AppConfig environment env5678 not found in application abc1234'),
    );
  });

  it('turns a deployment conflict into ConflictError', async () => {
    fake.failOnce('StartDeployment', new ConflictException({ message: 'Deployment in progress', ...meta }));
    await expect(provider.setWeights(target, weights(25))).rejects.toThrow(
      new ConflictError('starting a deployment: Deployment in progress'),
    );
  });
});
