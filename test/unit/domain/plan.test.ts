import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import {
  advance,
  assertValidWeights,
  initialProgress,
  parseDurationSeconds,
  parseWeights,
  sameWeights,
  splitWeights,
} from '../../../lambdas/domain/plan.ts';
import type { Plan } from '../../../lambdas/domain/types.ts';
import { T0 } from '../fixtures.ts';

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
    expect(() => splitWeights('v1', 'v1', 10)).toThrow(InvalidInputError);
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

describe('initialProgress', () => {
  it('puts all traffic on the stable version, before the first step and before any traffic step', () => {
    const plan: Plan = { steps: [{ kind: 'setWeight', weight: 100 }, { kind: 'check' }] };
    expect(initialProgress(plan, 'v1')).toEqual({
      stepIndex: -1,
      stepCount: 2,
      trafficStep: 0,
      weights: { v1: 100 },
    });
  });
});

describe('advance', () => {
  const plan: Plan = {
    steps: [
      { kind: 'setWeight', weight: 10 },
      { kind: 'pause', seconds: 300, label: 'bake' },
      { kind: 'check' },
      { kind: 'setWeight', weight: 100 },
    ],
  };
  const start = initialProgress(plan, 'v1');

  it('moves the cursor to the first step from the start', () => {
    expect(advance(plan, start, T0)).toEqual({
      ...start,
      stepIndex: 0,
      step: { kind: 'setWeight', weight: 10 },
    });
  });

  it('gives a pause the time it is due, counted from now', () => {
    const next = advance(plan, { ...start, stepIndex: 0 }, T0);
    expect(next.step).toEqual({ kind: 'pause', seconds: 300, label: 'bake' });
    expect(next.checkAt).toBe(new Date(T0.getTime() + 300_000).toISOString());
  });

  it('drops the due time and the hook attempts of the step it leaves', () => {
    const atPause = advance(plan, { ...start, stepIndex: 0, hookAttempt: 3 }, T0);
    expect(atPause.hookAttempt).toBeUndefined();
    const atCheck = advance(plan, atPause, T0);
    expect(atCheck).toEqual({ ...start, stepIndex: 2, step: { kind: 'check' } });
    expect(atCheck).not.toHaveProperty('checkAt');
  });

  it('keeps what the steps so far recorded: weights, traffic step, when traffic moved', () => {
    const progress = {
      ...start,
      stepIndex: 2,
      trafficStep: 1,
      weights: { v1: 90, v2: 10 },
      stepStartedAt: T0.toISOString(),
    };
    expect(advance(plan, progress, T0)).toEqual({ ...progress, stepIndex: 3, step: plan.steps[3] });
  });

  it('computes the same next step from the same input every time, whatever the time', () => {
    const progress = { ...start, stepIndex: 2 };
    expect(advance(plan, progress, T0)).toEqual(advance(plan, progress, new Date(T0.getTime() + 60_000)));
  });

  it('says done past the last step, and stays done', () => {
    const done = advance(plan, { ...start, stepIndex: 3 }, T0);
    expect(done.step).toEqual({ kind: 'done' });
    expect(done.stepIndex).toBe(4);
    expect(advance(plan, done, T0)).toMatchObject({ stepIndex: 4, step: { kind: 'done' } });
  });

  it('does not change the progress it is given', () => {
    const progress = { ...start, stepIndex: 0, checkAt: T0.toISOString() };
    const copy = structuredClone(progress);
    advance(plan, progress, T0);
    expect(progress).toEqual(copy);
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
