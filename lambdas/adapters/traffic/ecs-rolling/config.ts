import * as compiled from '../../../domain/compiled-schemas.js';
import { InvalidInputError } from '../../../domain/errors.ts';
import { validator } from '../../../domain/schemas.ts';
import { ROLE_ARN_PATTERN } from '../ecs-services.ts';

/** The `providerConfig` of a service whose traffic provider is `ecs-rolling`. */
export interface EcsRollingConfig {
  /** Cluster name or ARN. */
  cluster: string;
  /** Service name or ARN. */
  service: string;
  /** The container whose image is the version (default: the first essential container). */
  container?: string;
  /** How long Prepare candidate may wait (read by the handler; this provider is ready at once). */
  readyTimeoutSeconds?: number;
  /**
   * How long Shift traffic, Promote and Roll back each wait for ECS to replace the tasks they
   * asked for, asking again 15 s, 30 s, then every 60 s (read by the handlers; default 600).
   */
  rolloutTimeoutSeconds?: number;
  /** Written to the service's deployment configuration at the first shift (default: the service's own). */
  minimumHealthyPercent?: number;
  /** Written to the service's deployment configuration at the first shift (default: the service's own). */
  maximumPercent?: number;
  /** Turns ECS's deployment circuit breaker (with its rollback) on or off at the first shift (default: as the service has it). */
  circuitBreaker?: boolean;
  /** The task role of the service's task definition: the only one Stepwise may pass to ECS as one (required when it has one). */
  taskRoleArn?: string;
  /** The execution role of the service's task definition: the only one Stepwise may pass to ECS as one (required when it has one). */
  executionRoleArn?: string;
}

export const ecsRollingConfigSchema = {
  type: 'object',
  required: ['cluster', 'service'],
  additionalProperties: false,
  properties: {
    cluster: { type: 'string', minLength: 1, maxLength: 2048 },
    service: { type: 'string', minLength: 1, maxLength: 2048 },
    container: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,255}$' },
    readyTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
    rolloutTimeoutSeconds: { type: 'integer', minimum: 15, maximum: 86_400 },
    minimumHealthyPercent: { type: 'integer', minimum: 0, maximum: 100 },
    maximumPercent: { type: 'integer', minimum: 100, maximum: 1000 },
    circuitBreaker: { type: 'boolean' },
    taskRoleArn: { type: 'string', pattern: ROLE_ARN_PATTERN },
    executionRoleArn: { type: 'string', pattern: ROLE_ARN_PATTERN },
  },
} as const;

const check = validator<EcsRollingConfig>(compiled.ecsRollingConfig, 'providerConfig', {
  pathFromRoot: true,
});

/** Validates an `ecs-rolling` providerConfig; errors name the field (`providerConfig.cluster is required`). */
export function parseEcsRollingConfig(value: unknown): EcsRollingConfig {
  const config = check(value ?? {});
  const { minimumHealthyPercent: min, maximumPercent: max } = config;
  // Both at 100 %, ECS may neither start a new task nor stop an old one: the rollout never moves.
  if (min !== undefined && max !== undefined && max <= min) {
    throw new InvalidInputError(
      `providerConfig.maximumPercent (${max}) must be greater than providerConfig.minimumHealthyPercent (${min}), or ECS cannot replace a task`,
    );
  }
  return config;
}
