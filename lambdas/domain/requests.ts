import { InvalidInputError } from './errors.ts';
import type { StrategyName } from './strategy-names.ts';
import type { DeploymentRequest, ServiceConfig } from './types.ts';

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
