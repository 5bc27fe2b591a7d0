import type { Weights } from '../lambdas/domain/types.ts';
import type { BehaviourFault } from './faults.ts';

/** How a version answers requests. */
export interface Behaviour {
  /** Fraction of requests that fail, 0..1. */
  errorRate: number;
  /** p99 latency in milliseconds. */
  latencyP99Ms: number;
}

export const HEALTHY: Behaviour = { errorRate: 0.002, latencyP99Ms: 180 };

export type FleetMetric = 'ErrorRate' | 'LatencyP99' | 'RequestCount';

interface RouteChange {
  atMs: number;
  weights: Weights;
}

export interface FleetOptions {
  stableVersion: string;
  candidateVersion: string;
  /** Requests per minute across the service. */
  requestsPerMinute: number;
  /** The plan's candidate weights in order; a weight's position is its step number. */
  stepWeights: number[];
  faults: BehaviourFault[];
  startedAt: Date;
}

/**
 * Two versions of a service taking requests as the routes say, minute by minute of simulated
 * time. Metrics are expected values, not random draws, so a rehearsal gives the same verdict
 * every time it runs.
 */
export class SimulatedFleet {
  private readonly options: FleetOptions;
  private readonly routes: RouteChange[];

  constructor(options: FleetOptions) {
    this.options = options;
    this.routes = [{ atMs: options.startedAt.getTime(), weights: { [options.stableVersion]: 100 } }];
  }

  /** Records that traffic is routed by `weights` from `at` on. */
  route(at: Date, weights: Weights): void {
    this.routes.push({ atMs: at.getTime(), weights: { ...weights } });
  }

  /** The step (1-based) that a candidate weight belongs to; 0 before the first step. */
  private stepOf(candidateWeight: number): number {
    let step = 0;
    this.options.stepWeights.forEach((w, i) => {
      if (candidateWeight >= w) step = i + 1;
    });
    return step;
  }

  private behaviourOf(version: string, weights: Weights): Behaviour {
    if (version !== this.options.candidateVersion) return HEALTHY;
    const step = this.stepOf(weights[version] ?? 0);
    const behaviour = { ...HEALTHY };
    for (const fault of this.options.faults) {
      if (step < fault.fromStep) continue;
      if (fault.kind === 'errors') behaviour.errorRate = fault.value;
      else behaviour.latencyP99Ms = HEALTHY.latencyP99Ms + fault.value;
    }
    return behaviour;
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
      const share = (change.weights[version] ?? 0) / 100;
      const n = (this.options.requestsPerMinute * share * overlap) / 60_000;
      const behaviour = this.behaviourOf(version, change.weights);
      requests += n;
      errors += n * behaviour.errorRate;
      latencyWeighted += n * behaviour.latencyP99Ms;
    });
    if (metric === 'RequestCount') return requests;
    if (requests < 1e-9) return undefined;
    return metric === 'ErrorRate' ? (100 * errors) / requests : latencyWeighted / requests;
  }
}
