import abSegment from '../../statemachines/ab-segment.asl.json' with { type: 'json' };
import allAtOnce from '../../statemachines/all-at-once.asl.json' with { type: 'json' };
import blueGreen from '../../statemachines/blue-green.asl.json' with { type: 'json' };
import canary from '../../statemachines/canary.asl.json' with { type: 'json' };
import linear from '../../statemachines/linear.asl.json' with { type: 'json' };
import recreate from '../../statemachines/recreate.asl.json' with { type: 'json' };
import ring from '../../statemachines/ring.asl.json' with { type: 'json' };
import rolling from '../../statemachines/rolling.asl.json' with { type: 'json' };
import { InvalidInputError } from './errors.ts';
import { MAX_EXTENSIONS } from './judge/extension.ts';
import { isTrafficStep, type Step } from './steps.ts';
import { expandPlan, isStrategy, type StrategyName } from './strategies/index.ts';

/**
 * What one execution of a plan can cost Step Functions in the worst case, worked out from the
 * strategy's own ASL file (its states, their `Retry` budgets, where `Next step` leads each kind
 * of step), so the figures follow the file rather than a second copy of it:
 * - execution history events: a Standard execution fails when it reaches 25,000
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, a hard quota);
 * - duration: pauses, approval timeouts, hook attempts and retry waits, the candidate's readiness
 *   wait, and the settle loops where the provider answers not yet (a shift, the promotion, the
 *   rollback, each up to `rolloutTimeoutSeconds`): the service lock must outlive it;
 * - the state the execution carries (the expanded plan rides in every state): AWS refuses more than
 *   262,144 bytes of input or output.
 *
 * History events counted as Step Functions writes them: a Task state 5 (entered, scheduled,
 * started, succeeded, exited), 6 when it waits for a callback or a child execution, 3 more per
 * retry; Choice, Wait, Pass, Succeed and Fail states 2; the execution's own start and end 2.
 * Retries of transient errors (throttling, Lambda service errors) are left to the 20 % margin:
 * each costs 3 events, and the margin holds about 1,600 of them.
 */

/** The Standard workflow quota on events in one execution's history. */
export const HISTORY_QUOTA_EVENTS = 25_000;
/** What a plan may use of it: the rest is margin for transient retries. */
export const HISTORY_LIMIT_EVENTS = HISTORY_QUOTA_EVENTS * 0.8;
/** The Step Functions quota on a state's input or output, in bytes. */
export const STATE_QUOTA_BYTES = 262_144;
/** What the state a plan starts with may take of it. */
export const STATE_LIMIT_BYTES = 200 * 1024;
/**
 * Kept free in the state for what tasks add as the execution runs: the progress cursor, an alarm
 * check's result, a hook's or approval's answer, an error's cause.
 */
export const STATE_RESULTS_BYTES = 16 * 1024;

/** How long the state machine waits between readiness checks of the candidate. */
export const READY_POLL_SECONDS = 15;
/** How long a candidate may take to become ready when the provider config does not say. */
export const DEFAULT_READY_TIMEOUT_SECONDS = 900;
/**
 * How long Shift traffic, Promote or Roll back may wait for the provider to get its traffic where
 * it was sent (ECS replacing tasks) when the provider config has no `rolloutTimeoutSeconds`: the
 * 10 minutes the retry budget gave before.
 */
export const DEFAULT_ROLLOUT_TIMEOUT_SECONDS = 600;

/** How long a settling task may wait for the provider, from its config (`rolloutTimeoutSeconds`). */
export function rolloutTimeoutOf(providerConfig: Record<string, unknown> | undefined): number {
  const configured = providerConfig?.rolloutTimeoutSeconds;
  return typeof configured === 'number' ? configured : DEFAULT_ROLLOUT_TIMEOUT_SECONDS;
}

/** The pause before a settling task asks again after `polls` not-yet answers: 15 s, 30 s, then every 60 s. */
export function settlePollSeconds(polls: number): number {
  return Math.min(15 * 2 ** polls, 60);
}

/** How many times a settling task asks again, at most, within `seconds`. */
export function settlePolls(seconds: number): number {
  let polls = 0;
  for (let waited = 0; waited < seconds; polls++) waited += settlePollSeconds(polls);
  return polls;
}

type Json = Record<string, unknown>;
interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: AslChoice[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Resource?: string;
  Parameters?: Json;
  ItemProcessor?: { StartAt: string; States: Record<string, AslState> };
}
interface AslChoice {
  Variable?: string;
  StringEquals?: string;
  And?: AslChoice[];
  Next: string;
}
interface AslDefinition {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

const DEFINITIONS: Record<StrategyName, AslDefinition> = {
  canary,
  linear,
  'all-at-once': allAtOnce,
  'blue-green': blueGreen,
  rolling,
  recreate,
  ring,
  'ab-segment': abSegment,
} as unknown as Record<StrategyName, AslDefinition>;

/** The task functions (their ASL placeholder, less `FunctionArn`) that may answer not yet and go round their own settle loop (`Promoted?` → `Wait for promotion to settle` → `Promote`). */
type WaitingTask = 'Promote' | 'RollBack';

interface ProviderWaits {
  /** Prepare candidate may answer not ready and poll, until `readyTimeoutSeconds`. */
  prepares: boolean;
  /** Shift traffic may answer not yet and go round the settle loop, until `rolloutTimeoutSeconds`. */
  settles: boolean;
  /** The ending tasks that may go round their settle loop, until `rolloutTimeoutSeconds`. */
  waits: WaitingTask[];
}

/** Where each traffic provider waits for its cloud. An unknown provider is assumed to wait everywhere. */
const PROVIDER_WAITS: Record<string, ProviderWaits> = {
  simulated: { prepares: false, settles: false, waits: [] },
  'ecs-alb': { prepares: true, settles: false, waits: ['RollBack'] },
  'ecs-rolling': { prepares: false, settles: true, waits: ['Promote', 'RollBack'] },
  'lambda-alias': { prepares: true, settles: false, waits: [] },
  'appconfig-flag': { prepares: false, settles: true, waits: ['Promote', 'RollBack'] },
};
const WAITS_EVERYWHERE: ProviderWaits = { prepares: true, settles: true, waits: ['Promote', 'RollBack'] };

/** The plan field a long plan is made long by, per strategy (named in a refusal). */
const PLAN_LENGTH_FIELD: Record<StrategyName, string> = {
  canary: 'steps',
  linear: 'stepPercent',
  'all-at-once': 'bakeSeconds',
  'blue-green': 'postTrafficHooks',
  rolling: 'batchSize',
  recreate: 'postTrafficHooks',
  ring: 'rings',
  'ab-segment': 'after.steps',
};

export interface QuotaInput {
  strategy: StrategyName;
  /** The expanded plan (`expandPlan`). */
  steps: Step[];
  /** The traffic provider kind and its config (`readyTimeoutSeconds` is read). */
  provider: string;
  providerConfig?: Record<string, unknown>;
  alarms?: string[];
  /** The state the execution will carry, when known (Start deployment); else estimated from the plan. */
  state?: unknown;
  /** The service's baseline comparison: its looks (one per traffic step) and its evidence ride in the state too. */
  analysis?: { criteria: unknown[]; extendBakeUpToSeconds?: number; hold?: { timeoutSeconds: number } };
}

/**
 * History events of one round of a bake made longer for requests (Next step, Which step?, Bake,
 * Next step, Which step?, Check alarms: each entered, exited and its task's
 * scheduled, started and succeeded), and of one hold (Next step, Which step?, Wait for approval,
 * Approved?), counted high.
 */
export const EXTENSION_ROUND_EVENTS = 30;
export const HOLD_EVENTS = 20;

/** The worst the baseline comparison adds to a plan of `trafficSteps`: every step extended to its cap in all rounds, then held to its timeout. */
function analysisCost(
  analysis: NonNullable<QuotaInput['analysis']>,
  trafficSteps: number,
): { events: number; seconds: number } {
  const rounds = MAX_EXTENSIONS * EXTENSION_ROUND_EVENTS + HOLD_EVENTS;
  const seconds = (analysis.extendBakeUpToSeconds ?? 0) + (analysis.hold?.timeoutSeconds ?? 0);
  return { events: trafficSteps * rounds, seconds: trafficSteps * seconds };
}

/** One look of the baseline comparison in the state (both versions' counts and quantiles), at most. */
export const LOOK_BYTES = 700;
/** One criterion's evidence in a check's result, at most. */
export const EVIDENCE_BYTES = 900;
/** Where both versions' metrics are (six CloudWatch metrics with their dimensions), at most. */
export const VERSION_METRICS_BYTES = 2048;

export interface WorstCase {
  /** Execution history events, the whole plan run then rolled back at the end. */
  historyEvents: number;
  /** Of which the candidate's readiness polling. */
  readinessEvents: number;
  /** Seconds the execution can run, the same path. */
  seconds: number;
  /** Bytes of the state the execution starts with, plus what its tasks add (STATE_RESULTS_BYTES). */
  stateBytes: number;
  /** Seconds the candidate's readiness wait may take. */
  readySeconds: number;
  /** The strategy state machine's own TimeoutSeconds. */
  timeoutSeconds: number;
}

interface Cost {
  events: number;
  seconds: number;
}
const ZERO: Cost = { events: 0, seconds: 0 };
const add = (a: Cost, b: Cost): Cost => ({ events: a.events + b.events, seconds: a.seconds + b.seconds });
const times = (a: Cost, n: number): Cost => ({ events: a.events * n, seconds: a.seconds * n });
const worse = (a: Cost, b: Cost): Cost =>
  b.events > a.events || (b.events === a.events && b.seconds > a.seconds) ? b : a;

const functionOf = (state: AslState): string | undefined => {
  const name = state.Parameters?.FunctionName;
  return typeof name === 'string' ? /^\$\{(\w+)FunctionArn\}$/.exec(name)?.[1] : undefined;
};

/** One state's own events (a provider's not-yet answers go round settle loops, counted by the caller). */
function stateCost(state: AslState): Cost {
  // A Map's iterations are added by the walk; its own entered and exited are 2, as for a Choice or Wait.
  if (state.Type !== 'Task') return { events: 2, seconds: 0 };
  const resource = state.Resource ?? '';
  return { events: resource.endsWith('.waitForTaskToken') || resource.includes('.sync') ? 6 : 5, seconds: 0 };
}

/** A state's successors on a run that does not fail: Next, a Choice's branches, not Catch. */
function successors(state: AslState): string[] {
  return [...(state.Choices ?? []).map((c) => c.Next), state.Default, state.Next].filter(
    (n): n is string => typeof n === 'string',
  );
}

interface Walk {
  /** The costliest path to an end (undefined: no path ends there). */
  path?: Cost;
  /** The costliest loop met on the way (a hook's retry, the readiness poll, a settle loop). */
  loop: Cost;
  /** The task functions in that loop (`Promote` in Promote's settle loop). */
  loopFunctions: string[];
}

/**
 * The costliest path from `from` to a state in `ends` (not counted), or to a terminal state
 * (counted) when `ends` is empty, following Next and Choice branches. A branch back to a state
 * already on the path is a loop: its cost is returned apart, for the caller to repeat.
 */
function walk(
  states: Record<string, AslState>,
  from: string,
  ends: ReadonlySet<string>,
  mapIterations: number,
): Walk {
  let loop = ZERO;
  let loopFunctions: string[] = [];
  const stack: string[] = [];
  const visit = (name: string): Cost | undefined => {
    if (ends.has(name)) return ZERO;
    const at = stack.indexOf(name);
    if (at >= 0) {
      const body = stack.slice(at).reduce((sum, n) => add(sum, own(n)), ZERO);
      if (worse(loop, body) === body) {
        loop = body;
        loopFunctions = stack.slice(at).flatMap((n) => functionOf(states[n] as AslState) ?? []);
      }
      return undefined;
    }
    const state = states[name];
    if (!state) throw new Error(`the state machine has no state ${name}`);
    const next = successors(state);
    if (next.length === 0) return ends.size === 0 ? own(name) : undefined;
    stack.push(name);
    let best: Cost | undefined;
    for (const n of next) {
      const rest = visit(n);
      if (rest) best = best ? worse(best, rest) : rest;
    }
    stack.pop();
    return best ? add(own(name), best) : undefined;
  };
  const own = (name: string): Cost => {
    const state = states[name] as AslState;
    const cost = stateCost(state);
    const inner = state.ItemProcessor;
    if (!inner) return cost;
    const iteration = walk(inner.States, inner.StartAt, new Set(), 0).path ?? ZERO;
    return add(cost, times(add(iteration, { events: 2, seconds: 0 }), mapIterations));
  };
  const path = visit(from);
  return { path, loop, loopFunctions };
}

interface Machine {
  states: Record<string, AslState>;
  /** The task that moves to the next step (Next step) and the Choice on the step's kind after it. */
  advance: string;
  dispatch: string;
  /** Where the step kinds lead (a pause: the Bake that watches the alarms, or the plain Pause). */
  kinds: Map<string, string[]>;
  /** Where a failing step goes (the advance task's catch-all). */
  rollback: string;
  /** The Wait a settling shift goes round, and the task it runs again (none in ring). */
  settle?: { wait: string; task: string };
  timeoutSeconds: number;
}

function machineOf(strategy: StrategyName): Machine {
  const definition = DEFINITIONS[strategy];
  const states = definition.States;
  const advance = Object.keys(states).find((n) => functionOf(states[n] as AslState) === 'NextStep');
  const dispatch = advance ? states[advance]?.Next : undefined;
  const choices = dispatch ? states[dispatch]?.Choices : undefined;
  const rollback = advance
    ? states[advance]?.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'))?.Next
    : undefined;
  if (!advance || !dispatch || !choices || !rollback) {
    throw new Error(`statemachines/${strategy}.asl.json has no Next step task, step Choice or rollback`);
  }
  const kinds = new Map<string, string[]>();
  for (const choice of choices) {
    const rule = [choice, ...(choice.And ?? [])].find(
      (c) => c.Variable === '$.progress.step.kind' && c.StringEquals,
    );
    if (!rule) continue;
    const kind = rule.StringEquals as string;
    kinds.set(kind, [...(kinds.get(kind) ?? []), choice.Next]);
  }
  const settleWait = choices.find((c) => c.Variable === '$.progress.settling')?.Next;
  const settleTask = settleWait ? states[settleWait]?.Next : undefined;
  return {
    states,
    advance,
    dispatch,
    kinds,
    rollback,
    ...(settleWait && settleTask ? { settle: { wait: settleWait, task: settleTask } } : {}),
    timeoutSeconds: definition.TimeoutSeconds ?? 365 * 86_400,
  };
}

const MACHINES = new Map<StrategyName, Machine>();
const machine = (strategy: StrategyName): Machine => {
  let m = MACHINES.get(strategy);
  if (!m) {
    m = machineOf(strategy);
    MACHINES.set(strategy, m);
  }
  return m;
};

/** Seconds a step itself keeps the execution waiting: a pause, an approval's timeout, a hook's attempts and retry waits. */
function stepWaitSeconds(step: Step): number {
  switch (step.kind) {
    case 'pause':
      return step.seconds;
    case 'approval':
      return step.timeoutSeconds;
    case 'hook': {
      const { retries, timeoutSeconds, retryIntervalSeconds } = step.hook;
      return (retries + 1) * timeoutSeconds + retries * retryIntervalSeconds;
    }
    default:
      return 0;
  }
}

/** How many times a step goes round its loop (a hook's retries). */
const loopsOf = (step: Step): number => (step.kind === 'hook' ? step.hook.retries : 0);

/** A ring's child execution runs as long as its own plan does (its provider's waits are its own execution's). */
function ringSeconds(step: Step): number {
  if (step.kind !== 'ring') return 0;
  const { strategy, plan } = step.ring;
  if (!strategy || !isStrategy(strategy) || strategy === 'ring' || plan === undefined) return 0;
  const steps = expandPlan(strategy, plan);
  return worstCase({ strategy, steps, provider: 'simulated' }).seconds;
}

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value ?? null)).length;

/** The worst case of one execution of `steps` on `strategy` over `provider`. Pure. */
export function worstCase(input: QuotaInput): WorstCase {
  const m = machine(input.strategy);
  const provider = PROVIDER_WAITS[input.provider] ?? WAITS_EVERYWHERE;
  const configured = input.providerConfig?.readyTimeoutSeconds;
  const readySeconds =
    typeof configured === 'number' ? configured : provider.prepares ? DEFAULT_READY_TIMEOUT_SECONDS : 0;
  const rings = input.steps.filter((s) => s.kind === 'ring').length;
  const advanceAt = new Set([m.advance]);
  // A step's path ends where the next one is chosen: at Next step, or at Which step? for the tasks
  // that move the cursor themselves (Shift traffic, Check alarms).
  const stepEnds = new Set([m.advance, m.dispatch]);

  // From the start to the first Next step, going round the readiness poll as often as it may.
  const start = walk(m.states, (DEFINITIONS[input.strategy] as AslDefinition).StartAt, advanceAt, 0);
  const polls = Math.ceil(readySeconds / READY_POLL_SECONDS);
  const readiness = times(start.loop, polls);
  let total = add(
    { events: 2, seconds: readySeconds },
    add(start.path ?? ZERO, { ...readiness, seconds: 0 }),
  );

  const dispatchCost = add(stateCost(m.states[m.advance] as AslState), { events: 2, seconds: 0 });
  // A shift the provider has not finished goes round Which step? → Wait → Shift traffic → Next step.
  const rolloutPolls = settlePolls(rolloutTimeoutOf(input.providerConfig));
  const pollSeconds = Array.from({ length: rolloutPolls }, (_, i) => settlePollSeconds(i)).reduce(
    (a, b) => a + b,
    0,
  );
  const settle: Cost =
    provider.settles && m.settle
      ? {
          events:
            rolloutPolls *
            (stateCost(m.states[m.settle.wait] as AslState).events +
              stateCost(m.states[m.settle.task] as AslState).events +
              dispatchCost.events),
          seconds: pollSeconds,
        }
      : ZERO;
  // Promote and Roll back go round their own loop (→ Promoted? → Wait for promotion to settle →) where the provider waits there.
  const withSettleLoop = ({ path, loop, loopFunctions }: Walk): Cost => {
    const waits = loopFunctions.some((fn) => provider.waits.includes(fn as WaitingTask));
    return add(path ?? ZERO, waits ? { events: loop.events * rolloutPolls, seconds: pollSeconds } : ZERO);
  };
  for (const step of input.steps) {
    const targets = m.kinds.get(step.kind);
    if (!targets) continue;
    // Where a kind may lead to more than one state, the costliest.
    const cost = targets
      .map((target) => {
        const { path, loop } = walk(m.states, target, stepEnds, rings);
        return add(path ?? ZERO, times(loop, loopsOf(step)));
      })
      .reduce(worse);
    total = add(
      total,
      add(dispatchCost, { events: cost.events, seconds: cost.seconds + stepWaitSeconds(step) }),
    );
    total = add(total, { events: 0, seconds: ringSeconds(step) });
    if (step.kind === 'setWeight') total = add(total, settle);
  }
  // Then the plan's end, and a rollback after it (a failed promote): the costliest ending there is.
  const done = m.kinds.get('done')?.[0];
  const ending = done ? withSettleLoop(walk(m.states, done, new Set(), rings)) : ZERO;
  const rollback = withSettleLoop(walk(m.states, m.rollback, new Set(), rings));
  total = add(total, add(dispatchCost, add(ending, rollback)));
  // The baseline comparison may make each step's bake longer for requests, then hold it for a person.
  if (input.analysis)
    total = add(total, analysisCost(input.analysis, input.steps.filter(isTrafficStep).length));

  const carried = input.state ?? {
    plan: { steps: input.steps },
    alarms: input.alarms ?? [],
    providerConfig: input.providerConfig ?? {},
  };
  return {
    historyEvents: total.events,
    readinessEvents: readiness.events,
    seconds: total.seconds,
    stateBytes:
      bytes(carried) +
      bytes(input.alarms ?? []) +
      STATE_RESULTS_BYTES +
      (input.analysis
        ? bytes(input.analysis) +
          VERSION_METRICS_BYTES +
          LOOK_BYTES * input.steps.filter(isTrafficStep).length +
          EVIDENCE_BYTES * input.analysis.criteria.length
        : 0),
    readySeconds,
    timeoutSeconds: m.timeoutSeconds,
  };
}

/** Where the fields a refusal names live: `plan` and `providerConfig` by default, `services[2].plan`, `services[2].provider` in a registry. */
export interface QuotaFields {
  plan: string;
  providerConfig: string;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const QUOTA = `${fmt(HISTORY_LIMIT_EVENTS)} (80 % of Step Functions' ${fmt(HISTORY_QUOTA_EVENTS)}-event quota per execution)`;

/**
 * Refuses a plan whose worst case would break a Step Functions quota, naming the field that
 * makes it so: history events over 80 % of 25,000, a state over 200 KB, a run longer than the
 * state machine's timeout. Returns the worst case (the lock's TTL derives from it).
 */
export function assertWithinQuotas(
  input: QuotaInput,
  fields: QuotaFields = { plan: 'plan', providerConfig: 'providerConfig' },
): WorstCase {
  const worst = worstCase(input);
  if (worst.historyEvents > HISTORY_LIMIT_EVENTS) {
    const others = worst.historyEvents - worst.readinessEvents;
    if (worst.readinessEvents > others) {
      const perPoll = worst.readinessEvents / Math.ceil(worst.readySeconds / READY_POLL_SECONDS);
      const fits = Math.max(0, Math.floor((HISTORY_LIMIT_EVENTS - others) / perPoll) * READY_POLL_SECONDS);
      throw new InvalidInputError(
        `${fields.providerConfig}.readyTimeoutSeconds: ${worst.readySeconds}s of readiness checks (one every ${READY_POLL_SECONDS}s) would need ≈${fmt(worst.historyEvents)} execution history events in the worst case, over ${QUOTA}; at most ${fits}s fits`,
      );
    }
    throw new InvalidInputError(
      `${fields.plan}.${PLAN_LENGTH_FIELD[input.strategy]}: this ${input.strategy} plan (${input.steps.length} steps once expanded) on ${input.provider} would need ≈${fmt(worst.historyEvents)} execution history events in the worst case, over ${QUOTA}; use fewer steps`,
    );
  }
  if (worst.stateBytes > STATE_LIMIT_BYTES) {
    throw new InvalidInputError(
      `${fields.plan}: the execution would carry ≈${fmt(worst.stateBytes)} bytes of state (the expanded plan rides in every state), over ${fmt(STATE_LIMIT_BYTES)} (Step Functions refuses more than ${fmt(STATE_QUOTA_BYTES)}); use fewer or shorter steps`,
    );
  }
  if (worst.seconds > worst.timeoutSeconds) {
    const field =
      worst.readySeconds > worst.seconds / 2
        ? `${fields.providerConfig}.readyTimeoutSeconds`
        : `${fields.plan}.${PLAN_LENGTH_FIELD[input.strategy]}`;
    throw new InvalidInputError(
      `${field}: this plan could run ${fmt(worst.seconds)}s in the worst case (pauses, approval timeouts, hooks, readiness and provider waits), longer than the ${fmt(worst.timeoutSeconds)}s its state machine may run`,
    );
  }
  return worst;
}

/** `assertWithinQuotas` for a plan of a registered service: its provider, provider config and alarms. */
export function assertPlanWithinQuotas(
  config: {
    provider: string;
    providerConfig?: Record<string, unknown>;
    alarms: string[];
    analysis?: NonNullable<QuotaInput['analysis']>;
  },
  strategy: StrategyName,
  steps: Step[],
): WorstCase {
  return assertWithinQuotas({
    strategy,
    steps,
    provider: config.provider,
    ...(config.providerConfig ? { providerConfig: config.providerConfig } : {}),
    alarms: config.alarms,
    ...(config.analysis ? { analysis: config.analysis } : {}),
  });
}
