import { InvalidInputError } from '../../../domain/errors.ts';
import type { ProviderDescriptor } from '../descriptor.ts';
import { SimulatedTrafficProvider } from './simulated-provider.ts';

/** The simulated fleet: its routes in the table, every capability, for rehearsals. */
export const simulated: ProviderDescriptor = {
  kind: 'simulated',
  checkConfig(config) {
    const unknown = Object.keys(config).filter((k) => k !== 'readyTimeoutSeconds');
    if (unknown.length > 0) {
      throw new InvalidInputError(`providerConfig.${unknown[0]} is not a field of the simulated provider`);
    }
  },
  limits: () => ({}),
  create: (_config, deps) => new SimulatedTrafficProvider(deps.store, deps.clock),
};
