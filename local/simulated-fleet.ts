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
}

/**
 * Two versions of a service taking requests as the routes say, over simulated time. Metrics are
 * expected values, not random draws, so a rehearsal gives the same verdict every time it runs.
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
    if (version !== this.options.candidateVersion) return HEALTHY;
    const behaviour = { ...HEALTHY };
    for (const fault of this.options.faults) {
      if (change.step < fault.fromStep) continue;
      if (fault.kind === 'errors') behaviour.errorRate = fault.value;
      else behaviour.latencyP99Ms = HEALTHY.latencyP99Ms + fault.value;
    }
    return behaviour;
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
