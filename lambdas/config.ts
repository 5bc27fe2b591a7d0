import * as compiled from './domain/compiled-schemas.js';
import { validator } from './domain/schemas.ts';

/** What every Lambda reads from its environment, once, at cold start. */
export interface RuntimeConfig {
  TABLE_NAME: string;
}

export const configSchema = {
  type: 'object',
  required: ['TABLE_NAME'],
  properties: {
    TABLE_NAME: { type: 'string', minLength: 3, maxLength: 255 },
  },
} as const;

const check = validator<RuntimeConfig>(compiled.runtimeConfig, 'environment');

/** Throws an error that names the missing or bad variable, e.g. `TABLE_NAME is required`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return check({ ...env });
}

/** What the control functions (API, dispatch, reconcile) read besides the table. */
export interface ControlConfig extends RuntimeConfig {
  /** JSON object: strategy name → state machine ARN. */
  STATE_MACHINE_ARNS: string;
  /** `<account>.dkr.ecr.<region>.amazonaws.com`, for digest-only API requests. */
  REGISTRY_HOST?: string;
}

export const controlSchema = {
  type: 'object',
  required: ['TABLE_NAME', 'STATE_MACHINE_ARNS'],
  properties: {
    TABLE_NAME: { type: 'string', minLength: 3, maxLength: 255 },
    STATE_MACHINE_ARNS: { type: 'string', pattern: '^\\{.*\\}$' },
    REGISTRY_HOST: { type: 'string', minLength: 1 },
  },
} as const;

const checkControl = validator<ControlConfig>(compiled.controlConfig, 'environment');

export function loadControlConfig(env: NodeJS.ProcessEnv = process.env): ControlConfig {
  return checkControl({ ...env });
}
