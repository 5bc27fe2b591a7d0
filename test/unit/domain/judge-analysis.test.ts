import { describe, expect, it } from 'vitest';
import {
  type BaselineReference,
  judge,
  type Look,
  type VersionReading,
} from '../../../lambdas/domain/judge/analysis.ts';
import { type Analysis, DEFAULT_ANALYSIS, resolveAnalysis } from '../../../lambdas/domain/judge/criteria.ts';
import { customVersionMetrics } from '../../../lambdas/domain/judge/metric-specs.ts';

/** A reading: requests, errors, and latency with `slowP95` of them above the baseline's p95 (p99: a twentieth of that). */
function reading(
  requests: number,
  errors: number,
  p95 = 132,
  slowP95 = Math.round(requests * 0.05),
): VersionReading {
  return {
    requests,
    errors,
    quantiles: { p95, p99: p95 * 1.36 },
    slower: { p95: slowP95, p99: Math.round(slowP95 / 5) },
    latencySamples: requests,
  };
}

const REFERENCE: BaselineReference = { quantiles: { p95: 132, p99: 180 }, requests: 15_000, errors: 30 };

function look(step: number, candidate: VersionReading, baseline: VersionReading): Look {
  return {
    step,
    from: `2026-12-01T12:0${step}:00.000Z`,
    to: `2026-12-01T12:0${step + 1}:00.000Z`,
    candidate,
    baseline,
  };
}

const metric = (judgment: ReturnType<typeof judge>, name: string) => {
  const found = judgment.metrics.find((m) => m.metric === name);
  if (!found) throw new Error(`no evidence for ${name}`);
  return found;
};

describe('judge', () => {
  it('passes a candidate like its baseline, with the evidence of every criterion', () => {
    const judgment = judge(DEFAULT_ANALYSIS, [look(1, reading(500, 1), reading(4500, 9))], REFERENCE);
    expect(judgment.verdict).toBe('pass');
    expect(judgment.reasons).toEqual([]);
    expect(judgment.metrics.map((m) => [m.metric, m.decision])).toEqual([
      ['errorRate', 'pass'],
      ['p95', 'pass'],
      ['p99', 'pass'],
    ]);
    const errors = metric(judgment, 'errorRate');
    expect(errors.candidate).toEqual({ requests: 500, errors: 1, ratePercent: 0.2 });
    expect(errors.baseline).toEqual({ requests: 4500, errors: 9, ratePercent: 0.2 });
    expect(errors.bound).toBe(300);
  });

  it('fails a candidate at 5× the baseline error rate, naming both rates and the evidence', () => {
    const judgment = judge(
      DEFAULT_ANALYSIS,
      [look(1, reading(500, 5), reading(4500, 9)), look(2, reading(1250, 13), reading(3750, 8))],
      REFERENCE,
    );
    expect(judgment.verdict).toBe('fail');
    const errors = metric(judgment, 'errorRate');
    expect(errors.decision).toBe('fail');
    expect(errors.evidence).toBeGreaterThanOrEqual(errors.bound);
    expect(judgment.reasons[0]).toMatch(
      /^errorRate: the candidate's error rate 1\.03% is above the baseline's 0\.21%/,
    );
  });

  it('at 100 %, with no stable traffic to compare, judges the candidate against the stable version before the deployment', () => {
    const healthySteps = [
      look(1, reading(500, 1), reading(4500, 9)),
      look(2, reading(1250, 3), reading(3750, 7)),
    ];
    // The post-promotion watch: 1 % errors at 100 %, the stable version idle but still there.
    const atFull = look(3, reading(5000, 50), reading(0, 0));
    const judgment = judge(DEFAULT_ANALYSIS, [...healthySteps, atFull], REFERENCE);
    expect(judgment.verdict).toBe('fail');
    expect(metric(judgment, 'errorRate').reason).toMatch(
      /^the candidate's error rate 0\.8% is above the baseline's 0\.19%/,
    );
    // Healthy at 100 %, it passes.
    expect(
      judge(DEFAULT_ANALYSIS, [...healthySteps, look(3, reading(5000, 10), reading(0, 0))], REFERENCE)
        .verdict,
    ).toBe('pass');
  });

  it('does not fail a difference below the practical floor (0.1 points), however sure the test is', () => {
    // 0.25 % against 0.2 %: shown higher with this much data, but by 0.05 points.
    const judgment = judge(
      DEFAULT_ANALYSIS,
      [look(1, reading(2_000_000, 5000), reading(2_000_000, 4000))],
      REFERENCE,
    );
    expect(metric(judgment, 'errorRate').decision).toBe('pass');
    expect(metric(judgment, 'errorRate').reason).toMatch(/within the tolerance/);
  });

  it('holds, not rolls back, when the baseline itself got worse: a shared dependency failing', () => {
    const judgment = judge(DEFAULT_ANALYSIS, [look(1, reading(500, 15), reading(4500, 135))], REFERENCE);
    expect(judgment.verdict).toBe('inconclusive');
    expect(metric(judgment, 'errorRate').reason).toMatch(
      /baseline's own error rate rose from 0\.2% before the deployment to 3%/,
    );
  });

  it('fails a candidate above the absolute ceiling, the baseline as it was before and under it', () => {
    const bad: BaselineReference = { ...REFERENCE, errors: 600 };
    const judgment = judge(DEFAULT_ANALYSIS, [look(1, reading(1000, 120), reading(9000, 360))], bad);
    expect(judgment.verdict).toBe('fail');
    expect(metric(judgment, 'errorRate').reason).toMatch(/above the 5% ceiling/);
  });

  it('holds when both versions are above the ceiling', () => {
    const bad: BaselineReference = { ...REFERENCE, errors: 1200 };
    const judgment = judge(DEFAULT_ANALYSIS, [look(1, reading(1000, 120), reading(9000, 1100))], bad);
    expect(judgment.verdict).toBe('inconclusive');
    expect(metric(judgment, 'errorRate').reason).toMatch(/both versions fail above 5%/);
  });

  it('fails a candidate whose p95 is 25 % slower, from the share of its requests slower than the baseline p95', () => {
    const judgment = judge(
      DEFAULT_ANALYSIS,
      [look(1, reading(450, 1, 165, 52), reading(4050, 8))],
      REFERENCE,
    );
    expect(judgment.verdict).toBe('fail');
    const p95 = metric(judgment, 'p95');
    expect(p95.candidate).toEqual({ samples: 450, slower: 52, p95Ms: 165 });
    expect(p95.baseline.p95Ms).toBe(132);
    expect(p95.reason).toMatch(/p95 165 ms is above the baseline's 132 ms/);
  });

  it('passes a slowdown within the tolerance (5 % against 10 %), even when it is certainly there', () => {
    const judgment = judge(
      DEFAULT_ANALYSIS,
      [look(1, reading(100_000, 200, 138.6, 6500), reading(100_000, 200))],
      REFERENCE,
    );
    expect(metric(judgment, 'p95').decision).toBe('pass');
  });

  it('holds when the baseline is slower than itself before the deployment', () => {
    const judgment = judge(
      DEFAULT_ANALYSIS,
      [look(1, reading(500, 1, 170, 60), reading(4500, 9, 170, 540))],
      REFERENCE,
    );
    expect(judgment.verdict).toBe('inconclusive');
    expect(metric(judgment, 'p95').reason).toMatch(/the baseline itself is slower than its p95/);
  });

  it('never passes on silence: too few candidate requests hold, or fail under onTooFewRequests: fail', () => {
    const few = [look(1, reading(40, 0), reading(360, 1))];
    const held = judge(DEFAULT_ANALYSIS, few, REFERENCE);
    expect(held.verdict).toBe('inconclusive');
    expect(held.reasons.at(-1)).toBe('only 40 candidate requests, fewer than the 250 a step needs to pass');
    const strict: Analysis = { ...DEFAULT_ANALYSIS, onTooFewRequests: 'fail' };
    expect(judge(strict, few, REFERENCE).verdict).toBe('fail');
    expect(judge(DEFAULT_ANALYSIS, [], REFERENCE).verdict).toBe('inconclusive');
  });

  it("treats a criterion's missing data as it says: inconclusive by default, pass for p99", () => {
    const silent = { ...reading(500, 1), quantiles: {}, slower: {}, latencySamples: 0 };
    const judgment = judge(DEFAULT_ANALYSIS, [look(1, silent, reading(4500, 9))], REFERENCE);
    expect(metric(judgment, 'p95').decision).toBe('inconclusive');
    expect(metric(judgment, 'p99').decision).toBe('pass');
    expect(judgment.verdict).toBe('inconclusive');
  });

  it('a non-critical criterion that fails holds instead of rolling back', () => {
    const analysis = resolveAnalysis({ criteria: [{ metric: 'errorRate', critical: false }] });
    const judgment = judge(
      analysis,
      [look(1, reading(500, 5), reading(4500, 9)), look(2, reading(1250, 13), reading(3750, 8))],
      REFERENCE,
    );
    expect(judgment.metrics[0]?.decision).toBe('fail');
    expect(judgment.verdict).toBe('inconclusive');
  });

  it('direction decrease: a success count that falls is the failure', () => {
    const analysis = resolveAnalysis({
      criteria: [{ metric: 'errorRate', direction: 'decrease', maxPercent: undefined }],
    });
    const fewer = judge(analysis, [look(1, reading(5000, 50), reading(5000, 250))], REFERENCE);
    expect(fewer.verdict).toBe('fail');
    const more = judge(analysis, [look(1, reading(5000, 250), reading(5000, 50))], REFERENCE);
    expect(more.verdict).toBe('pass');
  });
});

describe('resolveAnalysis', () => {
  it('fills every field of a criterion from its metric’s default', () => {
    const analysis = resolveAnalysis({
      criteria: [{ metric: 'latency', quantile: 99 }],
      minCandidateRequests: 1000,
    });
    expect(analysis.criteria).toEqual([
      { metric: 'latency', quantile: 99, minIncreasePercent: 100, critical: false, missingData: 'pass' },
    ]);
    expect(analysis.minCandidateRequests).toBe(1000);
    expect(analysis.hold).toEqual({ timeoutSeconds: 3600, onTimeout: 'rollback' });
    expect(resolveAnalysis({}).criteria).toEqual(DEFAULT_ANALYSIS.criteria);
  });
});

describe('customVersionMetrics', () => {
  it("names each version's own metrics by putting its name where the service wrote {version}", () => {
    const specs = customVersionMetrics(
      {
        requests: {
          namespace: 'Shop',
          metricName: 'Requests',
          dimensions: { Service: 'cart', Version: '{version}' },
        },
        errors: { namespace: 'Shop', metricName: 'Errors', dimensions: { Version: 'v={version}' } },
        latency: {
          namespace: 'Shop',
          metricName: 'Latency',
          dimensions: { Version: '{version}' },
          unit: 's',
        },
      },
      { stableVersion: 'shop:1.0', candidateVersion: 'shop:1.1' },
    );
    expect(specs.candidate.requests).toEqual({
      namespace: 'Shop',
      metricName: 'Requests',
      dimensions: { Service: 'cart', Version: 'shop:1.1' },
    });
    expect(specs.baseline.errors.dimensions).toEqual({ Version: 'v=shop:1.0' });
    expect(specs.candidate.latency).toMatchObject({ metricName: 'Latency', unitMs: 1000 });
  });
});
