import { assertValidWeights, sameWeights } from '../../../domain/plan.ts';
import type { SegmentMatch } from '../../../domain/steps.ts';
import type { Weights } from '../../../domain/types.ts';
import type { Clock } from '../../../ports/clock.ts';
import type { VersionMetricSpec, VersionMetricSpecs } from '../../../ports/metrics.ts';
import type { RouteRecord, Store } from '../../../ports/store.ts';
import type {
  PrepareResult,
  SegmentRouting,
  TrafficProvider,
  TrafficTarget,
  VersionStopStart,
} from '../../../ports/traffic.ts';

/** Where the simulated fleet's per-version metrics are: what the local CloudWatch answers GetMetricData for. */
export const SIMULATED_NAMESPACE = 'Stepwise/Simulated';

/** Both versions' metrics in the simulated namespace. */
export function simulatedVersionMetrics(target: TrafficTarget): VersionMetricSpecs {
  return {
    candidate: simulatedMetrics(target.service, target.candidateVersion),
    baseline: simulatedMetrics(target.service, target.stableVersion),
  };
}

function simulatedMetrics(service: string, version: string): VersionMetricSpec {
  const dimensions = { Service: service, Version: version };
  return {
    requests: { namespace: SIMULATED_NAMESPACE, metricName: 'Requests', dimensions },
    errors: { namespace: SIMULATED_NAMESPACE, metricName: 'Errors', dimensions },
    latency: { namespace: SIMULATED_NAMESPACE, metricName: 'Latency', dimensions, unitMs: 1 },
  };
}

/**
 * A provider whose "load balancer" is a routes item in the store: it moves no real traffic, so
 * it serves dry runs on AWS and the simulated fleet locally, which routes requests by it.
 * Every method reads the routes first and writes only when something changes.
 */
export class SimulatedTrafficProvider implements TrafficProvider {
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.store = store;
    this.clock = clock;
  }

  private async routes(target: TrafficTarget): Promise<RouteRecord> {
    return (
      (await this.store.getRoutes(target.service)) ?? {
        service: target.service,
        weights: { [target.stableVersion]: 100 },
        updatedAt: this.clock.now().toISOString(),
      }
    );
  }

  private write(routes: RouteRecord) {
    return this.store.putRoutes({ ...routes, updatedAt: this.clock.now().toISOString() });
  }

  /** Adds the candidate at 0 % and forgets versions that no longer take traffic. */
  async prepare(target: TrafficTarget): Promise<PrepareResult> {
    const routes = await this.routes(target);
    const weights = Object.fromEntries(
      Object.entries({
        ...routes.weights,
        [target.candidateVersion]: routes.weights[target.candidateVersion] ?? 0,
      }).filter(
        ([version, w]) => w > 0 || version === target.stableVersion || version === target.candidateVersion,
      ),
    );
    if (JSON.stringify(weights) !== JSON.stringify(routes.weights)) await this.write({ ...routes, weights });
    return { ready: true, detail: 'simulated: the candidate is up at once' };
  }

  async setWeights(target: TrafficTarget, weights: Weights): Promise<void> {
    assertValidWeights(weights);
    const routes = await this.routes(target);
    if (sameWeights(routes.weights, weights)) return;
    await this.write({ ...routes, weights });
  }

  async getWeights(target: TrafficTarget): Promise<Weights> {
    return (await this.routes(target)).weights;
  }

  async promote(target: TrafficTarget): Promise<void> {
    const routes = await this.routes(target);
    const weights = { [target.candidateVersion]: 100 };
    if (sameWeights(routes.weights, weights) && !routes.segment && !routes.stopped?.length) return;
    await this.write({ service: target.service, weights, updatedAt: routes.updatedAt });
  }

  async rollback(target: TrafficTarget): Promise<void> {
    const routes = await this.routes(target);
    const weights = { [target.stableVersion]: 100 };
    if (sameWeights(routes.weights, weights) && !routes.segment && !routes.stopped?.length) return;
    await this.write({ service: target.service, weights, updatedAt: routes.updatedAt });
  }

  /** The simulated fleet routes segments and stops versions, so every strategy rehearses on it. */
  readonly segments: SegmentRouting = {
    setSegment: (target, match) => this.setSegment(target, match),
    getSegment: (target) => this.getSegment(target),
  };

  readonly stopStart: VersionStopStart = {
    stopVersion: (target, version) => this.stopVersion(target, version),
    startVersion: (target, version) => this.startVersion(target, version),
  };

  async setSegment(target: TrafficTarget, match: SegmentMatch | undefined): Promise<void> {
    const routes = await this.routes(target);
    const segment = match ? { match, version: target.candidateVersion } : undefined;
    if (JSON.stringify(routes.segment) === JSON.stringify(segment)) return;
    await this.write({ ...routes, segment });
  }

  async getSegment(target: TrafficTarget): Promise<SegmentMatch | undefined> {
    return (await this.routes(target)).segment?.match;
  }

  async stopVersion(target: TrafficTarget, version: string): Promise<void> {
    const routes = await this.routes(target);
    if (routes.stopped?.includes(version)) return;
    await this.write({ ...routes, stopped: [...(routes.stopped ?? []), version] });
  }

  async startVersion(target: TrafficTarget, version: string): Promise<void> {
    const routes = await this.routes(target);
    const weights = { [version]: 100 };
    const stopped = (routes.stopped ?? []).filter((v) => v !== version);
    if (sameWeights(routes.weights, weights) && stopped.length === (routes.stopped ?? []).length) return;
    await this.write({ ...routes, weights, stopped });
  }

  /** Each version's metrics in the simulated namespace, by service and version. */
  async versionMetrics(target: TrafficTarget): Promise<VersionMetricSpecs> {
    return simulatedVersionMetrics(target);
  }
}
