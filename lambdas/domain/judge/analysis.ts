import type { Analysis, Criterion, ErrorRateCriterion, LatencyCriterion } from './criteria.ts';
import { type CountsLook, proportionEvidence, rateRatioEvidence, rejectionBound } from './sequential.ts';

/** What CloudWatch said of one version over one look's window. */
export interface VersionReading {
  requests: number;
  errors: number;
  /** Latency quantiles over the window, in ms, keyed `p95`, `p99`...; absent when no datapoint. */
  quantiles: Record<string, number | undefined>;
  /** Per quantile key: how many requests were slower than the baseline's pre-deployment quantile, of `latencySamples`. */
  slower: Record<string, number | undefined>;
  /** Requests with a latency datapoint (the latency metric's SampleCount). */
  latencySamples: number;
}

/** One look at both versions: the window since traffic last moved, in the traffic step it ran under. */
export interface Look {
  step: number;
  from: string;
  to: string;
  candidate: VersionReading;
  baseline: VersionReading;
}

/**
 * The baseline before the deployment: its latency quantiles (ms), the thresholds latency is
 * judged at, and its requests and errors, against which the baseline's own drift is judged.
 */
export interface BaselineReference {
  quantiles: Record<string, number | undefined>;
  requests: number;
  errors: number;
}

export type MetricDecision = 'pass' | 'fail' | 'inconclusive';

/** What one criterion was judged on and what it decided: the verdict's evidence, as the audit trail keeps it. */
export interface MetricEvidence {
  metric: string;
  critical: boolean;
  /** The test, in words. */
  statistic: string;
  candidate: Record<string, number>;
  baseline: Record<string, number>;
  /** The null hypothesis tested, in words, and the practical threshold. */
  threshold: string;
  /** The sequential test's evidence against the null (a Bayes factor), and the bound it must reach. */
  evidence: number;
  bound: number;
  decision: MetricDecision;
  reason: string;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface Judgment {
  verdict: Verdict;
  /** True when too few candidate requests are all that keeps the step from passing: a longer bake may help. */
  tooFewRequests?: boolean;
  candidateRequests: number;
  metrics: MetricEvidence[];
  /** One line per decision that was not a pass, and the request count when too low. */
  reasons: string[];
}

const round = (value: number, digits = 4) => Number(value.toFixed(digits));

function totals(looks: readonly Look[], side: 'candidate' | 'baseline') {
  return looks.reduce(
    (acc, look) => ({
      requests: acc.requests + look[side].requests,
      errors: acc.errors + look[side].errors,
    }),
    { requests: 0, errors: 0 },
  );
}

function judgeErrorRate(
  c: ErrorRateCriterion,
  looks: readonly Look[],
  reference: BaselineReference,
  alpha: number,
): MetricEvidence {
  const bound = rejectionBound(alpha);
  const cand = totals(looks, 'candidate');
  const base = totals(looks, 'baseline');
  const rate = (t: { requests: number; errors: number }) =>
    t.requests > 0 ? (100 * t.errors) / t.requests : 0;
  const rc = rate(cand);
  // Compared with the stable version before the deployment when it took no traffic since.
  const rb = base.requests > 0 ? rate(base) : rate(reference);
  // The first look in which the stable version took (almost) no traffic (the candidate at 100 %,
  // while the old version is still there to switch back to) is judged against the stable version
  // before the deployment too: the post-promotion watch. Once only, as a count may be used once.
  const alone =
    reference.requests > 0 ? looks.findIndex((l) => l.baseline.requests < 0.1 * l.candidate.requests) : -1;
  const counts: CountsLook[] = looks.map((look, i) => {
    const candidate = { events: look.candidate.errors, exposure: look.candidate.requests };
    const baseline =
      i === alone
        ? {
            events: look.baseline.errors + reference.errors,
            exposure: look.baseline.requests + reference.requests,
          }
        : { events: look.baseline.errors, exposure: look.baseline.requests };
    return c.direction === 'increase'
      ? { candidate, baseline }
      : { candidate: baseline, baseline: candidate };
  });
  const logEvidence = rateRatioEvidence(counts, c.maxRatio);
  const shownWorse = logEvidence >= bound;
  const [worse, better] = c.direction === 'increase' ? [rc, rb] : [rb, rc];
  const increase = worse - better;
  const practical =
    increase >= c.minIncreasePoints && (better === 0 || (100 * increase) / better >= c.minIncreasePercent);
  const evidence: Omit<MetricEvidence, 'decision' | 'reason'> = {
    metric: 'errorRate',
    critical: c.critical,
    statistic: 'sequential Bayes factor on both versions’ error counts, weighted by their requests',
    candidate: { requests: cand.requests, errors: cand.errors, ratePercent: round(rc) },
    baseline: { requests: base.requests, errors: base.errors, ratePercent: round(rb) },
    threshold: `${c.direction === 'increase' ? 'above' : 'below'} ${c.maxRatio === 1 ? '' : `${c.maxRatio}× `}the baseline's rate, by more than ${c.minIncreasePoints} points and ${c.minIncreasePercent}%${c.maxPercent !== undefined ? `; or above ${c.maxPercent}%` : ''}`,
    evidence: round(Math.exp(Math.min(logEvidence, 700)), 2),
    bound: round(1 / alpha, 0),
  };
  if (cand.requests === 0) {
    return { ...evidence, decision: decideMissing(c), reason: 'the candidate took no requests' };
  }
  if (c.maxPercent !== undefined && c.direction === 'increase') {
    const p0 = c.maxPercent / 100;
    const candidateAbove = proportionEvidence(cand.errors, cand.requests, p0) >= bound;
    const baselineAbove = base.requests > 0 && proportionEvidence(base.errors, base.requests, p0) >= bound;
    if (candidateAbove && baselineAbove) {
      return {
        ...evidence,
        decision: 'inconclusive',
        reason: `both versions fail above ${c.maxPercent}% (${round(rc, 2)}% and ${round(rb, 2)}%): something they share is failing, not the candidate alone`,
      };
    }
    if (candidateAbove) {
      return {
        ...evidence,
        decision: 'fail',
        reason: `the candidate's error rate ${round(rc, 2)}% is above the ${c.maxPercent}% ceiling`,
      };
    }
  }
  // The baseline's own rate against itself before the deployment: a shared dependency failing shows there.
  const before = reference.requests > 0 ? (100 * reference.errors) / reference.requests : undefined;
  const drift =
    before !== undefined && base.requests > 0 && c.direction === 'increase'
      ? rateRatioEvidence(
          [
            {
              candidate: { events: base.errors, exposure: base.requests },
              baseline: { events: reference.errors, exposure: reference.requests },
            },
          ],
          1,
        ) >= bound && rb - before >= c.minIncreasePoints
      : false;
  if (drift) {
    return {
      ...evidence,
      baseline: { ...evidence.baseline, ratePercentBefore: round(before ?? 0) },
      decision: 'inconclusive',
      reason: `the baseline's own error rate rose from ${round(before ?? 0, 2)}% before the deployment to ${round(rb, 2)}%: something both versions share is failing, so the candidate cannot be judged`,
    };
  }
  if (shownWorse && practical) {
    return {
      ...evidence,
      decision: 'fail',
      reason: `the candidate's error rate ${round(rc, 2)}% is ${c.direction === 'increase' ? 'above' : 'below'} the baseline's ${round(rb, 2)}% (evidence ${evidence.evidence} ≥ ${evidence.bound})`,
    };
  }
  return {
    ...evidence,
    decision: 'pass',
    reason: `error rate ${round(rc, 2)}% against the baseline's ${round(rb, 2)}%${shownWorse ? ', higher but within the tolerance' : ''}`,
  };
}

function decideMissing(c: Criterion): MetricDecision {
  return c.missingData;
}

function judgeLatency(
  c: LatencyCriterion,
  looks: readonly Look[],
  reference: BaselineReference,
  alpha: number,
): MetricEvidence {
  const key = `p${c.quantile}`;
  const bound = rejectionBound(alpha);
  const threshold = reference.quantiles[key];
  const p0 = 1 - c.quantile / 100;
  let slowC = 0;
  let nC = 0;
  let slowB = 0;
  let nB = 0;
  let weighted = 0;
  let weights = 0;
  for (const look of looks) {
    const sc = look.candidate.slower[key];
    const sb = look.baseline.slower[key];
    if (sc !== undefined) {
      slowC += sc;
      nC += look.candidate.latencySamples;
    }
    if (sb !== undefined) {
      slowB += sb;
      nB += look.baseline.latencySamples;
    }
    const q = look.candidate.quantiles[key];
    if (q !== undefined && look.candidate.latencySamples > 0) {
      weighted += q * look.candidate.latencySamples;
      weights += look.candidate.latencySamples;
    }
  }
  const candidateQuantile = weights > 0 ? weighted / weights : undefined;
  const logEvidence = threshold !== undefined && nC > 0 ? proportionEvidence(slowC, nC, p0) : 0;
  const evidence: Omit<MetricEvidence, 'decision' | 'reason'> = {
    metric: key,
    critical: c.critical,
    statistic: `sequential test on the share of requests slower than the baseline's ${key} (at most ${round(100 * p0, 2)}% if no slower)`,
    candidate: {
      samples: nC,
      slower: slowC,
      ...(candidateQuantile !== undefined ? { [`${key}Ms`]: round(candidateQuantile, 1) } : {}),
    },
    baseline: {
      samples: nB,
      slower: slowB,
      ...(threshold !== undefined ? { [`${key}Ms`]: round(threshold, 1) } : {}),
    },
    threshold: `slower than the baseline's ${key} and more than ${c.minIncreasePercent}% above it${c.maxMs !== undefined ? `; or ${key} above ${c.maxMs} ms` : ''}`,
    evidence: round(Math.exp(Math.min(logEvidence, 700)), 2),
    bound: round(1 / alpha, 0),
  };
  if (threshold === undefined || nC === 0 || candidateQuantile === undefined) {
    const why =
      threshold === undefined
        ? `the baseline has no ${key} before the deployment`
        : `the candidate has no latency datapoints`;
    return { ...evidence, decision: decideMissing(c), reason: `${why}; missing data is ${c.missingData}` };
  }
  if (c.maxMs !== undefined && candidateQuantile > c.maxMs) {
    return {
      ...evidence,
      decision: 'fail',
      reason: `the candidate's ${key} ${round(candidateQuantile, 1)} ms is above the ${c.maxMs} ms ceiling`,
    };
  }
  const shownSlower = logEvidence >= bound;
  const practical = candidateQuantile >= threshold * (1 + c.minIncreasePercent / 100);
  // The baseline slower than itself before the deployment: something both versions share is slow.
  if (nB > 0 && proportionEvidence(slowB, nB, p0) >= bound) {
    return {
      ...evidence,
      decision: 'inconclusive',
      reason: `the baseline itself is slower than its ${key} before the deployment (${slowB} of ${nB} requests above ${round(threshold, 1)} ms): something both versions share is slow, so the candidate cannot be judged`,
    };
  }
  if (shownSlower && practical) {
    return {
      ...evidence,
      decision: 'fail',
      reason: `the candidate's ${key} ${round(candidateQuantile, 1)} ms is above the baseline's ${round(threshold, 1)} ms (evidence ${evidence.evidence} ≥ ${evidence.bound})`,
    };
  }
  return {
    ...evidence,
    decision: 'pass',
    reason: `${key} ${round(candidateQuantile, 1)} ms against the baseline's ${round(threshold, 1)} ms`,
  };
}

/**
 * Judges a deployment so far from every look at both versions: each criterion's sequential test at
 * level `falseAlarmRate / criteria` (valid however many looks there were), then the verdict. A
 * critical criterion that fails fails the step (roll back); a non-critical one, an inconclusive
 * one (both versions degraded alike, missing data that says so) or too few candidate requests
 * (under `onTooFewRequests: hold`) make it inconclusive, which holds it for a person.
 */
export function judge(analysis: Analysis, looks: readonly Look[], reference: BaselineReference): Judgment {
  const alpha = analysis.falseAlarmRate / Math.max(1, analysis.criteria.length);
  const metrics = analysis.criteria.map((c) =>
    c.metric === 'errorRate'
      ? judgeErrorRate(c, looks, reference, alpha)
      : judgeLatency(c, looks, reference, alpha),
  );
  const candidateRequests = totals(looks, 'candidate').requests;
  const reasons = metrics.filter((m) => m.decision !== 'pass').map((m) => `${m.metric}: ${m.reason}`);
  const criticalFail = metrics.some((m) => m.decision === 'fail' && m.critical);
  let verdict: Verdict = criticalFail
    ? 'fail'
    : metrics.some((m) => m.decision !== 'pass')
      ? 'inconclusive'
      : 'pass';
  if (!criticalFail && candidateRequests < analysis.minCandidateRequests) {
    reasons.push(
      `only ${Math.round(candidateRequests)} candidate requests, fewer than the ${analysis.minCandidateRequests} a step needs to pass`,
    );
    const onlyThat = verdict === 'pass';
    verdict = analysis.onTooFewRequests === 'fail' ? 'fail' : 'inconclusive';
    if (onlyThat) return { verdict, tooFewRequests: true, candidateRequests, metrics, reasons };
  }
  return { verdict, candidateRequests, metrics, reasons };
}
