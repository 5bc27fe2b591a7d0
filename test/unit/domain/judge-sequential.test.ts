import binomial from '@stdlib/random-base-binomial';
import { describe, expect, it } from 'vitest';
import {
  proportionEvidence,
  rateRatioEvidence,
  rejectionBound,
} from '../../../lambdas/domain/judge/sequential.ts';

/** n choose k, exactly. */
function choose(n: number, k: number): bigint {
  let out = 1n;
  for (let i = 1; i <= k; i++) out = (out * BigInt(n - k + i)) / BigInt(i);
  return out;
}

/** P(Binomial(n, 1/2) ≤ k), exactly, as a float. */
function halfBinomialCdf(n: number, k: number): number {
  let sum = 0n;
  for (let i = 0; i <= k; i++) sum += choose(n, i);
  return Number((sum * 10n ** 18n) / 2n ** BigInt(n)) / 1e18;
}

describe('proportionEvidence (one-sided Beta-binomial mixture)', () => {
  it('matches the closed form of the textbook example, 60 successes in 100 against p = 1/2', () => {
    // With a uniform prior the point-null Bayes factor is BF10 = 1 / ((n + 1) · C(n, k) · 2^-n)
    // (Jeffreys, Theory of Probability, 3rd ed., 1961, §5.1): 0.9130 for k = 60, n = 100. The
    // one-sided test against p ≤ 1/2 is that times the posterior mass above 1/2 over the prior's
    // (Morey & Wagenmakers, "Simple relation between Bayesian order-restricted and point-null
    // hypothesis tests", Statistics & Probability Letters 92, 2014), and for a Beta(61, 41)
    // posterior that mass is P(Binomial(101, 1/2) ≤ 60). Both computed here in exact integers.
    const bf10 = Number((2n ** 100n * 10n ** 12n) / (101n * choose(100, 60))) / 1e12;
    expect(bf10).toBeCloseTo(0.913, 3);
    const posteriorAbove = halfBinomialCdf(101, 60);
    const expected = Math.log((bf10 * posteriorAbove) / 0.5);
    expect(proportionEvidence(60, 100, 0.5, { a: 1, b: 1 })).toBeCloseTo(expected, 9);
  });

  it('is 1 (log 0) before any trial, and falls when the data sit below the bound', () => {
    expect(proportionEvidence(0, 0, 0.05)).toBe(0);
    expect(proportionEvidence(2, 500, 0.05)).toBeLessThan(-2);
  });

  it('grows without bound as a proportion well above p0 is observed longer', () => {
    const small = proportionEvidence(12, 100, 0.05);
    const large = proportionEvidence(120, 1000, 0.05);
    expect(large).toBeGreaterThan(small);
    expect(large).toBeGreaterThan(rejectionBound(0.001));
  });

  it('rejects a true null in at most α of runs however often it is looked at (Ville), unlike a z-test at every look', () => {
    const draw = binomial.factory({ seed: 20261204 });
    const runs = 2000;
    const alpha = 0.05;
    let sequential = 0;
    let naive = 0;
    for (let run = 0; run < runs; run++) {
      let k = 0;
      let n = 0;
      let rejected = false;
      let naiveRejected = false;
      for (let look = 0; look < 50; look++) {
        k += draw(100, 0.05);
        n += 100;
        if (proportionEvidence(k, n, 0.05) >= rejectionBound(alpha)) rejected = true;
        // The fixed-horizon z-test at 5 %, repeated at each look: its error grows with the looks.
        if ((k / n - 0.05) / Math.sqrt((0.05 * 0.95) / n) > 1.645) naiveRejected = true;
      }
      if (rejected) sequential += 1;
      if (naiveRejected) naive += 1;
    }
    expect(sequential / runs).toBeLessThanOrEqual(alpha);
    expect(naive / runs).toBeGreaterThan(2 * alpha);
  });
});

describe('rateRatioEvidence (two versions, traffic-weighted)', () => {
  const look = (ce: number, cn: number, be: number, bn: number) => ({
    candidate: { events: ce, exposure: cn },
    baseline: { events: be, exposure: bn },
  });

  it("with a single alternative it is Wald's likelihood ratio: ratio 2 on equal traffic, 10 errors against 2", () => {
    // ρ0 = 1/2 (equal exposures, equal rates), ρ1 = 2/(2 + 1): LR = (4/3)^10 · (2/3)^2.
    expect(rateRatioEvidence([look(10, 1000, 2, 1000)], 1, [2])).toBeCloseTo(
      10 * Math.log(4 / 3) + 2 * Math.log(2 / 3),
      12,
    );
  });

  it('weighs each version by its own requests: the same error counts mean more at a 10 % share', () => {
    const equalRates = rateRatioEvidence([look(5, 500, 45, 4500)], 1);
    const candidateWorse = rateRatioEvidence([look(20, 500, 45, 4500)], 1);
    expect(equalRates).toBeLessThan(0);
    expect(candidateWorse).toBeGreaterThan(rejectionBound(0.01));
  });

  it('takes looks at different traffic shares (the steps of a canary) as one test', () => {
    const steps = [look(5, 500, 9, 4500), look(13, 1250, 8, 3750), look(25, 2500, 5, 2500)];
    const one = rateRatioEvidence(steps.slice(0, 1), 1);
    const three = rateRatioEvidence(steps, 1);
    expect(three).toBeGreaterThan(one);
    expect(three).toBeGreaterThan(rejectionBound(0.001));
  });

  it('holds the margin: a candidate at 1.5× the baseline does not fail a "no more than 2×" test', () => {
    expect(rateRatioEvidence([look(1500, 500_000, 1000, 500_000)], 2)).toBeLessThan(0);
    expect(rateRatioEvidence([look(1500, 500_000, 1000, 500_000)], 1)).toBeGreaterThan(rejectionBound(0.01));
  });

  it('fails two equal versions in at most α of runs over twenty looks at shifting shares', () => {
    const draw = binomial.factory({ seed: 7 });
    const runs = 2000;
    const alpha = 0.05;
    let rejected = 0;
    for (let run = 0; run < runs; run++) {
      const looks = [];
      for (let i = 0; i < 20; i++) {
        const share = [0.1, 0.25, 0.5][i % 3] as number;
        const nc = Math.round(2000 * share);
        const nb = 2000 - nc;
        looks.push(look(draw(nc, 0.002), nc, draw(nb, 0.002), nb));
        if (rateRatioEvidence(looks, 1) >= rejectionBound(alpha)) {
          rejected += 1;
          break;
        }
      }
    }
    expect(rejected / runs).toBeLessThanOrEqual(alpha);
  });
});
