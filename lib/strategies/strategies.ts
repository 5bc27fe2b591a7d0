import type { StrategyName } from '../../lambdas/domain/strategy-names.ts';
import { Strategy } from './strategy.ts';

/** Walk an explicit plan of steps (set weight, pause, check, approval, hook); promote at the end or roll back. */
export class CanaryStrategy extends Strategy {
  constructor() {
    super({ name: 'canary' });
  }
}

/** Equal increments of traffic every interval until 100 %, each baked and checked (CodeDeploy's Linear). */
export class LinearStrategy extends Strategy {
  constructor() {
    super({ name: 'linear' });
  }
}

/** All traffic to the candidate at once, bake and check; unhealthy goes straight back. */
export class AllAtOnceStrategy extends Strategy {
  constructor() {
    super({ name: 'all-at-once' });
  }
}

/** The candidate at full capacity beside the live version, tested on the test route, then switched to at once. */
export class BlueGreenStrategy extends Strategy {
  constructor() {
    super({ name: 'blue-green' });
  }
}

/** Replace capacity in batches, checking health after each; unhealthy rolls the replaced batches back. */
export class RollingStrategy extends Strategy {
  constructor() {
    super({ name: 'rolling' });
  }
}

/** Stop the old version, start the new one (the downtime between is measured), check. */
export class RecreateStrategy extends Strategy {
  constructor() {
    super({ name: 'recreate' });
  }
}

/** Only requests matching a header or cookie rule reach the candidate; then promote or keep the stable version. */
export class AbSegmentStrategy extends Strategy {
  constructor() {
    super({ name: 'ab-segment' });
  }
}

/**
 * Each strategy's class and the construct id of its state machine. Keyed by `StrategyName`, so a
 * strategy added to `STRATEGIES` does not compile until it has an entry here. The ids are a contract:
 * renaming one replaces that state machine (and loses its execution history in the console).
 */
export const STRATEGY_CONSTRUCTS: Readonly<Record<StrategyName, { id: string; create: () => Strategy }>> = {
  canary: { id: 'Canary', create: () => new CanaryStrategy() },
  linear: { id: 'Linear', create: () => new LinearStrategy() },
  'all-at-once': { id: 'AllAtOnce', create: () => new AllAtOnceStrategy() },
  'blue-green': { id: 'BlueGreen', create: () => new BlueGreenStrategy() },
  rolling: { id: 'Rolling', create: () => new RollingStrategy() },
  recreate: { id: 'Recreate', create: () => new RecreateStrategy() },
  'ab-segment': { id: 'AbSegment', create: () => new AbSegmentStrategy() },
};
