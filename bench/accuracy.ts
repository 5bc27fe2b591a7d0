/**
 * The judge's accuracy over many simulated rollouts (`npm run bench`, after judgment.ts).
 *
 * Each rollout is the default canary (10 → 25 → 50 → 100 %, 5-minute bakes) of one service on the
 * simulated fleet with its own seed: per-minute Poisson requests, binomial errors at a 0.2 %
 * baseline rate, lognormal latency. At each bake's end the judge looks at both versions as Check
 * alarms does (the same windows, the same `judge` with the default criteria), from the fleet's
 * GetMetricData answers; the rollout stops at the first step that is not a pass. The full state
 * machine is not run 1,000 times: it adds nothing to the verdicts, which are these functions'.
 *
 * Printed and written to bench/results/accuracy.{json,md}: false rollbacks and holds of healthy
 * versions, and for each regression the share caught by the step the goal names, when, with how
 * many candidate requests, beside the fixed-horizon sample size the same error rates would need.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import lognormalCdf from '@stdlib/stats-base-dists-lognormal-cdf';
import lognormalQuantile from '@stdlib/stats-base-dists-lognormal-quantile';
import { wholeMinutes } from '../lambdas/adapters/cloudwatch/cloudwatch-metrics.ts';
import { judge, type Look, type Verdict } from '../lambdas/domain/judge/analysis.ts';
import { DEFAULT_ANALYSIS } from '../lambdas/domain/judge/criteria.ts';
import {
  latencyQuantiles,
  referenceOf,
  referenceWindow,
  thresholdsOf,
} from '../lambdas/domain/judge/looks.ts';
import type { BehaviourFault } from '../local/faults.ts';
import { HEALTHY, LATENCY_SIGMA, SimulatedFleet } from '../local/simulated-fleet.ts';

const ROLLOUTS = Number(process.env.BENCH_ROLLOUTS ?? 1000);
const WEIGHTS = [10, 25, 50, 100];
const BAKE_SECONDS = 300;
/** Prepare, the shift and its read-back take a few seconds before a bake starts. */
const SHIFT_SECONDS = 4;
const OUT = join(import.meta.dirname, 'results');

interface Scenario {
  name: string;
  rpm: number;
  fault?: BehaviourFault;
  /** The traffic step by whose end a regression should be caught (the goal), and the goal's share. */
  goal?: { byStep: number; share: number; text: string };
  /** For the fixed-horizon comparison: the null's and the regression's rate of the tested event. */
  rates?: { p0: number; p1: number; what: string };
}

/** A candidate 25 % slower throughout: its share of requests slower than the baseline's p95. */
const slowShare = 1 - lognormalCdf(lognormalQuantile(0.95, 0, LATENCY_SIGMA), Math.log(1.25), LATENCY_SIGMA);

const SCENARIOS: Scenario[] = [
  { name: 'healthy, 1,000 rpm', rpm: 1000 },
  { name: 'healthy, 10,000 rpm', rpm: 10_000 },
  {
    name: 'errors 0.2 → 1 %, 1,000 rpm',
    rpm: 1000,
    fault: { kind: 'errors', value: 0.01, fromStep: 1 },
    goal: { byStep: 2, share: 0.95, text: '≥ 95 % by the end of step 2' },
    rates: { p0: HEALTHY.errorRate, p1: 0.01, what: 'errors' },
  },
  {
    name: 'errors 0.2 → 0.4 % (2×), 10,000 rpm',
    rpm: 10_000,
    fault: { kind: 'errors', value: 0.004, fromStep: 1 },
    goal: { byStep: 3, share: 0.95, text: '≥ 95 % before 100 %' },
    rates: { p0: HEALTHY.errorRate, p1: 0.004, what: 'errors' },
  },
  {
    name: 'latency +25 % (p95), 1,000 rpm',
    rpm: 1000,
    fault: { kind: 'latency', value: 25, unit: 'percent', fromStep: 1 },
    goal: { byStep: 1, share: 0.95, text: '≥ 95 % in step 1' },
    rates: { p0: 0.05, p1: slowShare, what: 'requests slower than the baseline’s p95' },
  },
];

interface Outcome {
  /** The first step that was not a pass, and its verdict; undefined when all passed. */
  stoppedAt?: { step: number; verdict: Verdict; seconds: number; candidateRequests: number };
}

function rollout(scenario: Scenario, seed: number): Outcome {
  // Where within a minute the rollout starts moves the whole-minute windows, as on AWS.
  const startedAt = new Date(Date.UTC(2026, 11, 1, 12, 0, seed % 60));
  const fleet = new SimulatedFleet({
    stableVersion: 'shop:1.0',
    candidateVersion: 'shop:1.1',
    requestsPerMinute: scenario.rpm,
    segmentShare: 0,
    faults: scenario.fault ? [scenario.fault] : [],
    startedAt,
    seed,
  });
  const analysis = DEFAULT_ANALYSIS;
  const quantiles = latencyQuantiles(analysis);
  const before = referenceWindow(analysis, { startedAt: startedAt.toISOString() });
  const read = (version: string, window: { start: Date; end: Date }, thresholds: Record<string, number>) => {
    const whole = wholeMinutes(window);
    return whole
      ? fleet.reading(version, whole.start, whole.end, quantiles, thresholds)
      : { requests: 0, errors: 0, quantiles: {}, slower: {}, latencySamples: 0 };
  };
  const reference = referenceOf(read('shop:1.0', before, {}));
  const thresholds = thresholdsOf(reference);
  const looks: Look[] = [];
  let at = startedAt.getTime();
  for (const [i, weight] of WEIGHTS.entries()) {
    at += SHIFT_SECONDS * 1000;
    const from = new Date(at);
    fleet.route(from, { weights: { 'shop:1.1': weight, 'shop:1.0': 100 - weight } });
    at += BAKE_SECONDS * 1000;
    const window = { start: from, end: new Date(at) };
    looks.push({
      step: i + 1,
      from: from.toISOString(),
      to: window.end.toISOString(),
      candidate: read('shop:1.1', window, thresholds),
      baseline: read('shop:1.0', window, thresholds),
    });
    const judgment = judge(analysis, looks, reference);
    if (judgment.verdict !== 'pass') {
      return {
        stoppedAt: {
          step: i + 1,
          verdict: judgment.verdict,
          seconds: (at - startedAt.getTime()) / 1000,
          candidateRequests: judgment.candidateRequests,
        },
      };
    }
  }
  return {};
}

/**
 * Candidate requests an exact one-sided binomial test, looked at once at a horizon fixed in
 * advance at the judge's level, would need for 95 % power, the baseline's rate taken as known: a
 * lower bound for any test, and what a sequential test pays for being valid at every look.
 */
function fixedHorizon(p0: number, p1: number): number {
  const alpha = DEFAULT_ANALYSIS.falseAlarmRate / DEFAULT_ANALYSIS.criteria.length;
  const power = (n: number) => {
    let c = 0;
    while (1 - binomialCdf(c - 1, n, p0) > alpha) c += 1;
    return 1 - binomialCdf(c - 1, n, p1);
  };
  let lo = 1;
  let hi = 1;
  while (power(hi) < 0.95) hi *= 2;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (power(mid) >= 0.95) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const medianOf = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor(sorted.length / 2)] as number);
};

const results = SCENARIOS.map((scenario) => {
  const outcomes = Array.from({ length: ROLLOUTS }, (_, i) => rollout(scenario, i + 1));
  const failed = outcomes.filter((o) => o.stoppedAt?.verdict === 'fail');
  const held = outcomes.filter((o) => o.stoppedAt?.verdict === 'inconclusive');
  const result: Record<string, unknown> = {
    scenario: scenario.name,
    rollouts: ROLLOUTS,
    rolledBack: failed.length / ROLLOUTS,
    held: held.length / ROLLOUTS,
  };
  if (scenario.goal) {
    const caught = failed.filter((o) => (o.stoppedAt?.step ?? 99) <= (scenario.goal?.byStep ?? 0));
    result.goal = scenario.goal.text;
    result.caughtByGoal = caught.length / ROLLOUTS;
    result.goalMet = caught.length / ROLLOUTS >= scenario.goal.share;
    result.medianMinutesToCatch = medianOf(failed.map((o) => (o.stoppedAt?.seconds ?? 0) / 60));
    result.medianCandidateRequests = medianOf(failed.map((o) => o.stoppedAt?.candidateRequests ?? 0));
  } else {
    result.goal = '≤ 1 % rolled back or held';
    result.goalMet = (failed.length + held.length) / ROLLOUTS <= 0.01;
  }
  if (scenario.rates) {
    result.fixedHorizonRequests = fixedHorizon(scenario.rates.p0, scenario.rates.p1);
    result.tested = `${scenario.rates.what}: ${pct(scenario.rates.p0)} → ${pct(scenario.rates.p1)}`;
  }
  return result;
});

const rows = results.map((r) => {
  const caught = r.caughtByGoal === undefined ? '–' : pct(r.caughtByGoal as number);
  const when =
    r.medianMinutesToCatch === undefined
      ? '–'
      : `${(r.medianMinutesToCatch as number).toFixed(1)} min, ${Math.round(r.medianCandidateRequests as number)} req`;
  const fixed = r.fixedHorizonRequests === undefined ? '–' : String(r.fixedHorizonRequests);
  return `| ${r.scenario} | ${pct(r.rolledBack as number)} | ${pct(r.held as number)} | ${caught} | ${when} | ${fixed} | ${r.goal} ${r.goalMet ? '✓' : '✗'} |`;
});
const markdown = [
  `## The judge over ${ROLLOUTS} rollouts per scenario`,
  '',
  'Default canary 10 → 25 → 50 → 100 %, 5-minute bakes, 0.2 % baseline error rate, default criteria.',
  '',
  '| scenario | rolled back | held | caught by the goal | median catch (time, candidate requests) | fixed-horizon requests | goal |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
].join('\n');

console.log(markdown);
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'accuracy.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(OUT, 'accuracy.md'), markdown);
