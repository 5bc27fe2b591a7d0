import { InvalidInputError, ServiceNotFoundError } from './errors.ts';
import { checkArtifactName } from './schemas.ts';
import type { Step } from './steps.ts';
import { strategyNeeds } from './strategies/index.ts';
import type { ProviderCapability } from './strategies/strategy.ts';
import type { StrategyName } from './strategy-names.ts';
import type { DeploymentRequest, ServiceConfig } from './types.ts';

/**
 * The refusals every way into a deployment shares (the API, an image push, the CLI, the registry,
 * Start deployment), so that a request that cannot work is refused before anything is recorded,
 * with the same message wherever it comes from. Each throws InvalidInputError naming the field.
 */

/** The version that holds traffic for a service that has never been deployed by Stepwise. */
export const BASELINE_VERSION = 'baseline (simulated)';

/**
 * The version a deployment rolls out: an image reference or an S3 .zip (see checkArtifactName).
 * The simulated baseline is taken only where the control plane deploys it back itself (a
 * rollback, a ring undone) on a simulated service; nobody names it in a request.
 */
export function checkCandidate(image: string, field: string, options: { baselineOn?: string } = {}): void {
  if (image === BASELINE_VERSION && options.baselineOn === 'simulated') return;
  if (image === BASELINE_VERSION) {
    throw new InvalidInputError(
      `${field} ${BASELINE_VERSION} is the simulated service's starting point, not a version to deploy`,
    );
  }
  checkArtifactName(image, field);
}

/** What a provider kind cannot do with a given config, and why. */
export type ProviderLimits = (config: Record<string, unknown>) => Partial<Record<ProviderCapability, string>>;

/** Refuses a strategy whose steps the service's provider cannot take (they would fail at the first such step). */
export function checkProviderFits(
  config: Pick<ServiceConfig, 'provider' | 'providerConfig'> & { analysis?: unknown },
  strategy: StrategyName,
  limitsOf: Record<string, ProviderLimits>,
  field: string,
  analysisField = 'analysis',
): void {
  const limits = limitsOf[config.provider]?.(config.providerConfig ?? {}) ?? {};
  const noMetrics = limits['version-metrics'];
  const ownMetrics = (config.analysis as { metrics?: unknown } | undefined)?.metrics !== undefined;
  if (config.analysis && noMetrics && !ownMetrics) {
    throw new InvalidInputError(
      `${analysisField}: the ${config.provider} provider cannot compare the versions: ${noMetrics}; or name the service's own per-version metrics in ${analysisField}.metrics`,
    );
  }
  for (const need of strategyNeeds(strategy)) {
    const why = limits[need];
    if (why) {
      throw new InvalidInputError(
        `${field} ${strategy} cannot run on the ${config.provider} provider: ${why}`,
      );
    }
  }
}

/**
 * The strategy and raw plan a request deploys with: the service's own, or an override. A plan is
 * written for one strategy, so a plan override names its strategy, and a strategy other than the
 * service's brings its plan.
 */
export function chooseStrategy(
  config: ServiceConfig,
  request: Pick<DeploymentRequest, 'strategy' | 'plan'>,
  field = 'deployment',
): { strategy: StrategyName; rawPlan: unknown } {
  const strategy = request.strategy ?? config.strategy;
  if (request.plan && !request.strategy) {
    throw new InvalidInputError(`${field}.plan needs ${field}.strategy: a plan is written for one strategy`);
  }
  if (request.strategy && request.strategy !== config.strategy && !request.plan) {
    throw new InvalidInputError(
      `${field}.strategy ${request.strategy} differs from the service's (${config.strategy}): give its plan too`,
    );
  }
  return { strategy, rawPlan: request.plan ?? config.plan };
}

/**
 * The rings of a ring rollout of `service`, each with its strategy and plan: given in the ring,
 * or its service's registered ones, so each ring deploys the way its service always does. A ring
 * is refused when it names the rollout's own service (it would wait on its own lock), a service
 * another ring already deploys, a service that is not registered, a service that is itself a ring
 * rollout (rings do not nest), a strategy other than its service's without a plan, or a strategy
 * its service's provider cannot run. Fields are named `plan.rings[i]`.
 */
export async function resolveRings(
  service: string,
  steps: Step[],
  lookup: (service: string) => Promise<ServiceConfig | undefined>,
  limitsOf: Record<string, ProviderLimits>,
): Promise<Step[]> {
  const names = [...new Set(steps.flatMap((s) => (s.kind === 'ring' ? [s.ring.service] : [])))];
  const configs = new Map(await Promise.all(names.map(async (n) => [n, await lookup(n)] as const)));
  return resolveRingsFrom(service, steps, (n) => configs.get(n), limitsOf);
}

/** resolveRings over configs at hand (a registry file being validated). */
export function resolveRingsFrom(
  service: string,
  steps: Step[],
  lookup: (service: string) => ServiceConfig | undefined,
  limitsOf: Record<string, ProviderLimits>,
): Step[] {
  const seen = new Map<string, string>();
  let index = -1;
  const resolved: Step[] = [];
  for (const step of steps) {
    if (step.kind !== 'ring') {
      resolved.push(step);
      continue;
    }
    index += 1;
    const { ring } = step;
    const field = `plan.rings[${index}]`;
    if (ring.service === service) {
      throw new InvalidInputError(
        `${field}.service ${ring.service} is the service this ring rollout deploys: a ring names another service`,
      );
    }
    const earlier = seen.get(ring.service);
    if (earlier) {
      throw new InvalidInputError(
        `${field}.service ${ring.service} is deployed by ring ${earlier} already: one ring per service`,
      );
    }
    seen.set(ring.service, ring.name);
    const config = lookup(ring.service);
    if (!config) {
      throw new InvalidInputError(`${field}.service ${ring.service} is not registered`);
    }
    if (config.strategy === 'ring') {
      throw new InvalidInputError(
        `${field}.service ${ring.service} is itself a ring rollout: rings do not nest`,
      );
    }
    const strategy = (ring.strategy ?? config.strategy) as StrategyName;
    const plan = ring.plan ?? (strategy === config.strategy ? config.plan : undefined);
    if (plan === undefined) {
      throw new InvalidInputError(
        `${field}.strategy ${strategy} differs from ${ring.service}'s (${config.strategy}): give its plan too`,
      );
    }
    checkProviderFits(config, strategy, limitsOf, `${field}.strategy`);
    resolved.push({ kind: 'ring', ring: { ...ring, strategy, plan } });
  }
  return resolved;
}

/** The registered config of `service`, or ServiceNotFound. */
export async function requireService(
  service: string,
  lookup: (service: string) => Promise<ServiceConfig | undefined>,
): Promise<ServiceConfig> {
  const config = await lookup(service);
  if (!config) throw new ServiceNotFoundError(`service ${service} is not registered`);
  return config;
}
