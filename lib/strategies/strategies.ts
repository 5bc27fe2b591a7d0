import { STRATEGY_MODULES } from '../../lambdas/domain/strategies/index.ts';
import { STRATEGIES, type StrategyName } from '../../lambdas/domain/strategy-names.ts';
import { Strategy } from './strategy.ts';

/**
 * A strategy of Stepwise's own: its domain module (lambdas/domain/strategies/<name>.ts) says what
 * it does and its construct id, and its state machine is `statemachines/<name>.asl.json`.
 */
export class BuiltInStrategy extends Strategy {
  /** What the strategy does, from its module. */
  readonly summary: string;

  constructor(name: StrategyName) {
    super({ name });
    this.summary = STRATEGY_MODULES[name].summary;
  }
}

/** How the stack makes a strategy's state machine, and under which construct id. */
export interface StrategyConstruct {
  id: string;
  create: () => Strategy;
}

/**
 * Each strategy's construct and the construct id of its state machine, from its domain module.
 * Keyed by `StrategyName`. The ids are a contract: renaming one replaces that state machine (and
 * loses its execution history in the console).
 */
export const STRATEGY_CONSTRUCTS: Readonly<Record<StrategyName, StrategyConstruct>> = Object.fromEntries(
  STRATEGIES.map((name): [StrategyName, StrategyConstruct] => [
    name,
    { id: STRATEGY_MODULES[name].constructId, create: () => new BuiltInStrategy(name) },
  ]),
) as Record<StrategyName, StrategyConstruct>;

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
