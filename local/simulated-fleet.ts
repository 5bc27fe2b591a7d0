import binomial from '@stdlib/random-base-binomial';
import poisson from '@stdlib/random-base-poisson';
import lognormalCdf from '@stdlib/stats-base-dists-lognormal-cdf';
import type { VersionReading } from '../lambdas/domain/judge/analysis.ts';
import type { Weights } from '../lambdas/domain/types.ts';
import type { RouteRecord } from '../lambdas/ports/store.ts';
import type { BehaviourFault } from './faults.ts';

/** How a version answers requests. */
export interface Behaviour {
  /** Fraction of requests that fail, 0..1. */
  errorRate: number;
  /** p99 latency in milliseconds. */
  latencyP99Ms: number;
}

export const HEALTHY: Behaviour = { errorRate: 0.002, latencyP99Ms: 180 };

/**
 * Latency is lognormal with this shape (σ of its log): a healthy version's median is 63 ms, its
 * p95 132 ms, its p99 180 ms. A slower version scales the whole distribution.
 */
export const LATENCY_SIGMA = 0.45;
const Z99 = 2.3263478740408408;

/** The log-median of a version whose p99 is `p99Ms`. */
function logMedian(p99Ms: number): number {
  return Math.log(p99Ms) - Z99 * LATENCY_SIGMA;
}

/** A 32-bit seed from a run's seed and what a draw is of (FNV-1a): the same draw every time it is asked for. */
function seedOf(...parts: (string | number)[]): number {
  let hash = 2166136261;
  for (const c of parts.join('|')) {
    hash ^= c.charCodeAt(0);
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash || 1;
}
/** A stopped version answers nothing: every request routed to it fails. */
const STOPPED: Behaviour = { errorRate: 1, latencyP99Ms: 0 };

export type FleetMetric = 'ErrorRate' | 'LatencyP99' | 'RequestCount';

interface RouteChange {
  atMs: number;
  weights: Weights;
  segment?: { version: string };
  stopped: string[];
  /** How many times the candidate's exposure had grown by then: the traffic step in force. */
  step: number;
}

export interface FleetOptions {
  stableVersion: string;
  candidateVersion: string;
  /** Requests per minute across the service. */
  requestsPerMinute: number;
  /** Share of requests that match a segment rule (the beta users), 0..1. */
  segmentShare: number;
  faults: BehaviourFault[];
  startedAt: Date;
  /** Told of each fault the candidate starts to show, as requests reach it while the fault is on. */
  onFault?: (fault: BehaviourFault) => void;
  /** Seeds the per-minute draws that GetMetricData answers (`--seed`): the same seed, the same run. */
  seed?: number;
}

/**
 * Two versions of a service taking requests as the routes say, over simulated time. The alarms'
 * datapoints are expected values (an alarm's verdict is the same every run); what GetMetricData
 * answers for the baseline comparison is drawn per minute, Poisson requests and binomial errors
 * and slow requests, from a seeded generator, since a statistical judge is only tested on noise.
 * Time before the deployment started is served by the routes it started with.
 */
export class SimulatedFleet {
  private readonly options: FleetOptions;
  private readonly routes: RouteChange[];
  private probes = 0;

  constructor(options: FleetOptions) {
    this.options = options;
    this.routes = [
      { atMs: options.startedAt.getTime(), weights: { [options.stableVersion]: 100 }, stopped: [], step: 0 },
    ];
  }

  private exposure(change: Pick<RouteChange, 'weights' | 'segment' | 'stopped'>): number {
    const candidate = this.options.candidateVersion;
    if (change.stopped.includes(candidate)) return 0;
    const segment = change.segment?.version === candidate ? this.options.segmentShare : 0;
    return (
      segment +
      (1 - (change.segment ? this.options.segmentShare : 0)) * ((change.weights[candidate] ?? 0) / 100)
    );
  }

  /** Records that traffic is routed by `routes` from `at` on. */
  route(at: Date, routes: Pick<RouteRecord, 'weights' | 'segment' | 'stopped'>): void {
    const previous = this.routes.at(-1) as RouteChange;
    const next = {
      weights: { ...routes.weights },
      segment: routes.segment ? { version: routes.segment.version } : undefined,
      stopped: [...(routes.stopped ?? [])],
    };
    const grew = this.exposure(next) > this.exposure(previous) + 1e-9;
    const step = previous.step + (grew ? 1 : 0);
    this.routes.push({ atMs: at.getTime(), ...next, step });
    if (this.exposure(next) > 0 && !next.stopped.includes(this.options.candidateVersion)) {
      for (const fault of this.options.faults) if (step >= fault.fromStep) this.options.onFault?.(fault);
    }
  }

  private behaviourOf(version: string, change: RouteChange): Behaviour {
    if (change.stopped.includes(version)) return STOPPED;
    const which = version === this.options.candidateVersion ? 'candidate' : 'stable';
    const behaviour = { ...HEALTHY };
    for (const fault of this.options.faults) {
      const target = fault.version ?? 'candidate';
      if (change.step < fault.fromStep || (target !== 'all' && target !== which)) continue;
      if (fault.kind === 'errors') behaviour.errorRate = fault.value;
      else if (fault.unit === 'percent')
        behaviour.latencyP99Ms = HEALTHY.latencyP99Ms * (1 + fault.value / 100);
      else behaviour.latencyP99Ms = HEALTHY.latencyP99Ms + fault.value;
    }
    return behaviour;
  }

  /** Minutes since the one the fleet started in: what a draw is keyed by, so that a seed gives the same run whenever it runs. */
  private minuteIndex(minute: number): number {
    return Math.round((minute - Math.floor(this.options.startedAt.getTime() / 60_000) * 60_000) / 60_000);
  }

  /** The route in force at `atMs` (before the first change, the first: the version that served before the deployment). */
  private routeAt(atMs: number): RouteChange {
    let current = this.routes[0] as RouteChange;
    for (const change of this.routes) {
      if (change.atMs > atMs) break;
      current = change;
    }
    return current;
  }

  /**
   * What one minute of `version` was, drawn: the requests the routes sent it (Poisson), its
   * failed ones (binomial), and the latency distribution of the route in force at the minute's
   * middle. `minute` is epoch milliseconds of the minute's start.
   */
  private minuteOf(
    version: string,
    minute: number,
  ): { requests: number; errors: number; behaviour: Behaviour } {
    const from = minute;
    const to = minute + 60_000;
    let expected = 0;
    let expectedErrors = 0;
    this.routes.forEach((change, i) => {
      const start = i === 0 ? Number.NEGATIVE_INFINITY : change.atMs;
      const next = this.routes[i + 1]?.atMs ?? Number.POSITIVE_INFINITY;
      const overlap = Math.min(to, next) - Math.max(from, start);
      if (overlap <= 0) return;
      const n = (this.options.requestsPerMinute * this.shareOf(version, change) * overlap) / 60_000;
      expected += n;
      expectedErrors += n * this.behaviourOf(version, change).errorRate;
    });
    const seed = this.options.seed ?? 1;
    const requests =
      expected > 0
        ? poisson.factory({ seed: seedOf(seed, version, this.minuteIndex(minute), 'n') })(expected)
        : 0;
    const rate = expected > 0 ? Math.min(1, expectedErrors / expected) : 0;
    const errors =
      requests > 0
        ? binomial.factory({ seed: seedOf(seed, version, this.minuteIndex(minute), 'e') })(requests, rate)
        : 0;
    return { requests, errors, behaviour: this.behaviourOf(version, this.routeAt(minute + 30_000)) };
  }

  /**
   * What CloudWatch's GetMetricData would answer for `version` over [start, end): its requests
   * and errors, each quantile in `quantiles` (ms), and for each threshold (ms, by key) how many
   * requests were slower. Whole minutes, from the one `start` falls in, as the metrics are per minute.
   */
  reading(
    version: string,
    start: Date,
    end: Date,
    quantiles: Record<string, number>,
    thresholds: Record<string, number>,
  ): VersionReading {
    const seed = this.options.seed ?? 1;
    const minutes: { requests: number; errors: number; behaviour: Behaviour; minute: number }[] = [];
    for (
      let minute = Math.ceil(start.getTime() / 60_000) * 60_000;
      minute + 60_000 <= end.getTime();
      minute += 60_000
    ) {
      minutes.push({ ...this.minuteOf(version, minute), minute });
    }
    const requests = minutes.reduce((acc, m) => acc + m.requests, 0);
    const errors = minutes.reduce((acc, m) => acc + m.errors, 0);
    const cdf = (ms: number) =>
      minutes.reduce(
        (acc, m) => acc + m.requests * lognormalCdf(ms, logMedian(m.behaviour.latencyP99Ms), LATENCY_SIGMA),
        0,
      ) / requests;
    const quantileOf = (q: number) => {
      let lo = 0;
      let hi = 100_000;
      for (let i = 0; i < 60; i++) {
        const mid = (lo + hi) / 2;
        if (cdf(mid) < q) lo = mid;
        else hi = mid;
      }
      return hi;
    };
    const slower: Record<string, number> = {};
    for (const [key, ms] of Object.entries(thresholds)) {
      slower[key] = minutes.reduce((acc, m) => {
        if (m.requests === 0) return acc;
        const p = 1 - lognormalCdf(ms, logMedian(m.behaviour.latencyP99Ms), LATENCY_SIGMA);
        return (
          acc +
          binomial.factory({ seed: seedOf(seed, version, this.minuteIndex(m.minute), key, ms) })(
            m.requests,
            p,
          )
        );
      }, 0);
    }
    const q: Record<string, number | undefined> = {};
    for (const [key, value] of Object.entries(quantiles))
      q[key] = requests > 0 ? quantileOf(value) : undefined;
    return { requests, errors, quantiles: q, slower: requests > 0 ? slower : {}, latencySamples: requests };
  }

  get stableVersion(): string {
    return this.options.stableVersion;
  }

  /**
   * Whether the next request sent straight to the candidate (a smoke test on its test route)
   * fails: it has the error faults of the traffic step in force, and before any traffic those of
   * step 1, since the version's bug is there before anyone routes to it. Of n such requests at an
   * injected error rate p, floor(n · p) fail, spread evenly: the same every run. Without an error
   * fault it answers.
   */
  probeFails(): boolean {
    const change = this.routes.at(-1) as RouteChange;
    if (change.stopped.includes(this.options.candidateVersion)) return true;
    const step = Math.max(change.step, 1);
    let rate = 0;
    for (const fault of this.options.faults) {
      if (fault.kind !== 'errors' || step < fault.fromStep) continue;
      rate = fault.value;
      this.options.onFault?.(fault);
    }
    const n = this.probes;
    this.probes += 1;
    return Math.floor((n + 1) * rate + 1e-9) > Math.floor(n * rate + 1e-9);
  }

  /** The share of all requests that `version` receives under `change`. */
  private shareOf(version: string, change: RouteChange): number {
    const segment = change.segment ? this.options.segmentShare : 0;
    return (
      (change.segment?.version === version ? segment : 0) +
      (1 - segment) * ((change.weights[version] ?? 0) / 100)
    );
  }

  /**
   * One datapoint of `metric` for `version` over [start, start + seconds): request-weighted over
   * the routes in force during the period. Undefined when the version took no requests, as
   * CloudWatch has no datapoint then.
   */
  datapoint(metric: FleetMetric, version: string, start: Date, seconds: number): number | undefined {
    const from = start.getTime();
    const to = from + seconds * 1000;
    let requests = 0;
    let errors = 0;
    let latencyWeighted = 0;
    this.routes.forEach((change, i) => {
      const next = this.routes[i + 1]?.atMs ?? Number.POSITIVE_INFINITY;
      const overlap = Math.min(to, next) - Math.max(from, change.atMs);
      if (overlap <= 0) return;
      const n = (this.options.requestsPerMinute * this.shareOf(version, change) * overlap) / 60_000;
      const behaviour = this.behaviourOf(version, change);
      requests += n;
      errors += n * behaviour.errorRate;
      latencyWeighted += n * behaviour.latencyP99Ms;
    });
    if (metric === 'RequestCount') return requests;
    if (requests < 1e-9) return undefined;
    return metric === 'ErrorRate' ? (100 * errors) / requests : latencyWeighted / requests;
  }
}
