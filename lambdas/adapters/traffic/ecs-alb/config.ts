import * as compiled from '../../../domain/compiled-schemas.js';
import { InvalidInputError } from '../../../domain/errors.ts';
import { validator } from '../../../domain/schemas.ts';
import { ROLE_ARN_PATTERN } from '../ecs-services.ts';

/** The segment rule's priority on the listener when `segmentPriority` is left out. */
export const DEFAULT_SEGMENT_PRIORITY = 1;

const ELB_ARN = '^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:';
const LISTENER_ARN = `${ELB_ARN}listener/app/[^/]+/[0-9a-f]+/[0-9a-f]+$`;
const RULE_ARN = `${ELB_ARN}listener-rule/app/[^/]+/[0-9a-f]+/[0-9a-f]+/[0-9a-f]+$`;
const TARGET_GROUP_ARN = `${ELB_ARN}targetgroup/[^/]+/[0-9a-f]+$`;
const ECS_NAME = '[A-Za-z0-9_-]{1,255}';

/**
 * The `providerConfig` of an `ecs-alb` service: two ECS services behind one ALB listener (or
 * listener rule) that forwards to their two target groups by weight. `services[i]` is registered
 * in `targetGroupArns[i]`. Exactly one of `listenerArn` / `ruleArn`; at most one of
 * `testListenerArn` / `testRuleArn` (checked by parseEcsAlbConfig, which names both fields).
 */
export const ecsAlbConfigSchema = {
  type: 'object',
  required: ['cluster', 'services', 'targetGroupArns'],
  additionalProperties: false,
  properties: {
    /** Cluster name or ARN. */
    cluster: {
      type: 'string',
      pattern: `^(${ECS_NAME}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/${ECS_NAME})$`,
    },
    /** [blue, green] ECS service names. */
    services: {
      type: 'array',
      minItems: 2,
      maxItems: 2,
      uniqueItems: true,
      items: { type: 'string', pattern: `^${ECS_NAME}$` },
    },
    /** [blue, green] target group ARNs, in the order of `services`. */
    targetGroupArns: {
      type: 'array',
      minItems: 2,
      maxItems: 2,
      uniqueItems: true,
      items: { type: 'string', pattern: TARGET_GROUP_ARN },
    },
    /** The listener whose default action forwards to both target groups. */
    listenerArn: { type: 'string', pattern: LISTENER_ARN },
    /** Or the listener rule whose action forwards to both target groups. */
    ruleArn: { type: 'string', pattern: RULE_ARN },
    /** A listener (or rule) that sends test traffic to the candidate only, for pre-traffic hooks. */
    testListenerArn: { type: 'string', pattern: LISTENER_ARN },
    testRuleArn: { type: 'string', pattern: RULE_ARN },
    /** The container whose image is the version; default: the first essential container. */
    container: { type: 'string', pattern: `^${ECS_NAME}$` },
    /** Priority of the segment rule on `listenerArn` (1 = evaluated first); default 1. */
    segmentPriority: { type: 'integer', minimum: 1, maximum: 50_000 },
    /** How long Prepare candidate waits for the candidate to be steady and healthy; default 900. */
    readyTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
    /** How long Roll back waits for the stable side to have a healthy target again (asking 15 s, 30 s, then every 60 s); default 600. */
    rolloutTimeoutSeconds: { type: 'integer', minimum: 15, maximum: 86_400 },
    /** The task role of the live task definition: the only one Stepwise may pass to ECS as one (required when it has one). */
    taskRoleArn: { type: 'string', pattern: ROLE_ARN_PATTERN },
    /** The execution role of the live task definition: the only one Stepwise may pass to ECS as one (required when it has one). */
    executionRoleArn: { type: 'string', pattern: ROLE_ARN_PATTERN },
  },
} as const;

export interface EcsAlbConfig {
  cluster: string;
  services: [blue: string, green: string];
  targetGroupArns: [blue: string, green: string];
  listenerArn?: string;
  ruleArn?: string;
  testListenerArn?: string;
  testRuleArn?: string;
  container?: string;
  segmentPriority?: number;
  readyTimeoutSeconds?: number;
  rolloutTimeoutSeconds?: number;
  taskRoleArn?: string;
  executionRoleArn?: string;
}

const checkShape = validator<EcsAlbConfig>(compiled.ecsAlbConfig, 'providerConfig', { pathFromRoot: true });

/** Validates an `ecs-alb` providerConfig; throws InvalidInputError naming the field (`providerConfig.cluster`). */
export function parseEcsAlbConfig(value: unknown): EcsAlbConfig {
  const config = checkShape(value);
  if (config.listenerArn && config.ruleArn) {
    throw new InvalidInputError(
      'providerConfig.ruleArn cannot be given with providerConfig.listenerArn: give exactly one',
    );
  }
  if (!config.listenerArn && !config.ruleArn) {
    throw new InvalidInputError('providerConfig.listenerArn (or providerConfig.ruleArn) is required');
  }
  if (config.testListenerArn && config.testRuleArn) {
    throw new InvalidInputError(
      'providerConfig.testRuleArn cannot be given with providerConfig.testListenerArn: give at most one',
    );
  }
  const test = config.testListenerArn ?? config.testRuleArn;
  if (test && test === (config.listenerArn ?? config.ruleArn)) {
    throw new InvalidInputError(
      `providerConfig.${config.testListenerArn ? 'testListenerArn' : 'testRuleArn'} must differ from the production route, got ${test}`,
    );
  }
  if (config.segmentPriority !== undefined && !config.listenerArn) {
    throw new InvalidInputError(
      'providerConfig.segmentPriority needs providerConfig.listenerArn: the segment rule is added to that listener',
    );
  }
  return config;
}
