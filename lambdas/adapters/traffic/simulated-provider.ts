import { assertValidWeights, sameWeights } from '../../domain/plan.ts';
import type { Weights } from '../../domain/types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Store } from '../../ports/store.ts';
import type { TrafficProvider, TrafficTarget } from '../../ports/traffic.ts';

/**
 * A provider whose "load balancer" is a routes item in the store: it moves no real traffic, so
 * it serves dry runs on AWS and the simulated fleet locally, which routes requests by it.
 */
export class SimulatedTrafficProvider implements TrafficProvider {
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.store = store;
    this.clock = clock;
  }

  async prepare(target: TrafficTarget): Promise<void> {
    const current = await this.getWeights(target);
    if (target.candidateVersion in current) return;
    await this.write(target.service, { ...current, [target.candidateVersion]: 0 });
  }

  async setWeights(target: TrafficTarget, weights: Weights): Promise<void> {
    assertValidWeights(weights);
    const current = await this.getWeights(target);
    if (sameWeights(current, weights)) return;
    await this.write(target.service, weights);
  }

  async getWeights(target: TrafficTarget): Promise<Weights> {
    const routes = await this.store.getRoutes(target.service);
    return routes?.weights ?? { [target.stableVersion]: 100 };
  }

  async promote(target: TrafficTarget): Promise<void> {
    await this.setWeights(target, { [target.candidateVersion]: 100 });
  }

  async rollback(target: TrafficTarget): Promise<void> {
    await this.setWeights(target, { [target.stableVersion]: 100 });
  }

  private write(service: string, weights: Weights) {
    return this.store.putRoutes({ service, weights, updatedAt: this.clock.now().toISOString() });
  }
}
