import { validator } from './domain/schemas.ts';

/** What every Lambda reads from its environment, once, at cold start. */
export interface RuntimeConfig {
  TABLE_NAME: string;
}

const configSchema = {
  type: 'object',
  required: ['TABLE_NAME'],
  properties: {
    TABLE_NAME: { type: 'string', minLength: 3, maxLength: 255 },
  },
} as const;

const check = validator<RuntimeConfig>(configSchema, 'environment');

/** Throws an error that names the missing or bad variable, e.g. `TABLE_NAME is required`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return check({ ...env });
}
