import betainc from '@stdlib/math-base-special-betainc';
import betaln from '@stdlib/math-base-special-betaln';

/**
 * Anytime-valid tests: each returns the log of a test martingale (a mixture likelihood ratio, or
 * Bayes factor, against the null's boundary). Under the null it is a nonnegative supermartingale,
 * so by Ville's inequality the chance that it EVER reaches 1/α, however often it is looked at, is
 * at most α (Lindon & Malek, "Anytime-Valid Inference for Multinomial Count Data", NeurIPS 2022;
 * Robbins 1970). A judge may look after every minute of a bake and reject when
 * `logEvidence ≥ log(1/α)` without inflating its false alarms.
 */

/** The threshold a test's log evidence must reach to reject at level α, valid at every look. */
export function rejectionBound(alpha: number): number {
  return Math.log(1 / alpha);
}

/**
 * H0: a proportion is at most `p0` (e.g. the share of requests slower than a threshold is at most
 * 5 %), against H1: it is above. `successes` of `trials` observed so far. The mixture is a
 * Beta(a, b) prior truncated to (p0, 1), in closed form:
 *
 *   BF = [B(k + a, n − k + b) · (1 − I_p0(k + a, n − k + b))] / [B(a, b) · (1 − I_p0(a, b))]
 *        / [p0^k · (1 − p0)^(n − k)]
 *
 * Each likelihood ratio (p1/p0)^k ((1 − p1)/(1 − p0))^(n − k) with p1 > p0 is a supermartingale
 * under every p ≤ p0 (its expected factor per trial is linear in p and 1 at p0), so their mixture
 * is too: the one-sided test is valid for the whole composite null.
 */
export function proportionEvidence(
  successes: number,
  trials: number,
  p0: number,
  prior: { a: number; b: number } = proportionPrior(p0),
): number {
  if (trials <= 0) return 0;
  const k = successes;
  const f = trials - successes;
  const { a, b } = prior;
  const tailPosterior = betainc(p0, k + a, f + b, true, true);
  const tailPrior = betainc(p0, a, b, true, true);
  if (tailPosterior <= 0) return Number.NEGATIVE_INFINITY;
  return (
    betaln(k + a, f + b) -
    betaln(a, b) +
    Math.log(tailPosterior) -
    Math.log(tailPrior) -
    (k > 0 ? k * Math.log(p0) : 0) -
    (f > 0 ? f * Math.log1p(-p0) : 0)
  );
}

/**
 * The default prior for `proportionEvidence`: mean twice the null's bound (the effects worth
 * catching are a doubling, not a proportion near 1), and as diffuse as a single success.
 */
export function proportionPrior(p0: number): { a: number; b: number } {
  const mean = Math.min(0.5, 2 * p0);
  return { a: 1, b: (1 - mean) / mean };
}

/** One look's event counts of two versions over the same window: events (errors) and exposure (requests). */
export interface CountsLook {
  candidate: { events: number; exposure: number };
  baseline: { events: number; exposure: number };
}

/**
 * The rate ratios the mixture spreads over, log-uniformly, from 1.25× the margin to 16× it: the
 * regressions worth catching. A smaller one is still caught, later; the mixture stays valid.
 */
export const RATIO_GRID = Array.from({ length: 24 }, (_, i) => 1.25 * 12.8 ** (i / 23));

/**
 * H0: the candidate's event rate is at most `margin` × the baseline's (λc ≤ m·λb), against H1:
 * it is higher. Conditional on a look's total events E, the candidate's count is Binomial(E, ρ)
 * with ρ = r·nc / (r·nc + nb) for the rate ratio r and the looks's exposures; the boundary of H0 is
 * ρ0 = m·nc / (m·nc + nb). The traffic shares may differ between looks (each step of a rollout
 * has its own), so the likelihood ratio is a product over looks, and the mixture over r is a
 * discrete prior on a log-spaced grid above the margin (a discrete mixture is exact, not an
 * approximation of one). This is the count test of Lindon & Malek with the traffic shares as the
 * null's cell probabilities.
 */
export function rateRatioEvidence(
  looks: readonly CountsLook[],
  margin: number,
  grid: readonly number[] = RATIO_GRID,
): number {
  let max = Number.NEGATIVE_INFINITY;
  const logs = grid.map((factor) => {
    const r = margin * factor;
    let log = 0;
    for (const { candidate: c, baseline: b } of looks) {
      if (c.exposure <= 0 || b.exposure <= 0) continue;
      const rho0 = (margin * c.exposure) / (margin * c.exposure + b.exposure);
      const rho1 = (r * c.exposure) / (r * c.exposure + b.exposure);
      if (c.events > 0) log += c.events * Math.log(rho1 / rho0);
      if (b.events > 0) log += b.events * Math.log((1 - rho1) / (1 - rho0));
    }
    max = Math.max(max, log);
    return log;
  });
  // log of the mean of exp(logs): the prior weights are equal.
  const sum = logs.reduce((acc, l) => acc + Math.exp(l - max), 0);
  return max + Math.log(sum / logs.length);
}
