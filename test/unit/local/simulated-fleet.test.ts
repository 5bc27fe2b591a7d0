import { describe, expect, it } from 'vitest';
import type { RouteRecord } from '../../../lambdas/ports/store.ts';
import type { BehaviourFault } from '../../../local/faults.ts';
import { HEALTHY, SimulatedFleet } from '../../../local/simulated-fleet.ts';
import { T0 } from '../fixtures.ts';

const STABLE = 'v1';
const CANDIDATE = 'v2';
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const BETA = { match: { header: 'x-beta', value: 'yes' }, version: CANDIDATE };

/** The candidate fails 8% of its requests from the second traffic step on. */
const FAULTY_FROM_STEP_2: BehaviourFault[] = [{ kind: 'errors', value: 0.08, fromStep: 2 }];

type Routes = Pick<RouteRecord, 'weights' | 'segment' | 'stopped'>;
const split = (candidatePercent: number): Routes => ({
  weights: { [STABLE]: 100 - candidatePercent, [CANDIDATE]: candidatePercent },
});

/** 600 requests a minute, 20% of them from beta users; routed by `routes`, each from its time on. */
function fleet(routes: [seconds: number, routes: Routes][], faults = FAULTY_FROM_STEP_2) {
  const f = new SimulatedFleet({
    stableVersion: STABLE,
    candidateVersion: CANDIDATE,
    requestsPerMinute: 600,
    segmentShare: 0.2,
    faults,
    startedAt: T0,
  });
  for (const [seconds, r] of routes) f.route(at(seconds), r);
  return f;
}

/** A fleet routed `candidatePercent` to the candidate from each `seconds` on. */
const weighted = (routes: [seconds: number, candidatePercent: number][], faults = FAULTY_FROM_STEP_2) =>
  fleet(
    routes.map(([seconds, percent]) => [seconds, split(percent)]),
    faults,
  );

describe('SimulatedFleet', () => {
  it('gives a version with 0% traffic no datapoints, as CloudWatch has none', () => {
    const f = weighted([[0, 0]]);
    expect(f.datapoint('ErrorRate', CANDIDATE, T0, 60)).toBeUndefined();
    expect(f.datapoint('LatencyP99', CANDIDATE, T0, 60)).toBeUndefined();
    expect(f.datapoint('RequestCount', CANDIDATE, T0, 60)).toBe(0);
  });

  it("computes a version's metrics from its share of requests and its behaviour at that step", () => {
    const f = weighted([
      [0, 10],
      [60, 50],
    ]);
    expect(f.datapoint('RequestCount', CANDIDATE, T0, 60)).toBeCloseTo(60);
    expect(f.datapoint('ErrorRate', CANDIDATE, T0, 60)).toBeCloseTo(100 * HEALTHY.errorRate);
    expect(f.datapoint('ErrorRate', CANDIDATE, at(60), 60)).toBeCloseTo(8);
    expect(f.datapoint('ErrorRate', STABLE, at(60), 60)).toBeCloseTo(100 * HEALTHY.errorRate);
  });

  it('weights a period that spans a route change by the requests on each side', () => {
    const f = weighted([
      [0, 50],
      [30, 100],
    ]);
    // 150 requests at step 1 (0.2% errors), then 300 at step 2 (8%): (0.3 + 24) / 450.
    expect(f.datapoint('RequestCount', CANDIDATE, T0, 60)).toBeCloseTo(450);
    expect(f.datapoint('ErrorRate', CANDIDATE, T0, 60)).toBeCloseTo(5.4);
  });

  it('adds latency faults to the healthy p99', () => {
    const f = weighted([[0, 10]], [{ kind: 'latency', value: 900, fromStep: 1 }]);
    expect(f.datapoint('LatencyP99', CANDIDATE, T0, 60)).toBeCloseTo(HEALTHY.latencyP99Ms + 900);
  });
});

describe('SimulatedFleet faults by traffic step', () => {
  it('turns a fault on at the traffic step it names, whatever the weight there', () => {
    const firstStepAt50 = weighted([[0, 50]]);
    const secondStepAt50 = weighted([
      [0, 10],
      [60, 50],
    ]);
    expect(firstStepAt50.datapoint('ErrorRate', CANDIDATE, T0, 60)).toBeCloseTo(100 * HEALTHY.errorRate);
    expect(secondStepAt50.datapoint('ErrorRate', CANDIDATE, at(60), 60)).toBeCloseTo(8);
  });

  it('does not count a route change that gives the candidate no more traffic as a step', () => {
    const f = weighted([
      [0, 0],
      [30, 10],
      [60, 10],
    ]);
    expect(f.datapoint('ErrorRate', CANDIDATE, at(60), 60)).toBeCloseTo(100 * HEALTHY.errorRate);
  });

  it('counts routing a segment as a step, and the weighted phase after it as the next', () => {
    const f = fleet([
      [0, { ...split(0), segment: BETA }],
      [60, { ...split(50), segment: BETA }],
    ]);
    expect(f.datapoint('ErrorRate', CANDIDATE, T0, 60)).toBeCloseTo(100 * HEALTHY.errorRate);
    expect(f.datapoint('ErrorRate', CANDIDATE, at(60), 60)).toBeCloseTo(8);
  });

  it('counts starting the candidate as a step, but not stopping the stable version', () => {
    const recreate: [number, Routes][] = [
      [0, { weights: { [STABLE]: 100 }, stopped: [STABLE] }],
      [30, { weights: { [CANDIDATE]: 100 }, stopped: [STABLE] }],
    ];
    const fromStep = (step: number): BehaviourFault[] => [{ kind: 'errors', value: 0.08, fromStep: step }];
    expect(fleet(recreate, fromStep(1)).datapoint('ErrorRate', CANDIDATE, at(30), 60)).toBeCloseTo(8);
    expect(fleet(recreate, fromStep(2)).datapoint('ErrorRate', CANDIDATE, at(30), 60)).toBeCloseTo(
      100 * HEALTHY.errorRate,
    );
  });
});

describe('SimulatedFleet segments', () => {
  it('sends the segment share of requests to the segment version, the rest by the weights', () => {
    const f = fleet([[0, { ...split(0), segment: BETA }]]);
    expect(f.datapoint('RequestCount', CANDIDATE, T0, 60)).toBeCloseTo(120);
    expect(f.datapoint('RequestCount', STABLE, T0, 60)).toBeCloseTo(480);
  });

  it('splits the requests outside the segment by the weights', () => {
    const f = fleet([[0, { ...split(50), segment: BETA }]]);
    expect(f.datapoint('RequestCount', CANDIDATE, T0, 60)).toBeCloseTo(120 + 240);
    expect(f.datapoint('RequestCount', STABLE, T0, 60)).toBeCloseTo(240);
  });

  it('stops sending the segment once the rule is gone', () => {
    const f = fleet([
      [0, { ...split(0), segment: BETA }],
      [60, split(0)],
    ]);
    expect(f.datapoint('RequestCount', CANDIDATE, at(60), 60)).toBe(0);
    expect(f.datapoint('RequestCount', STABLE, at(60), 60)).toBeCloseTo(600);
  });
});

describe('SimulatedFleet stopped versions', () => {
  it('fails every request routed to a stopped version', () => {
    const f = fleet([[0, { weights: { [STABLE]: 100 }, stopped: [STABLE] }]]);
    expect(f.datapoint('RequestCount', STABLE, T0, 60)).toBeCloseTo(600);
    expect(f.datapoint('ErrorRate', STABLE, T0, 60)).toBeCloseTo(100);
  });

  it('serves normally again once the version is no longer stopped', () => {
    const f = fleet([
      [0, { weights: { [STABLE]: 100 }, stopped: [STABLE] }],
      [60, { weights: { [STABLE]: 100 }, stopped: [] }],
    ]);
    expect(f.datapoint('ErrorRate', STABLE, at(60), 60)).toBeCloseTo(100 * HEALTHY.errorRate);
  });

  it('gives a stopped version that has no traffic no datapoints', () => {
    const f = fleet([[0, { weights: { [CANDIDATE]: 100 }, stopped: [STABLE] }]]);
    expect(f.datapoint('ErrorRate', STABLE, T0, 60)).toBeUndefined();
    expect(f.datapoint('ErrorRate', CANDIDATE, T0, 60)).toBeCloseTo(100 * HEALTHY.errorRate);
  });
});

describe('SimulatedFleet.reading (what GetMetricData answers for the baseline comparison)', () => {
  const twoVersions = (faults: BehaviourFault[], seed?: number, startedAt = T0) => {
    const f = new SimulatedFleet({
      stableVersion: STABLE,
      candidateVersion: CANDIDATE,
      requestsPerMinute: 6000,
      segmentShare: 0,
      faults,
      startedAt,
      ...(seed !== undefined ? { seed } : {}),
    });
    f.route(startedAt, split(50));
    return f;
  };
  const window = [T0, at(600)] as const;

  it('draws the same minutes for the same seed, and others for another', () => {
    const a = twoVersions([], 7).reading(CANDIDATE, ...window, {}, {});
    const b = twoVersions([], 7).reading(CANDIDATE, ...window, {}, {});
    const c = twoVersions([], 8).reading(CANDIDATE, ...window, {}, {});
    expect(a).toEqual(b);
    expect([a.requests, a.errors]).not.toEqual([c.requests, c.errors]);
  });

  it('draws the same run for a seed whichever minute it starts in (a rehearsal run a minute later is the same)', () => {
    const later = new Date(T0.getTime() + 7 * 60_000);
    const a = twoVersions([], 7).reading(CANDIDATE, ...window, {}, {});
    const b = twoVersions([], 7, later).reading(
      CANDIDATE,
      later,
      new Date(later.getTime() + 600_000),
      {},
      {},
    );
    expect(b).toEqual(a);
  });

  it('draws around the expected counts: 3,000 requests a minute each, 0.2 % errors', () => {
    const r = twoVersions([]).reading(STABLE, ...window, {}, {});
    expect(r.requests).toBeGreaterThan(29_000);
    expect(r.requests).toBeLessThan(31_000);
    expect(r.errors / r.requests).toBeGreaterThan(0.001);
    expect(r.errors / r.requests).toBeLessThan(0.003);
  });

  it('gives each version its own faults: @version=stable, candidate (the default) or all', () => {
    const errors = (version: BehaviourFault['version']) => {
      const f = twoVersions([{ kind: 'errors', value: 0.05, fromStep: 1, ...(version ? { version } : {}) }]);
      const rate = (v: string) => {
        const r = f.reading(v, ...window, {}, {});
        return r.errors / r.requests;
      };
      return [rate(STABLE) > 0.03, rate(CANDIDATE) > 0.03];
    };
    expect(errors(undefined)).toEqual([false, true]);
    expect(errors('stable')).toEqual([true, false]);
    expect(errors('all')).toEqual([true, true]);
  });

  it('answers latency quantiles from the lognormal fleet, 25 % slower when injected so, and counts slower requests', () => {
    const healthy = twoVersions([]).reading(CANDIDATE, ...window, { p95: 0.95, p99: 0.99 }, { p95: 132 });
    expect(healthy.quantiles.p99).toBeCloseTo(HEALTHY.latencyP99Ms, 0);
    expect(healthy.quantiles.p95).toBeCloseTo(132.5, 0);
    expect((healthy.slower.p95 ?? 0) / healthy.latencySamples).toBeCloseTo(0.05, 2);
    const slow = twoVersions([{ kind: 'latency', value: 25, unit: 'percent', fromStep: 1 }]).reading(
      CANDIDATE,
      ...window,
      { p95: 0.95 },
      { p95: 132 },
    );
    expect(slow.quantiles.p95).toBeCloseTo(132.5 * 1.25, 0);
    expect((slow.slower.p95 ?? 0) / slow.latencySamples).toBeGreaterThan(0.1);
  });

  it('serves the time before the deployment with the routes it started with: the stable version alone', () => {
    const f = twoVersions([]);
    const before = f.reading(STABLE, at(-900), T0, {}, {});
    expect(before.requests).toBeGreaterThan(85_000);
    expect(f.reading(CANDIDATE, at(-900), T0, {}, {}).requests).toBe(0);
  });
});
