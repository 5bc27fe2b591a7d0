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
 * An ordered list of rings (internal → one cell → one region → everything), each deployed with its own
 * strategy as a child execution of that strategy's state machine, with gates between rings; a failed
 * ring stops the rollout and the finished rings are rolled back (through the canary) or kept.
 */
export class RingStrategy extends Strategy {
  constructor() {
    super({ name: 'ring' });
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
  ring: { id: 'Ring', create: () => new RingStrategy() },
};

/**
 * The placeholder by which a definition names the state machine of the strategy with construct id
 * `id`, to start it as a child execution: `${<id>StateMachineArn}`, as the stack's output is named.
 */
export function stateMachinePlaceholder(id: string): string {
  return `${id}StateMachineArn`;
}

/**
 * `names` reordered so that each strategy comes after every strategy whose state machine its
 * definition starts (`placeholdersOf` gives a strategy's placeholders), otherwise in the given order.
 * Placeholders that name no strategy's state machine are left to `Strategy.bind` to refuse. Throws
 * naming the strategies for a cycle, a strategy starting its own state machine included.
 */
export function inCreationOrder(
  names: readonly StrategyName[],
  placeholdersOf: (name: StrategyName) => readonly string[],
): StrategyName[] {
  const byPlaceholder = new Map(
    names.map((name) => [stateMachinePlaceholder(STRATEGY_CONSTRUCTS[name].id), name]),
  );
  const children = new Map(
    names.map((name) => [
      name,
      placeholdersOf(name).flatMap((placeholder) => byPlaceholder.get(placeholder) ?? []),
    ]),
  );
  const ordered: StrategyName[] = [];
  const pending = [...names];
  while (pending.length > 0) {
    const index = pending.findIndex((name) => children.get(name)?.every((child) => ordered.includes(child)));
    if (index < 0) {
      throw new Error(`state machines start one another in a cycle among strategies ${pending.join(', ')}`);
    }
    ordered.push(...pending.splice(index, 1));
  }
  return ordered;
}
