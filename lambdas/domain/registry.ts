import { InvalidInputError } from './errors.ts';
import { assertWithinQuotas } from './quotas.ts';
import { validator } from './schemas.ts';
import type { Step } from './steps.ts';
import { defaultStrategyPlan, expandPlan, STRATEGIES, type StrategyName } from './strategies.ts';
import type { ServiceTrigger } from './triggers.ts';
import type { ConcurrencyPolicy, InsufficientDataPolicy, ServiceConfig } from './types.ts';

/**
 * The service registry: every service Stepwise deploys, declared in one file in the user's repo
 * (`stepwise.config.json`, or a `stepwise.config.ts` whose default export is `defineConfig(...)`).
 * The CDK app reads it to scope IAM to exactly these resources and writes each entry to the table
 * at deploy time; `npx stepwise config validate` checks it.
 */
export interface RegistryFile {
  services: ServiceEntry[];
}

export interface ServiceEntry {
  name: string;
  /** Recorded on every audit event: prod, staging, ... */
  environment: string;
  /** The traffic provider and its resource identifiers, e.g. `{ "kind": "lambda-alias", "functionName": ..., "alias": ... }`. */
  provider: { kind: string } & Record<string, unknown>;
  strategy: StrategyName;
  /** The strategy's plan (docs/strategies.md); the strategy's default when left out. */
  plan?: unknown;
  /** CloudWatch alarm names that gate every step. */
  alarms: string[];
  insufficientData?: InsufficientDataPolicy;
  /** What starts a deployment on an image push: the ECR repository, a tag pattern (`*` wildcards), and whether untagged pushes deploy. */
  trigger?: ServiceTrigger;
  /** A push while a deployment runs: `queue` it (default) or `supersede` the running one (it rolls back). */
  concurrency?: ConcurrencyPolicy;
  /** Pre-flight finds an alarm already in ALARM: `block` (default) or `proceed`. */
  firingAlarms?: 'block' | 'proceed';
}

/** Identity function with types, for `stepwise.config.ts`. */
export function defineConfig(config: RegistryFile): RegistryFile {
  return config;
}

const registrySchema = {
  type: 'object',
  required: ['services'],
  additionalProperties: false,
  properties: {
    services: {
      type: 'array',
      minItems: 1,
      maxItems: 500,
      items: {
        type: 'object',
        required: ['name', 'environment', 'provider', 'strategy', 'alarms'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
          environment: { type: 'string', minLength: 1, maxLength: 64 },
          provider: {
            type: 'object',
            required: ['kind'],
            properties: { kind: { type: 'string', minLength: 1 } },
          },
          strategy: { type: 'string', enum: STRATEGIES },
          plan: { type: 'object' },
          alarms: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 255 } },
          insufficientData: { type: 'string', enum: ['healthy', 'unhealthy'] },
          trigger: {
            type: 'object',
            required: ['repository'],
            additionalProperties: false,
            properties: {
              repository: { type: 'string', pattern: '^[a-z0-9][a-z0-9._/-]{1,255}$' },
              tagPattern: { type: 'string', minLength: 1, maxLength: 128 },
              untaggedPushes: { type: 'string', enum: ['deploy', 'ignore'] },
            },
          },
          concurrency: { type: 'string', enum: ['queue', 'supersede'] },
          firingAlarms: { type: 'string', enum: ['block', 'proceed'] },
        },
      },
    },
  },
} as const;

const checkShape = validator<RegistryFile>(registrySchema, 'config', { pathFromRoot: true });

/** Checks one provider's resource identifiers; throws naming the field (`providerConfig.cluster`). */
export type ProviderConfigCheck = (config: Record<string, unknown>) => void;

/**
 * Validates a registry: its shape, every plan against its strategy, provider configs against
 * their providers' schemas (an unknown provider kind is an error), unique names, and rings that
 * name registered services. Errors name the field, e.g. `services[2].plan.steps[0].weight`.
 */
export function validateRegistry(raw: unknown, providers: Record<string, ProviderConfigCheck>): RegistryFile {
  const registry = checkShape(raw);
  const names = new Set<string>();
  registry.services.forEach((service, i) => {
    const where = `services[${i}]`;
    if (names.has(service.name))
      throw new InvalidInputError(`${where}.name ${service.name} is declared twice`);
    names.add(service.name);
    const check = providers[service.provider.kind];
    if (!check) {
      throw new InvalidInputError(
        `${where}.provider.kind '${service.provider.kind}' is not a provider; providers: ${Object.keys(providers).join(', ')}`,
      );
    }
    const { kind: _kind, ...config } = service.provider;
    try {
      check(config);
    } catch (error) {
      throw new InvalidInputError(`${where}.provider: ${(error as Error).message}`);
    }
    if (service.strategy === 'ring' && service.plan === undefined) {
      throw new InvalidInputError(`${where}.plan is required: a ring rollout lists its rings`);
    }
    let steps: Step[];
    try {
      steps = expandPlan(service.strategy, service.plan ?? defaultStrategyPlan(service.strategy));
    } catch (error) {
      throw new InvalidInputError(`${where}.${(error as Error).message}`);
    }
    assertWithinQuotas(
      {
        strategy: service.strategy,
        steps,
        provider: service.provider.kind,
        providerConfig: config,
        alarms: service.alarms,
      },
      { plan: `${where}.plan`, providerConfig: `${where}.provider` },
    );
  });
  registry.services.forEach((service, i) => {
    if (service.strategy !== 'ring') return;
    const rings = (service.plan as { rings: { service: string }[] }).rings;
    rings.forEach((ring, r) => {
      if (!names.has(ring.service)) {
        throw new InvalidInputError(
          `services[${i}].plan.rings[${r}].service ${ring.service} is not declared in this file`,
        );
      }
    });
  });
  return registry;
}

/** The CONFIG item the runtime reads for a registry entry. */
export function toServiceConfig(
  entry: ServiceEntry,
  defaultPlan: (s: StrategyName) => unknown,
): ServiceConfig {
  const { kind, ...providerConfig } = entry.provider;
  return {
    service: entry.name,
    environment: entry.environment,
    provider: kind,
    ...(Object.keys(providerConfig).length > 0 ? { providerConfig } : {}),
    alarms: entry.alarms,
    insufficientData: entry.insufficientData ?? 'healthy',
    strategy: entry.strategy,
    plan: entry.plan ?? defaultPlan(entry.strategy),
    ...(entry.trigger ? { trigger: entry.trigger } : {}),
    concurrency: entry.concurrency ?? 'queue',
    firingAlarms: entry.firingAlarms ?? 'block',
  };
}
