import type { HookPhase } from '../hooks.ts';
import type { Step } from '../steps.ts';
import type { StrategyName } from '../strategy-names.ts';

/**
 * What a strategy needs from its traffic provider beyond weighted routing, from the tasks its
 * state machine runs: ab-segment routes a segment (Route segment), recreate stops and starts
 * versions (Recreate step), blue-green switches between two fleets that run side by side.
 */
export type ProviderCapability = 'segments' | 'stop-start' | 'side-by-side' | 'version-metrics';

/** What a strategy's expansion may ask of the others (a ring checks each ring's own plan). */
export interface ExpandContext {
  /** Validates and expands another strategy's plan, as `expandPlan` does. */
  expandPlan(strategy: StrategyName, plan: unknown): Step[];
}

/**
 * One rollout strategy, all in one place: its plan's schema (its type is derived from it), the
 * plan used when a service gives none, the expansion of a plan into the steps its state machine
 * (`statemachines/<name>.asl.json`) walks, and what it needs of a traffic provider. Adding a
 * strategy is one such module, one ASL file and one section of docs/strategies.md.
 */
export interface Strategy<Plan = never> {
  readonly name: StrategyName;
  /** What it does, in one line (the CLI's help and the docs). */
  readonly summary: string;
  /** The CDK construct id of its state machine: a contract (renaming it replaces the state machine). */
  readonly constructId: string;
  /** The JSON Schema its plan must meet (compiled at build time: `npm run schemas`). */
  readonly planSchema: object;
  /** What it needs of a provider beyond weighted routing; a pairing without it is refused up front. */
  readonly requires: readonly ProviderCapability[];
  /** Its hook phases, and the plan field that lists each phase's hooks. */
  readonly hookPhases?: Partial<Record<HookPhase, string>>;
  /** The plan used when the service config gives none; throws when the strategy has none. */
  defaultPlan(bakeSeconds: number): Plan;
  /** The steps of a plan that met the schema; throws InvalidInputError naming the field. Pure. */
  expand(plan: Plan, context: ExpandContext): Step[];
  /** What a failure does to what already finished. @default 'rollback' */
  onFailure?(plan: Plan): 'rollback' | 'keep';
}
