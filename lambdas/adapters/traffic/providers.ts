import { InvalidInputError } from '../../domain/errors.ts';
import type { ProviderLimits } from '../../domain/requests.ts';
import type { TrafficProvider } from '../../ports/traffic.ts';
import { appConfigFlag } from './appconfig-flag/descriptor.ts';
import type { AwsProviderClients, ProviderDeps, ProviderDescriptor } from './descriptor.ts';
import { ecsAlb } from './ecs-alb/descriptor.ts';
import { ecsRolling } from './ecs-rolling/descriptor.ts';
import { lambdaAlias } from './lambda-alias/descriptor.ts';
import { simulated } from './simulated/descriptor.ts';

export type { AwsProviderClients } from './descriptor.ts';

export const PROVIDER_KINDS = [
  'simulated',
  'ecs-alb',
  'ecs-rolling',
  'lambda-alias',
  'appconfig-flag',
] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Every provider folder's descriptor, by kind: adding a provider is one folder and one line here. */
const DESCRIPTORS: Record<ProviderKind, ProviderDescriptor> = {
  simulated,
  'ecs-alb': ecsAlb,
  'ecs-rolling': ecsRolling,
  'lambda-alias': lambdaAlias,
  'appconfig-flag': appConfigFlag,
};

const isKind = (kind: string): kind is ProviderKind => Object.hasOwn(DESCRIPTORS, kind);

/**
 * The provider for a service's configured kind and resource identifiers (`providerConfig` in the
 * registry). An unknown kind is an error, never a default.
 */
export type ProviderFactory = (kind: string, config?: Record<string, unknown>) => TrafficProvider;

export function makeProviderFactory(
  deps: Omit<ProviderDeps, 'aws'> & { aws?: () => AwsProviderClients },
): ProviderFactory {
  const aws = () => {
    if (!deps.aws)
      throw new InvalidInputError('this runtime has no AWS clients: only the simulated provider runs here');
    return deps.aws();
  };
  return (kind, config = {}) => {
    if (!isKind(kind)) {
      throw new InvalidInputError(
        `unknown traffic provider '${kind}'; known providers: ${PROVIDER_KINDS.join(', ')}`,
      );
    }
    return DESCRIPTORS[kind].create(config, { ...deps, aws });
  };
}

/** Each provider kind's check of its resource identifiers (the registry's `provider` object, less `kind`). */
export const PROVIDER_CONFIG_CHECKS = Object.fromEntries(
  PROVIDER_KINDS.map((kind) => [
    kind,
    (config: Record<string, unknown>) => DESCRIPTORS[kind].checkConfig(config),
  ]),
) as Record<ProviderKind, (config: Record<string, unknown>) => void>;

/**
 * What each provider kind cannot do (the optional capabilities of TrafficProvider it does not
 * have with that config), and why: `config validate`, the CDK app, the API and Start deployment
 * refuse a strategy that needs it (each strategy module's `requires`) instead of letting it fail
 * at its first such step.
 */
export const PROVIDER_LIMITS = Object.fromEntries(
  PROVIDER_KINDS.map((kind) => [kind, DESCRIPTORS[kind].limits]),
) as Record<ProviderKind, ProviderLimits>;
