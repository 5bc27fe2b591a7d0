import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import {
  assertValidWeights,
  defaultPlan,
  initialProgress,
  nextStep,
  parseDurationSeconds,
  parseWeights,
  sameWeights,
  splitWeights,
  validatePlan,
} from '../../../lambdas/domain/plan.ts';
import type { Plan } from '../../../lambdas/domain/types.ts';
import { plan } from '../fixtures.ts';

describe('validatePlan', () => {
  it('accepts the default plan and returns it', () => {
    const p = defaultPlan();
    expect(validatePlan(p)).toBe(p);
    expect(p.steps.map((s) => s.weight)).toEqual([10, 25, 50, 100]);
  });

  it('accepts a single step straight to 100 with no bake', () => {
    expect(() => validatePlan({ steps: [{ weight: 100, bakeSeconds: 0 }] })).not.toThrow();
  });

  it('refuses a plan with no steps', () => {
    expect(() => validatePlan({ steps: [] })).toThrow('plan.steps must list at least one step');
  });

  it.each([
    [0, 'plan.steps[0].weight must be an integer from 1 to 100, got 0'],
    [101, 'plan.steps[0].weight must be an integer from 1 to 100, got 101'],
    [12.5, 'plan.steps[0].weight must be an integer from 1 to 100, got 12.5'],
  ])('refuses a weight of %s and names the step', (weight, message) => {
    expect(() => validatePlan({ steps: [{ weight, bakeSeconds: 60 }] })).toThrow(message);
  });

  it('refuses weights that do not increase, naming the step and the one before it', () => {
    expect(() => validatePlan(plan(10, 50, 50, 100))).toThrow(
      'plan.steps[2].weight must be greater than the step before it (50), got 50',
    );
  });

  it.each([-1, 86_401, 1.5])('refuses a bake of %s seconds', (bakeSeconds) => {
    expect(() => validatePlan({ steps: [{ weight: 100, bakeSeconds }] })).toThrow(
      `plan.steps[0].bakeSeconds must be an integer from 0 to 86400, got ${bakeSeconds}`,
    );
  });

  it('refuses a plan that does not end at 100', () => {
    expect(() => validatePlan(plan(10, 50))).toThrow('plan.steps must end at weight 100, the last is 50');
  });

  it('names the field it was given, with an InvalidInputError', () => {
    const bad: Plan = { steps: [{ weight: 100, bakeSeconds: -5 }] };
    expect(() => validatePlan(bad, 'deployment.plan')).toThrow(/^deployment\.plan\.steps\[0\]\.bakeSeconds/);
    expect(() => validatePlan(bad)).toThrow(InvalidInputError);
  });
});

describe('splitWeights', () => {
  it('puts the percent on the candidate and the rest on the stable version', () => {
    expect(splitWeights('v1', 'v2', 10)).toEqual({ v1: 90, v2: 10 });
    expect(splitWeights('v1', 'v2', 0)).toEqual({ v1: 100, v2: 0 });
    expect(splitWeights('v1', 'v2', 100)).toEqual({ v1: 0, v2: 100 });
  });

  it.each([-1, 101, 2.5])('refuses a candidate percent of %s', (percent) => {
    expect(() => splitWeights('v1', 'v2', percent)).toThrow(
      `weight must be an integer from 0 to 100, got ${percent}`,
    );
  });

  it('refuses a candidate that is already the stable version', () => {
    expect(() => splitWeights('v1', 'v1', 10)).toThrow(
      'the candidate version is already the stable version (v1)',
    );
  });
});

describe('assertValidWeights', () => {
  it('accepts integers that sum to 100', () => {
    const weights = { v1: 75, v2: 25 };
    expect(assertValidWeights(weights)).toBe(weights);
    expect(() => assertValidWeights({ v2: 100 })).not.toThrow();
  });

  it('refuses weights that do not sum to 100 and shows the sum', () => {
    expect(() => assertValidWeights({ v1: 60, v2: 50 })).toThrow('weights must sum to 100, got 110');
    expect(() => assertValidWeights({})).toThrow('weights must sum to 100, got 0');
  });

  it.each([
    [{ v1: 110, v2: -10 }, 110],
    [{ v1: 50.5, v2: 49.5 }, 50.5],
  ])('refuses %j, naming the bad weight', (weights, bad) => {
    expect(() => assertValidWeights(weights)).toThrow(`weights must be integers from 0 to 100, got ${bad}`);
  });
});

describe('sameWeights', () => {
  it('treats a version that is absent as 0%', () => {
    expect(sameWeights({ v2: 100 }, { v1: 0, v2: 100 })).toBe(true);
    expect(sameWeights({ v1: 0, v2: 100 }, { v2: 100 })).toBe(true);
  });

  it('ignores key order', () => {
    expect(sameWeights({ v1: 90, v2: 10 }, { v2: 10, v1: 90 })).toBe(true);
  });

  it('tells different splits apart', () => {
    expect(sameWeights({ v1: 90, v2: 10 }, { v1: 10, v2: 90 })).toBe(false);
    expect(sameWeights({ v1: 100 }, { v2: 100 })).toBe(false);
  });
});

describe('nextStep', () => {
  const p = plan(10, 50, 100);

  it('starts at the first step before any shift', () => {
    const next = nextStep(p, initialProgress(p, 'v1'));
    expect(next).toEqual({ index: 0, step: { weight: 10, bakeSeconds: 300 }, isFinal: false });
  });

  it('marks the last step as final', () => {
    const next = nextStep(p, { ...initialProgress(p, 'v1'), stepIndex: 1 });
    expect(next.index).toBe(2);
    expect(next.step.weight).toBe(100);
    expect(next.isFinal).toBe(true);
  });

  it('computes the same step from the same input every time', () => {
    const progress = { ...initialProgress(p, 'v1'), stepIndex: 0 };
    expect(nextStep(p, progress)).toEqual(nextStep(p, progress));
    expect(nextStep(p, progress).index).toBe(1);
  });

  it('refuses to go past the last step', () => {
    expect(() => nextStep(p, { ...initialProgress(p, 'v1'), stepIndex: 2 })).toThrow(
      'plan has 3 steps, there is no step 4',
    );
  });
});

describe('initialProgress', () => {
  it('puts all traffic on the stable version before the first step', () => {
    expect(initialProgress(plan(10, 100), 'v1')).toEqual({
      stepIndex: -1,
      stepCount: 2,
      weights: { v1: 100 },
      isFinalStep: false,
    });
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['900ms', 0.9],
    [' 2m ', 120],
    ['0', 0],
  ])('reads %j as %s seconds', (text, seconds) => {
    expect(parseDurationSeconds(text, '--bake')).toBeCloseTo(seconds, 9);
  });

  it.each(['5 minutes', '1.5m', '-5s', '', '5d'])('refuses %j, naming the field and the value', (text) => {
    expect(() => parseDurationSeconds(text, '--bake')).toThrow(
      `--bake must be a duration like 30s, 5m or 1h, got '${text}'`,
    );
  });
});

describe('parseWeights', () => {
  it('reads a comma-separated list, allowing spaces', () => {
    expect(parseWeights('10, 25,50 ,100', '--steps')).toEqual([10, 25, 50, 100]);
  });

  it.each(['10,,100', '10;100', '-5,100', '10.5,100', ''])('refuses %j, naming the field', (text) => {
    expect(() => parseWeights(text, '--steps')).toThrow(
      `--steps must be integers separated by commas, got '${text}'`,
    );
  });
});
