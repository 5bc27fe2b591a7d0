import { InvalidInputError } from '../../domain/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Store } from '../../ports/store.ts';
import type { TrafficProvider } from '../../ports/traffic.ts';
import { SimulatedTrafficProvider } from './simulated-provider.ts';

export const PROVIDER_KINDS = ['simulated'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface ProviderDeps {
  store: Store;
  clock: Clock;
}

/**
 * The provider for a service's configured kind and resource identifiers (`providerConfig` in the
 * registry). An unknown kind is an error, never a default.
 */
export type ProviderFactory = (kind: string, config?: Record<string, unknown>) => TrafficProvider;

export function makeProviderFactory(deps: ProviderDeps): ProviderFactory {
  return (kind) => {
    switch (kind) {
      case 'simulated':
        return new SimulatedTrafficProvider(deps.store, deps.clock);
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
};
