import type { AppConfigClient } from '@aws-sdk/client-appconfig';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { InvalidInputError } from '../../domain/errors.ts';
import type { ProviderLimits } from '../../domain/requests.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Store } from '../../ports/store.ts';
import type { TrafficProvider } from '../../ports/traffic.ts';
import { AppConfigFlagTrafficProvider } from './appconfig-flag/appconfig-flag-provider.ts';
import { parseAppConfigFlagConfig } from './appconfig-flag/config.ts';
import { parseEcsAlbConfig } from './ecs-alb/config.ts';
import { EcsAlbTrafficProvider } from './ecs-alb/ecs-alb-provider.ts';
import { parseEcsRollingConfig } from './ecs-rolling/config.ts';
import { EcsRollingTrafficProvider } from './ecs-rolling/ecs-rolling-provider.ts';
import { parseLambdaAliasConfig } from './lambda-alias/config.ts';
import { LambdaAliasTrafficProvider } from './lambda-alias/lambda-alias-provider.ts';
import { SimulatedTrafficProvider } from './simulated-provider.ts';

export const PROVIDER_KINDS = [
  'simulated',
  'ecs-alb',
  'ecs-rolling',
  'lambda-alias',
  'appconfig-flag',
] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** The AWS clients the real providers use, made once per Lambda container. */
export interface AwsProviderClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  lambda: LambdaClient;
  appconfig: AppConfigClient;
}

export interface ProviderDeps {
  store: Store;
  clock: Clock;
  /** The AWS clients, asked for only when a real provider is used (the local runtime has none). */
  aws?: () => AwsProviderClients;
}

/**
 * The provider for a service's configured kind and resource identifiers (`providerConfig` in the
 * registry). An unknown kind is an error, never a default.
 */
export type ProviderFactory = (kind: string, config?: Record<string, unknown>) => TrafficProvider;

export function makeProviderFactory(deps: ProviderDeps): ProviderFactory {
  const aws = () => {
    if (!deps.aws)
      throw new InvalidInputError('this runtime has no AWS clients: only the simulated provider runs here');
    return deps.aws();
  };
  return (kind, config = {}) => {
    switch (kind) {
      case 'simulated':
        return new SimulatedTrafficProvider(deps.store, deps.clock);
      case 'ecs-alb': {
        const { ecs, elbv2 } = aws();
        return new EcsAlbTrafficProvider(config, { ecs, elbv2 });
      }
      case 'ecs-rolling':
        return new EcsRollingTrafficProvider(aws().ecs, config);
      case 'lambda-alias':
        return new LambdaAliasTrafficProvider(aws().lambda, config);
      case 'appconfig-flag':
        return new AppConfigFlagTrafficProvider(aws().appconfig, config);
      default:
        throw new InvalidInputError(
          `unknown traffic provider '${kind}'; known providers: ${PROVIDER_KINDS.join(', ')}`,
        );
    }
  };
}

/** Each provider kind's check of its resource identifiers (the registry's `provider` object, less `kind`). */
export const PROVIDER_CONFIG_CHECKS: Record<ProviderKind, (config: Record<string, unknown>) => void> = {
  simulated: (config) => {
    const unknown = Object.keys(config).filter((k) => k !== 'readyTimeoutSeconds');
    if (unknown.length > 0) {
      throw new InvalidInputError(`providerConfig.${unknown[0]} is not a field of the simulated provider`);
    }
  },
  'ecs-alb': (config) => {
    parseEcsAlbConfig(config);
  },
  'ecs-rolling': (config) => {
    parseEcsRollingConfig(config);
  },
  'lambda-alias': (config) => {
    parseLambdaAliasConfig(config);
  },
  'appconfig-flag': (config) => {
    parseAppConfigFlagConfig(config);
  },
};

/**
 * What each provider kind cannot do (the optional capabilities of TrafficProvider it does not
 * have with that config), and why: `config validate`, the CDK app, the API and Start deployment refuse a strategy that needs
 * it (each strategy module's `requires`) instead of letting it fail at its first such step.
 */
export const PROVIDER_LIMITS: Record<ProviderKind, ProviderLimits> = {
  simulated: () => ({}),
  'ecs-alb': (config) => ({
    'stop-start': 'both target groups always serve (the recreate strategy needs the ecs-rolling provider)',
    ...(config.listenerArn
      ? {}
      : { segments: 'a segment is a rule on a listener: give providerConfig.listenerArn, not ruleArn' }),
  }),
  'ecs-rolling': () => ({
    segments: 'an ECS service has no request routing',
    'version-metrics':
      'both versions run in one ECS service behind one target group, so CloudWatch has no metrics per version (use ecs-alb, or judge with alarms)',
    'side-by-side': 'it updates one fleet in place, so there is no idle fleet to switch to (use ecs-alb)',
  }),
  'lambda-alias': () => ({
    segments: 'a Lambda alias splits invocations by weight only',
    'stop-start': 'a Lambda version always serves what its alias routes to it (use all-at-once)',
  }),
  'appconfig-flag': () => ({
    segments: 'it only sets the rollout percentage',
    'version-metrics':
      'a flag has no metrics of its own: its two variants are served by one application (judge with alarms)',
    'stop-start': 'a flag is on or off, it cannot be stopped and started',
  }),
};
