import { appConfigFlagConfigSchema } from '../adapters/traffic/appconfig-flag/config.ts';
import { ecsAlbConfigSchema } from '../adapters/traffic/ecs-alb/config.ts';
import { ecsRollingConfigSchema } from '../adapters/traffic/ecs-rolling/config.ts';
import { lambdaAliasConfigSchema } from '../adapters/traffic/lambda-alias/config.ts';
import { approveSchema, createDeploymentSchema, reasonSchema, rollbackSchema } from '../api/schemas.ts';
import { configSchema, controlSchema } from '../config.ts';
import { registrySchema } from './registry.ts';
import {
  approvalRequestSchema,
  deploymentRequestSchema,
  recordEventSchema,
  serviceConfigSchema,
  taskStateSchema,
} from './schemas.ts';
import { PLAN_SCHEMAS, planValidatorName } from './strategies/index.ts';
import { STRATEGIES } from './strategy-names.ts';

/**
 * Every JSON Schema Stepwise checks a value against, by the name its compiled validator is exported
 * under in `compiled-schemas.ts`. Read only by `npm run schemas`, which compiles them with ajv into
 * that file, and by the test that fails when the file is stale: no function compiles a schema at
 * run time, and none bundles ajv's compiler (ADR 8).
 */
export const SCHEMA_CATALOG: Record<string, object> = {
  runtimeConfig: configSchema,
  controlConfig: controlSchema,
  deploymentRequest: deploymentRequestSchema,
  taskState: taskStateSchema,
  recordEvent: recordEventSchema,
  approvalRequest: approvalRequestSchema,
  serviceConfig: serviceConfigSchema,
  registry: registrySchema,
  createDeploymentBody: createDeploymentSchema,
  approveBody: approveSchema,
  reasonBody: reasonSchema,
  rollbackBody: rollbackSchema,
  ecsAlbConfig: ecsAlbConfigSchema,
  ecsRollingConfig: ecsRollingConfigSchema,
  lambdaAliasConfig: lambdaAliasConfigSchema,
  appConfigFlagConfig: appConfigFlagConfigSchema,
  ...Object.fromEntries(STRATEGIES.map((strategy) => [planValidatorName(strategy), PLAN_SCHEMAS[strategy]])),
};
