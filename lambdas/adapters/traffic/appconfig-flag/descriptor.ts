import type { ProviderDescriptor } from '../descriptor.ts';
import { AppConfigFlagTrafficProvider } from './appconfig-flag-provider.ts';
import { parseAppConfigFlagConfig } from './config.ts';

/** An AppConfig feature flag's rollout percentage. */
export const appConfigFlag: ProviderDescriptor = {
  kind: 'appconfig-flag',
  checkConfig(config) {
    parseAppConfigFlagConfig(config);
  },
  limits: () => ({
    segments: 'it only sets the rollout percentage',
    'version-metrics':
      'a flag has no metrics of its own: its two variants are served by one application (judge with alarms)',
    'stop-start': 'a flag is on or off, it cannot be stopped and started',
  }),
  create: (config, deps) => new AppConfigFlagTrafficProvider(deps.aws().appconfig, config),
};
