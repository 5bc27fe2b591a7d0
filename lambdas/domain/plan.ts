import { InvalidInputError } from './errors.ts';
import type { Plan, Progress, Weights } from './types.ts';

export const DEFAULT_WEIGHTS = [10, 25, 50, 100] as const;
export const DEFAULT_BAKE_SECONDS = 300;
/** Step Functions standard workflows run for a year at most; a bake longer than a day is a typo. */
export const MAX_BAKE_SECONDS = 86_400;

/** The weights that put `candidatePercent` on the candidate and the rest on the stable version. */
export function splitWeights(stable: string, candidate: string, candidatePercent: number): Weights {
  if (!Number.isInteger(candidatePercent) || candidatePercent < 0 || candidatePercent > 100) {
    throw new InvalidInputError(`weight must be an integer from 0 to 100, got ${candidatePercent}`);
  }
  if (stable === candidate) {
    throw new InvalidInputError(`the candidate version is already the stable version (${stable})`);
  }
  return { [stable]: 100 - candidatePercent, [candidate]: candidatePercent };
}

/** Invariant 4: integers 0..100 that sum to 100. */
export function assertValidWeights(weights: Weights): Weights {
  const values = Object.values(weights);
  const bad = values.find((w) => !Number.isInteger(w) || w < 0 || w > 100);
  if (bad !== undefined) throw new InvalidInputError(`weights must be integers from 0 to 100, got ${bad}`);
  const sum = values.reduce((a, b) => a + b, 0);
  if (sum !== 100) throw new InvalidInputError(`weights must sum to 100, got ${sum}`);
  return weights;
}

export function sameWeights(a: Weights, b: Weights): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

export function initialProgress(plan: Plan, stable: string): Progress {
  return { stepIndex: -1, stepCount: plan.steps.length, trafficStep: 0, weights: { [stable]: 100 } };
}

/**
 * Moves the cursor to the step after `progress`, computed from the input alone so a retry lands
 * on the same step. A pause gets its due time; past the last step the step is `done`.
 */
export function advance(plan: Plan, progress: Progress, now: Date): Progress {
  const index = progress.stepIndex + 1;
  const step = plan.steps[index];
  const { checkAt: _due, hookAttempt: _attempts, bake: _baked, ...rest } = progress;
  if (!step) return { ...rest, stepIndex: plan.steps.length, step: { kind: 'done' } };
  const next: Progress = { ...rest, stepIndex: index, step };
  if (step.kind === 'pause') next.checkAt = new Date(now.getTime() + step.seconds * 1000).toISOString();
  return next;
}

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Parses `90`, `90s`, `5m`, `1h` (and `900ms`) into seconds. */
export function parseDurationSeconds(text: string, field: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new InvalidInputError(`${field} must be a duration like 30s, 5m or 1h, got '${text}'`);
  return Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1);
}

/** Parses a comma-separated weight list such as `10,25,50,100`. */
export function parseWeights(text: string, field: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  return parts.map((p) => {
    if (!/^\d+$/.test(p))
      throw new InvalidInputError(`${field} must be integers separated by commas, got '${text}'`);
    return Number(p);
  });
}
