import * as compiled from './compiled-schemas.js';
import { InvalidInputError } from './errors.ts';
import { checkHookHosts } from './hooks.ts';
import { type AnalysisInput, analysisSchema, resolveAnalysis } from './judge/criteria.ts';
import { assertWithinQuotas } from './quotas.ts';
import { checkProviderFits, type ProviderLimits, resolveRingsFrom } from './requests.ts';
import { validator } from './schemas.ts';
import { hooksOf, type Step } from './steps.ts';
import { defaultStrategyPlan, expandPlan, STRATEGIES, type StrategyName } from './strategies/index.ts';
import type { ServiceTrigger } from './triggers.ts';
import type { ConcurrencyPolicy, InsufficientDataPolicy, ServiceConfig } from './types.ts';

/**
 * The service registry: every service Stepwise deploys, declared in one file in the user's repo
 * (`stepwise.config.json`, or a `stepwise.config.ts` whose default export is `defineConfig(...)`).
 * The CDK app reads it to scope IAM to exactly these resources and writes each entry to the table
 * at deploy time; `npx stepwise config validate` checks it.
 */
export interface RegistryFile {
  /** The JSON schema an editor checks the file against; Stepwise ignores it. */
  $schema?: string;
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
  /** CloudWatch alarm names that gate every step. At least one, unless `noAlarms` says there are none on purpose. */
  alarms: string[];
  /**
   * `true` when the service has no alarms on purpose (`alarms: []`): every health check then
   * passes unchecked. Without it an empty `alarms` is refused, since it is more often an
   * oversight than a choice. Not needed by a ring rollout, whose rings check their own alarms.
   */
  noAlarms?: boolean;
  insufficientData?: InsufficientDataPolicy;
  /** What starts a deployment on an image push: the ECR repository, a tag pattern (`*` wildcards), and whether untagged pushes deploy. */
  trigger?: ServiceTrigger;
  /** A push while a deployment runs: `queue` it (default) or `supersede` the running one (it rolls back). */
  concurrency?: ConcurrencyPolicy;
  /** Pre-flight finds an alarm already in ALARM: `block` (default) or `proceed`. */
  firingAlarms?: 'block' | 'proceed';
  /**
   * Hosts the service's HTTP hooks may call, as `host` (any port) or `host:port`: a hook URL on
   * any other host is refused here and in every deployment request. Default: none.
   */
  allowedHosts?: string[];
  /**
   * Judge every step against the baseline too, not only by the alarms: `{}` for the defaults
   * (docs/strategies.md, "What is judged"), or criteria of your own.
   */
  analysis?: AnalysisInput;
}

/** Identity function with types, for `stepwise.config.ts`. */
export function defineConfig(config: RegistryFile): RegistryFile {
  return config;
}

/** An `allowedHosts` entry: a DNS name, IPv4 address or bracketed IPv6 address, and an optional port. */
export const ALLOWED_HOST_PATTERN =
  '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(:[0-9]{1,5})?$';

export const registrySchema = {
  type: 'object',
  required: ['services'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', maxLength: 2048 },
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
          noAlarms: { type: 'boolean' },
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
          allowedHosts: {
            type: 'array',
            maxItems: 50,
            items: { type: 'string', pattern: ALLOWED_HOST_PATTERN },
          },
          analysis: analysisSchema,
        },
      },
    },
  },
} as const;

const checkShape = validator<RegistryFile>(compiled.registry, 'config', { pathFromRoot: true });

/** Checks one provider's resource identifiers; throws naming the field (`providerConfig.cluster`). */
export type ProviderConfigCheck = (config: Record<string, unknown>) => void;

/**
 * Validates a registry: its shape, every plan against its strategy, provider configs against
 * their providers' schemas (an unknown provider kind is an error), each strategy against what
 * its provider can do, alarms (or `noAlarms: true`), unique names, and rings that name other
 * registered services that are not ring rollouts. Errors name the field, e.g.
 * `services[2].plan.steps[0].weight`.
 */
export function validateRegistry(
  raw: unknown,
  providers: Record<string, ProviderConfigCheck>,
  limits: Record<string, ProviderLimits>,
): RegistryFile {
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
    const { kind, ...config } = service.provider;
    try {
      check(config);
    } catch (error) {
      throw new InvalidInputError(`${where}.provider: ${(error as Error).message}`);
    }
    checkProviderFits(
      { provider: kind, providerConfig: config, analysis: service.analysis },
      service.strategy,
      limits,
      `${where}.strategy`,
      `${where}.analysis`,
    );
    checkAlarms(service, where);
    if (service.strategy === 'ring' && service.plan === undefined) {
      throw new InvalidInputError(`${where}.plan is required: a ring rollout lists its rings`);
    }
    let steps: Step[];
    try {
      steps = expandPlan(service.strategy, service.plan ?? defaultStrategyPlan(service.strategy));
    } catch (error) {
      throw new InvalidInputError(`${where}.${(error as Error).message}`);
    }
    checkHookHosts(hooksOf(steps), service.allowedHosts, `${where}.plan`, service.name);
    assertWithinQuotas(
      {
        strategy: service.strategy,
        steps,
        provider: service.provider.kind,
        providerConfig: config,
        alarms: service.alarms,
        ...(service.analysis ? { analysis: resolveAnalysis(service.analysis) } : {}),
      },
      { plan: `${where}.plan`, providerConfig: `${where}.provider` },
    );
  });
  const configs = new Map(
    registry.services.map((entry) => [
      entry.name,
      toServiceConfig(entry, (s) => (s === 'ring' ? undefined : defaultStrategyPlan(s))),
    ]),
  );
  registry.services.forEach((service, i) => {
    if (service.strategy !== 'ring') return;
    try {
      resolveRingsFrom(service.name, expandPlan('ring', service.plan), (n) => configs.get(n), limits);
    } catch (error) {
      const message = (error as Error).message.replace(
        / is not registered$/,
        ' is not declared in this file',
      );
      throw new InvalidInputError(`services[${i}].${message}`);
    }
    const byName = new Map(registry.services.map((s) => [s.name, s]));
    const rings = (service.plan as { rings: { service: string; strategy?: StrategyName; plan?: unknown }[] })
      .rings;
    rings.forEach((ring, r) => {
      const target = byName.get(ring.service);
      if (target && ring.strategy && ring.plan !== undefined) {
        checkHookHosts(
          hooksOf(expandPlan(ring.strategy, ring.plan)),
          target.allowedHosts,
          `services[${i}].plan.rings[${r}].plan`,
          target.name,
        );
      }
    });
  });
  return registry;
}

/** An empty alarm list is an oversight unless the entry says `noAlarms: true`; both at once contradict. */
function checkAlarms(service: ServiceEntry, where: string): void {
  if (service.noAlarms === true && service.alarms.length > 0) {
    throw new InvalidInputError(
      `${where}.noAlarms is true but ${where}.alarms lists ${service.alarms.length}: drop one of the two`,
    );
  }
  if (service.alarms.length === 0 && service.noAlarms !== true && service.strategy !== 'ring') {
    throw new InvalidInputError(
      `${where}.alarms is empty, so every health check would pass unchecked: list the service's CloudWatch alarms, or say "noAlarms": true`,
    );
  }
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
    ...(entry.allowedHosts ? { allowedHosts: entry.allowedHosts } : {}),
    ...(entry.analysis ? { analysis: resolveAnalysis(entry.analysis) } : {}),
  };
}
