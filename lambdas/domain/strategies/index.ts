import * as compiled from '../compiled-schemas.js';
import { InvalidInputError } from '../errors.ts';
import type { HookPhase } from '../hooks.ts';
import { DEFAULT_BAKE_SECONDS } from '../plan.ts';
import { type CompiledSchema, validator } from '../schemas.ts';
import { isTrafficStep, type Step } from '../steps.ts';
import { STRATEGIES, type StrategyName } from '../strategy-names.ts';
import { abSegment } from './ab-segment.ts';
import { allAtOnce } from './all-at-once.ts';
import { blueGreen } from './blue-green.ts';
import { canary } from './canary.ts';
import { linear } from './linear.ts';
import { recreate } from './recreate.ts';
import { ring } from './ring.ts';
import { rolling } from './rolling.ts';
import type { ExpandContext, ProviderCapability, Strategy } from './strategy.ts';

export { isStrategy, STRATEGIES, type StrategyName } from '../strategy-names.ts';
export type { Strategy } from './strategy.ts';

/**
 * Every strategy's module, by name. Keyed by `StrategyName`, so a name added to `STRATEGIES` does
 * not compile until its module is here.
 */
export const STRATEGY_MODULES: Readonly<Record<StrategyName, Strategy<unknown>>> = {
  canary,
  linear,
  'all-at-once': allAtOnce,
  'blue-green': blueGreen,
  rolling,
  recreate,
  'ab-segment': abSegment,
  ring,
} as Record<StrategyName, Strategy<never>> as Record<StrategyName, Strategy<unknown>>;

/** The state machines time out after 14 days; a plan must leave a day for its tasks and rollback. */
export const MAX_PLAN_SECONDS = 13 * 86_400;

/** The plan each strategy accepts, in the service config, a request, or `--plan FILE`. */
export const PLAN_SCHEMAS = Object.fromEntries(
  STRATEGIES.map((s) => [s, STRATEGY_MODULES[s].planSchema]),
) as Record<StrategyName, object>;

/** What each strategy needs of its provider beyond weighted routing. */
export function strategyNeeds(strategy: StrategyName): readonly ProviderCapability[] {
  return STRATEGY_MODULES[strategy].requires;
}

/** The export of a strategy's compiled plan validator in compiled-schemas.ts: `canaryPlan`, `allAtOncePlan`. */
export function planValidatorName(strategy: StrategyName): string {
  return `${strategy.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}Plan`;
}

/** Each strategy's compiled plan schema, named statically so that a bundle keeps only these validators. */
const COMPILED_PLANS: Record<StrategyName, CompiledSchema> = {
  canary: compiled.canaryPlan,
  linear: compiled.linearPlan,
  'all-at-once': compiled.allAtOncePlan,
  'blue-green': compiled.blueGreenPlan,
  rolling: compiled.rollingPlan,
  recreate: compiled.recreatePlan,
  'ab-segment': compiled.abSegmentPlan,
  ring: compiled.ringPlan,
};

const planValidators = Object.fromEntries(
  STRATEGIES.map((s) => [s, validator<unknown>(COMPILED_PLANS[s], 'plan', { pathFromRoot: true })]),
) as Record<StrategyName, (v: unknown) => unknown>;

/** The plan a strategy uses when the service config gives none. */
export function defaultStrategyPlan(strategy: StrategyName, bakeSeconds = DEFAULT_BAKE_SECONDS): unknown {
  return STRATEGY_MODULES[strategy].defaultPlan(bakeSeconds);
}

export interface ExpandOptions {
  /** An approval gate before the first production traffic (CLI `--approve`). */
  approvalGate?: { timeoutSeconds: number; onTimeout: 'rollback' | 'continue' };
}

/** Puts the approval gate before the first step that touches production traffic (for recreate: the stop). */
function withGate(steps: Step[], gate: ExpandOptions['approvalGate']): Step[] {
  if (!gate) return steps;
  const at = steps.findIndex((s) => isTrafficStep(s) || s.kind === 'stopStable');
  const copy = [...steps];
  copy.splice(Math.max(at, 0), 0, { kind: 'approval', ...gate });
  return copy;
}

const context: ExpandContext = { expandPlan: (strategy, plan) => expandPlan(strategy, plan) };

/**
 * Validates a strategy's plan (errors name the field) and expands it into the steps its state
 * machine walks. Pure: the same plan always gives the same steps.
 */
export function expandPlan(strategy: StrategyName, raw: unknown, options: ExpandOptions = {}): Step[] {
  const plan = planValidators[strategy](raw);
  const gated = withGate(STRATEGY_MODULES[strategy].expand(plan, context), options.approvalGate);
  const waits = gated.reduce(
    (sum, s) => sum + (s.kind === 'pause' ? s.seconds : s.kind === 'approval' ? s.timeoutSeconds : 0),
    0,
  );
  if (waits > MAX_PLAN_SECONDS) {
    throw new InvalidInputError(
      `plan waits up to ${waits}s in pauses and approvals, more than the ${MAX_PLAN_SECONDS}s (13 days) one execution may run`,
    );
  }
  return gated;
}

/** What a ring rollout does with rings that already finished when a later one fails. */
export function ringOnFailure(strategy: StrategyName, plan: unknown): 'rollback' | 'keep' {
  return STRATEGY_MODULES[strategy].onFailure?.(plan) ?? 'rollback';
}

/** Whether a plan's last traffic step gives the candidate everything (ab-segment analysis ends short of it). */
export function promotesCandidate(steps: Step[]): boolean {
  return steps.some((s) => (s.kind === 'setWeight' && s.weight === 100) || s.kind === 'startCandidate');
}

/** The hook phases a strategy has, and the plan field that lists each phase's hooks. */
export const HOOK_PHASES: Partial<Record<StrategyName, Partial<Record<HookPhase, string>>>> =
  Object.fromEntries(
    STRATEGIES.flatMap((s) => {
      const phases = STRATEGY_MODULES[s].hookPhases;
      return phases ? [[s, phases]] : [];
    }),
  );

/**
 * Adds an HTTP smoke test against `baseUrl` to every hook phase a strategy has (the local runtime
 * points it at the simulated test route, so injected hook failures take the real path).
 */
export function withSmokeTests(strategy: StrategyName, plan: unknown, baseUrl: string): unknown {
  const phases = HOOK_PHASES[strategy];
  if (!phases || typeof plan !== 'object' || plan === null) return plan;
  const copy: Record<string, unknown> = { ...(plan as Record<string, unknown>) };
  for (const [phase, field] of Object.entries(phases)) {
    const existing = Array.isArray(copy[field]) ? (copy[field] as unknown[]) : [];
    copy[field] = [
      ...existing,
      {
        name: `smoke-test-${phase}`,
        http: { url: `${baseUrl}/health` },
        timeoutSeconds: 5,
        retries: 2,
        retryIntervalSeconds: 10,
      },
    ];
  }
  return copy;
}
