import { simulatedVersionMetrics } from '../lambdas/adapters/traffic/simulated/simulated-provider.ts';
import type { Weights } from '../lambdas/domain/types.ts';
import type { TrafficProvider, TrafficTarget } from '../lambdas/ports/traffic.ts';
import { asRuntime } from './function-scope.ts';
import type { SimulatedFleet } from './simulated-fleet.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** Tells the fleet about every route change, so simulated requests follow the routes. */
export function routedThroughFleet(
  inner: TrafficProvider,
  fleet: SimulatedFleet,
  clock: VirtualClock,
  lastWeights: Map<string, Weights>,
): TrafficProvider {
  // Read back through the provider itself, so a real provider (over mocked AWS clients) drives the fleet too.
  // The simulation's own read, not the task's: no function makes it on AWS.
  const after = (target: TrafficTarget) => asRuntime(() => routeFleet(target));
  const routeFleet = async (target: TrafficTarget) => {
    const [weights, match] = await Promise.all([
      inner.getWeights(target),
      inner.segments?.getSegment(target),
    ]);
    lastWeights.set(target.service, weights);
    fleet.route(clock.now(), {
      weights,
      ...(match ? { segment: { match, version: target.candidateVersion } } : {}),
      ...(stoppedVersions.get(target.service)?.size
        ? { stopped: [...(stoppedVersions.get(target.service) ?? [])] }
        : {}),
    });
  };
  const { segments, stopStart } = inner;
  const stoppedVersions = new Map<string, Set<string>>();
  const stopped = (service: string) => {
    const set = stoppedVersions.get(service) ?? new Set<string>();
    stoppedVersions.set(service, set);
    return set;
  };
  return {
    prepare: async (t) => {
      const result = await inner.prepare(t);
      await after(t);
      return result;
    },
    setWeights: (t, w) => inner.setWeights(t, w).then(() => after(t)),
    getWeights: (t) => inner.getWeights(t),
    promote: (t) => inner.promote(t).then(() => after(t)),
    rollback: (t) =>
      inner.rollback(t).then(() => {
        stopped(t.service).clear();
        return after(t);
      }),
    // The provider's own capabilities, no more: a strategy it cannot take is refused as on AWS.
    ...(segments
      ? {
          segments: {
            setSegment: (t, m) => segments.setSegment(t, m).then(() => after(t)),
            getSegment: (t) => segments.getSegment(t),
          },
        }
      : {}),
    ...(stopStart
      ? {
          stopStart: {
            stopVersion: (t, v) =>
              stopStart.stopVersion(t, v).then(() => {
                stopped(t.service).add(v);
                return after(t);
              }),
            startVersion: (t, v) =>
              stopStart.startVersion(t, v).then(() => {
                stopped(t.service).delete(v);
                return after(t);
              }),
          },
        }
      : {}),
    // Locally the fleet serves the requests whatever the provider: its metrics are the simulated ones.
    versionMetrics: async (t) => simulatedVersionMetrics(t),
  };
}

/** A provider whose every read of the weights is kept, so a report shows where traffic ended. */
export function readingBack(inner: TrafficProvider, lastWeights: Map<string, Weights>): TrafficProvider {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'getWeights') {
        return async (t: TrafficTarget) => {
          const weights = await target.getWeights(t);
          lastWeights.set(t.service, weights);
          return weights;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
