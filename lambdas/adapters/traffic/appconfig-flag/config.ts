import * as compiled from '../../../domain/compiled-schemas.js';
import { validator } from '../../../domain/schemas.ts';

/** The `providerConfig` of a service whose traffic provider is `appconfig-flag`. */
export interface AppConfigFlagConfig {
  applicationId: string;
  environmentId: string;
  /** A hosted configuration profile of type AWS.AppConfig.FeatureFlags. */
  configurationProfileId: string;
  /** The flag's key in the profile. */
  flag: string;
  /**
   * The strategy every deployment uses: one with no duration and no final bake (required; no
   * predefined strategy qualifies, see docs/providers/appconfig-flag.md).
   */
  deploymentStrategyId: string;
  /** The flag attribute that holds the rollout percentage (default rolloutPercentage). */
  percentageAttribute?: string;
  /** How long Prepare candidate may wait (read by the handler; this provider is ready at once). */
  readyTimeoutSeconds?: number;
  /**
   * How long Shift traffic, Promote and Roll back each wait for an AppConfig deployment of the
   * flag (this service's or another's) to finish, asking again 15 s, 30 s, then every 60 s (read
   * by the handlers; default 600).
   */
  rolloutTimeoutSeconds?: number;
}

export const DEFAULT_PERCENTAGE_ATTRIBUTE = 'rolloutPercentage';

/** AppConfig's own rules: ids of 4 to 7 lowercase letters and digits, flag and attribute keys as the FeatureFlags schema has them. */
const ID_PATTERN = '^[a-z0-9]{4,7}$';
const KEY_PATTERN = '^[a-z][a-zA-Z\\d_-]{0,63}$';
const STRATEGY_PATTERN = '^([a-z0-9]{4,7}|AppConfig\\.[A-Za-z0-9]{9,40})$';

export const appConfigFlagConfigSchema = {
  type: 'object',
  required: ['applicationId', 'environmentId', 'configurationProfileId', 'flag', 'deploymentStrategyId'],
  additionalProperties: false,
  properties: {
    applicationId: { type: 'string', pattern: ID_PATTERN },
    environmentId: { type: 'string', pattern: ID_PATTERN },
    configurationProfileId: { type: 'string', pattern: ID_PATTERN },
    flag: { type: 'string', pattern: KEY_PATTERN },
    deploymentStrategyId: { type: 'string', pattern: STRATEGY_PATTERN },
    percentageAttribute: { type: 'string', pattern: KEY_PATTERN },
    readyTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
    rolloutTimeoutSeconds: { type: 'integer', minimum: 15, maximum: 86_400 },
  },
} as const;

const check = validator<AppConfigFlagConfig>(compiled.appConfigFlagConfig, 'providerConfig', {
  pathFromRoot: true,
});

/** Validates an `appconfig-flag` providerConfig; errors name the field (`providerConfig.flag is required`). */
export function parseAppConfigFlagConfig(value: unknown): AppConfigFlagConfig {
  return check(value ?? {});
}
