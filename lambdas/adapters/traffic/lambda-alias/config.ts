import * as compiled from '../../../domain/compiled-schemas.js';
import { validator } from '../../../domain/schemas.ts';

/** What the lambda-alias provider needs to know: the function, the alias its callers invoke. */
export interface LambdaAliasConfig {
  /** Function name or full function ARN, without a qualifier. */
  functionName: string;
  /** The alias callers invoke; Stepwise moves its weights. It must point at a published version. */
  alias: string;
  /** How long Prepare candidate may wait for the code update and the new version (default 900). */
  readyTimeoutSeconds?: number;
  /** The S3 bucket .zip artifacts (`s3://bucket/key`) come from: Stepwise is granted read on it, nothing else. */
  artifactBucket?: string;
}

/** A function name (64 characters at most) or a full function ARN; never a qualified one. */
const FUNCTION_NAME_PATTERN =
  '^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:)?[a-zA-Z0-9_-]{1,64}$';
/** Lambda's own alias name rule: letters, digits, - and _, not all digits. */
const ALIAS_PATTERN = '^(?![0-9]+$)[a-zA-Z0-9_-]{1,128}$';

/** The `providerConfig` of a service whose provider is `lambda-alias`. */
export const lambdaAliasConfigSchema = {
  type: 'object',
  required: ['functionName', 'alias'],
  additionalProperties: false,
  properties: {
    functionName: { type: 'string', pattern: FUNCTION_NAME_PATTERN },
    alias: { type: 'string', pattern: ALIAS_PATTERN },
    // An image function's update can take minutes; an hour means something is stuck.
    readyTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
    artifactBucket: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
  },
} as const;

const check = validator<LambdaAliasConfig>(compiled.lambdaAliasConfig, 'providerConfig', {
  pathFromRoot: true,
});

/** Validates a service's `providerConfig`; errors name the field (`providerConfig.alias ...`). */
export function parseLambdaAliasConfig(providerConfig: unknown): LambdaAliasConfig {
  return check(providerConfig ?? {});
}
