import { InvalidInputError } from '../../domain/errors.ts';
import { assertValidWeights } from '../../domain/plan.ts';
import type { Weights } from '../../domain/types.ts';
import type { TrafficTarget } from '../../ports/traffic.ts';

/**
 * The candidate's percent in `weights`, which may name only the stable and the candidate version:
 * what a provider that serves both versions from one resource (an ECS service, a flag) sets.
 */
export function candidatePercent(target: TrafficTarget, weights: Weights): number {
  assertValidWeights(weights);
  const stranger = Object.keys(weights).find(
    (v) => v !== target.stableVersion && v !== target.candidateVersion && weights[v] !== 0,
  );
  if (stranger) {
    throw new InvalidInputError(
      `weights may only name ${target.stableVersion} and ${target.candidateVersion}, got ${stranger}`,
    );
  }
  return weights[target.candidateVersion] ?? 0;
}
