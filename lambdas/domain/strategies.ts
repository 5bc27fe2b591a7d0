import { HOOK_FUNCTION_PREFIX } from '../tasks.ts';
import * as compiled from './compiled-schemas.js';
import { InvalidInputError } from './errors.ts';
import type { Hook, HookPhase } from './hooks.ts';
import { DEFAULT_BAKE_SECONDS, DEFAULT_WEIGHTS, MAX_BAKE_SECONDS } from './plan.ts';
import { type CompiledSchema, validator } from './schemas.ts';
import { isTrafficStep, type SegmentMatch, type Step } from './steps.ts';

import { STRATEGIES, type StrategyName } from './strategy-names.ts';

export { isStrategy, STRATEGIES, type StrategyName } from './strategy-names.ts';

const seconds = { type: 'integer', minimum: 0, maximum: MAX_BAKE_SECONDS } as const;

/** The state machines time out after 14 days; a plan must leave a day for its tasks and rollback. */
export const MAX_PLAN_SECONDS = 13 * 86_400;

const approvalSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['timeoutSeconds'],
  properties: {
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 7 * 86_400 },
    onTimeout: { type: 'string', enum: ['rollback', 'continue'] },
  },
} as const;

const hookSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    phase: { type: 'string', enum: ['pre-traffic', 'post-traffic'] },
    http: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', pattern: '^https?://\\S+$' },
        method: { type: 'string', enum: ['GET', 'HEAD', 'POST'] },
        expectedStatus: { type: 'integer', minimum: 100, maximum: 599 },
      },
    },
    lambda: {
      type: 'object',
      additionalProperties: false,
      required: ['functionName'],
      properties: {
        // The RunHook role may invoke only functions of this account and region named with the prefix,
        // qualified or not: anything else would fail at run time with AccessDenied.
        functionName: {
          type: 'string',
          maxLength: 170,
          pattern: `^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:)?${HOOK_FUNCTION_PREFIX}[A-Za-z0-9_-]{1,50}(:[A-Za-z0-9$_-]{1,128})?$`,
        },
      },
    },
    // One attempt runs inside one Lambda invocation (60 s): leave it room.
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 50 },
    retries: { type: 'integer', minimum: 0, maximum: 10 },
    retryIntervalSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
  },
} as const;

/** A step as users write it: one key naming its kind, or the `{ weight, bakeSeconds }` shorthand. */
const stepSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    weight: { type: 'integer', minimum: 1, maximum: 100 },
    bakeSeconds: seconds,
    setWeight: { type: 'integer', minimum: 0, maximum: 100 },
    pause: { type: 'object', additionalProperties: false, required: ['seconds'], properties: { seconds } },
    check: { type: 'object', additionalProperties: false, properties: {} },
    approval: approvalSchema,
    hook: hookSchema,
  },
} as const;

const stepsSchema = { type: 'array', minItems: 1, maxItems: 200, items: stepSchema } as const;

const matchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: {
    header: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
    cookie: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    value: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

const obj = (properties: Record<string, unknown>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const;

/** The plan each strategy accepts, in the service config, a request, or `--plan FILE`. */
export const PLAN_SCHEMAS: Record<StrategyName, object> = {
  canary: obj({ steps: stepsSchema }, ['steps']),
  linear: obj(
    {
      stepPercent: { type: 'integer', minimum: 1, maximum: 100 },
      intervalSeconds: seconds,
      approval: approvalSchema,
    },
    ['stepPercent', 'intervalSeconds'],
  ),
  'all-at-once': obj({ bakeSeconds: seconds, approval: approvalSchema }, ['bakeSeconds']),
  'blue-green': obj(
    {
      preTrafficHooks: { type: 'array', maxItems: 10, items: hookSchema },
      approval: approvalSchema,
      bakeSeconds: seconds,
      postTrafficHooks: { type: 'array', maxItems: 10, items: hookSchema },
      terminationWaitSeconds: seconds,
    },
    ['bakeSeconds'],
  ),
  rolling: obj(
    {
      instances: { type: 'integer', minimum: 1, maximum: 1000 },
      batchSize: { type: 'integer', minimum: 1, maximum: 1000 },
      maxUnavailable: { type: 'integer', minimum: 0, maximum: 1000 },
      bakeSeconds: seconds,
    },
    ['instances', 'batchSize'],
  ),
  recreate: obj(
    {
      startupSeconds: seconds,
      bakeSeconds: seconds,
      postTrafficHooks: { type: 'array', maxItems: 10, items: hookSchema },
    },
    ['bakeSeconds'],
  ),
  ring: obj(
    {
      rings: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: obj(
          {
            name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,30}$' },
            service: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
            strategy: { type: 'string', enum: STRATEGIES.filter((s) => s !== 'ring') },
            plan: { type: 'object' },
            gate: obj({ approval: approvalSchema, bakeSeconds: seconds }),
          },
          ['name', 'service'],
        ),
      },
      onFailure: { type: 'string', enum: ['rollback', 'keep'] },
    },
    ['rings'],
  ),
  'ab-segment': obj(
    {
      match: matchSchema,
      bakeSeconds: seconds,
      after: obj({ steps: stepsSchema, analysisSeconds: seconds }),
    },
    ['match', 'bakeSeconds'],
  ),
};

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
  STRATEGIES.map((s) => [
    s,
    validator<Record<string, unknown>>(COMPILED_PLANS[s], 'plan', { pathFromRoot: true }),
  ]),
) as Record<StrategyName, (v: unknown) => Record<string, unknown>>;

/** The plan a strategy uses when the service config gives none. */
export function defaultStrategyPlan(strategy: StrategyName, bakeSeconds = DEFAULT_BAKE_SECONDS): unknown {
  switch (strategy) {
    case 'canary':
      return { steps: DEFAULT_WEIGHTS.map((weight) => ({ weight, bakeSeconds })) };
    case 'linear':
      return { stepPercent: 25, intervalSeconds: bakeSeconds };
    case 'all-at-once':
      return { bakeSeconds };
    case 'blue-green':
      return { bakeSeconds, terminationWaitSeconds: bakeSeconds };
    case 'rolling':
      return { instances: 4, batchSize: 1, maxUnavailable: 1, bakeSeconds };
    case 'recreate':
      return { startupSeconds: 30, bakeSeconds };
    case 'ab-segment':
      return {
        match: { header: 'x-stepwise-beta', value: 'true' },
        bakeSeconds,
        after: { analysisSeconds: bakeSeconds },
      };
    case 'ring':
      throw new InvalidInputError(
        'the ring strategy has no default plan: list its rings (services) in a plan',
      );
  }
}

export interface ExpandOptions {
  /** An approval gate before the first production traffic (CLI `--approve`). */
  approvalGate?: { timeoutSeconds: number; onTimeout: 'rollback' | 'continue' };
}

type HookInput = {
  name: string;
  phase?: HookPhase;
  http?: { url: string; method?: 'GET' | 'HEAD' | 'POST'; expectedStatus?: number };
  lambda?: { functionName: string };
  timeoutSeconds?: number;
  retries?: number;
  retryIntervalSeconds?: number;
};

function toHook(input: HookInput, phase: HookPhase, field: string): Hook {
  const base = {
    name: input.name,
    phase: input.phase ?? phase,
    timeoutSeconds: input.timeoutSeconds ?? 10,
    retries: input.retries ?? 2,
    retryIntervalSeconds: input.retryIntervalSeconds ?? 10,
  };
  if (input.http && input.lambda) throw new InvalidInputError(`${field} must have http or lambda, not both`);
  if (input.http) {
    return {
      ...base,
      type: 'http',
      url: input.http.url,
      method: input.http.method ?? 'GET',
      expectedStatus: input.http.expectedStatus ?? 200,
    };
  }
  if (input.lambda) return { ...base, type: 'lambda', functionName: input.lambda.functionName };
  throw new InvalidInputError(`${field} needs http or lambda`);
}

type StepInput = {
  weight?: number;
  bakeSeconds?: number;
  setWeight?: number;
  pause?: { seconds: number };
  check?: Record<string, never>;
  approval?: { timeoutSeconds: number; onTimeout?: 'rollback' | 'continue' };
  hook?: HookInput;
};

function toSteps(inputs: StepInput[], field: string): Step[] {
  return inputs.flatMap((input, i): Step[] => {
    const where = `${field}[${i}]`;
    const keys = Object.keys(input);
    if (input.weight !== undefined || input.bakeSeconds !== undefined) {
      if (input.weight === undefined || input.bakeSeconds === undefined || keys.length !== 2) {
        throw new InvalidInputError(
          `${where} must be { weight, bakeSeconds } or one of setWeight, pause, check, approval, hook`,
        );
      }
      return [
        { kind: 'setWeight', weight: input.weight },
        { kind: 'pause', seconds: input.bakeSeconds, label: 'bake' },
        { kind: 'check' },
      ];
    }
    if (keys.length !== 1)
      throw new InvalidInputError(
        `${where} must have exactly one of setWeight, pause, check, approval, hook`,
      );
    if (input.setWeight !== undefined) return [{ kind: 'setWeight', weight: input.setWeight }];
    if (input.pause) return [{ kind: 'pause', seconds: input.pause.seconds }];
    if (input.check) return [{ kind: 'check' }];
    if (input.approval) {
      return [
        {
          kind: 'approval',
          timeoutSeconds: input.approval.timeoutSeconds,
          onTimeout: input.approval.onTimeout ?? 'rollback',
        },
      ];
    }
    if (input.hook) return [{ kind: 'hook', hook: toHook(input.hook, 'post-traffic', `${where}.hook`) }];
    throw new InvalidInputError(`${where} has no step kind`);
  });
}

/** Weighted phases must move forward and end with all traffic on the candidate. */
function checkWeights(steps: Step[], field: string, mustReach100: boolean): void {
  let previous = 0;
  for (const step of steps) {
    if (step.kind !== 'setWeight') continue;
    if (step.weight < previous) {
      throw new InvalidInputError(`${field} weights must not decrease: ${step.weight} after ${previous}`);
    }
    previous = step.weight;
  }
  if (mustReach100 && previous !== 100) {
    throw new InvalidInputError(`${field} must end at weight 100, the last is ${previous}`);
  }
}

const bake = (seconds: number, label = 'bake'): Step[] => [
  { kind: 'pause', seconds, label },
  { kind: 'check' },
];

function approvalStep(a: { timeoutSeconds: number; onTimeout?: 'rollback' | 'continue' }): Step {
  return { kind: 'approval', timeoutSeconds: a.timeoutSeconds, onTimeout: a.onTimeout ?? 'rollback' };
}

/** Puts the approval gate before the first step that touches production traffic (for recreate: the stop). */
function withGate(steps: Step[], gate: ExpandOptions['approvalGate']): Step[] {
  if (!gate) return steps;
  const at = steps.findIndex((s) => isTrafficStep(s) || s.kind === 'stopStable');
  const copy = [...steps];
  copy.splice(Math.max(at, 0), 0, { kind: 'approval', ...gate });
  return copy;
}

/**
 * Validates a strategy's plan (errors name the field) and expands it into the steps its state
 * machine walks. Pure: the same plan always gives the same steps.
 */
export function expandPlan(strategy: StrategyName, raw: unknown, options: ExpandOptions = {}): Step[] {
  const plan = planValidators[strategy](raw) as Record<string, never>;
  const hooks = (list: HookInput[] | undefined, phase: HookPhase, field: string): Step[] => [
    ...(list ?? []).map(
      (h, i): Step => ({ kind: 'hook', hook: toHook({ ...h, phase }, phase, `${field}[${i}]`) }),
    ),
  ];
  let steps: Step[];
  switch (strategy) {
    case 'canary': {
      steps = toSteps((plan as unknown as { steps: StepInput[] }).steps, 'plan.steps');
      checkWeights(steps, 'plan.steps', true);
      break;
    }
    case 'linear': {
      const p = plan as unknown as {
        stepPercent: number;
        intervalSeconds: number;
        approval?: { timeoutSeconds: number };
      };
      steps = p.approval ? [approvalStep(p.approval)] : [];
      for (let w = p.stepPercent; ; w += p.stepPercent) {
        steps.push({ kind: 'setWeight', weight: Math.min(w, 100) }, ...bake(p.intervalSeconds));
        if (w >= 100) break;
      }
      break;
    }
    case 'all-at-once': {
      const p = plan as unknown as { bakeSeconds: number; approval?: { timeoutSeconds: number } };
      steps = [
        ...(p.approval ? [approvalStep(p.approval)] : []),
        { kind: 'setWeight', weight: 100 },
        ...bake(p.bakeSeconds),
      ];
      break;
    }
    case 'blue-green': {
      const p = plan as unknown as {
        preTrafficHooks?: HookInput[];
        approval?: { timeoutSeconds: number };
        bakeSeconds: number;
        postTrafficHooks?: HookInput[];
        terminationWaitSeconds?: number;
      };
      steps = [
        ...hooks(p.preTrafficHooks, 'pre-traffic', 'plan.preTrafficHooks'),
        ...(p.approval ? [approvalStep(p.approval)] : []),
        { kind: 'setWeight', weight: 100, label: 'switch' },
        ...bake(p.bakeSeconds),
        ...(p.postTrafficHooks ?? []).map(
          (h, i): Step => ({
            kind: 'hook',
            hook: toHook({ ...h, phase: 'post-traffic' }, 'post-traffic', `plan.postTrafficHooks[${i}]`),
          }),
        ),
        { kind: 'pause', seconds: p.terminationWaitSeconds ?? 0, label: 'termination wait' },
        // Until the old version is retired a switch back is still instant: judge the wait too.
        { kind: 'check' },
      ];
      break;
    }
    case 'rolling': {
      const p = plan as unknown as {
        instances: number;
        batchSize: number;
        maxUnavailable?: number;
        bakeSeconds?: number;
      };
      if (p.batchSize > p.instances) {
        throw new InvalidInputError(
          `plan.batchSize (${p.batchSize}) cannot exceed plan.instances (${p.instances})`,
        );
      }
      if ((p.maxUnavailable ?? 0) > p.instances) {
        throw new InvalidInputError(
          `plan.maxUnavailable (${p.maxUnavailable}) cannot exceed plan.instances (${p.instances})`,
        );
      }
      const batches = Math.ceil(p.instances / p.batchSize);
      steps = [];
      let previous = 0;
      for (let b = 1; b <= batches; b++) {
        const replaced = Math.min(b * p.batchSize, p.instances);
        // Weights are whole percents: batches smaller than 1 % of the fleet are judged together.
        const weight = Math.round((100 * replaced) / p.instances);
        if (weight <= previous) continue;
        previous = weight;
        steps.push(
          { kind: 'setWeight', weight, label: `batch ${b}/${batches}` },
          ...bake(p.bakeSeconds ?? 0),
        );
      }
      break;
    }
    case 'recreate': {
      const p = plan as unknown as {
        startupSeconds?: number;
        bakeSeconds: number;
        postTrafficHooks?: HookInput[];
      };
      steps = [
        { kind: 'stopStable' },
        { kind: 'pause', seconds: p.startupSeconds ?? 0, label: 'startup' },
        { kind: 'startCandidate' },
        ...hooks(p.postTrafficHooks, 'post-traffic', 'plan.postTrafficHooks'),
        ...bake(p.bakeSeconds),
      ];
      break;
    }
    case 'ring': {
      const p = plan as unknown as {
        rings: {
          name: string;
          service: string;
          strategy?: StrategyName;
          plan?: unknown;
          gate?: {
            approval?: { timeoutSeconds: number; onTimeout?: 'rollback' | 'continue' };
            bakeSeconds?: number;
          };
        }[];
      };
      const names = new Set<string>();
      steps = p.rings.flatMap((ring, i): Step[] => {
        if (names.has(ring.name))
          throw new InvalidInputError(`plan.rings[${i}].name ${ring.name} is used twice`);
        names.add(ring.name);
        if (ring.plan && !ring.strategy) {
          throw new InvalidInputError(
            `plan.rings[${i}].plan needs plan.rings[${i}].strategy: a plan is written for one strategy`,
          );
        }
        if (ring.plan && ring.strategy) {
          try {
            expandPlan(ring.strategy, ring.plan);
          } catch (error) {
            throw new InvalidInputError(
              `plan.rings[${i}].plan (${ring.strategy}): ${(error as Error).message}`,
            );
          }
        }
        const gate: Step[] = [
          ...(ring.gate?.approval ? [approvalStep(ring.gate.approval)] : []),
          ...(ring.gate?.bakeSeconds
            ? [{ kind: 'pause' as const, seconds: ring.gate.bakeSeconds, label: 'gate' }]
            : []),
        ];
        const spec = { name: ring.name, service: ring.service, strategy: ring.strategy, plan: ring.plan };
        return [...gate, { kind: 'ring', ring: spec }];
      });
      break;
    }
    case 'ab-segment': {
      const p = plan as unknown as {
        match: { header?: string; cookie?: string; value: string };
        bakeSeconds: number;
        after?: { steps?: StepInput[]; analysisSeconds?: number };
      };
      if (Boolean(p.match.header) === Boolean(p.match.cookie)) {
        throw new InvalidInputError('plan.match needs exactly one of header or cookie');
      }
      const match: SegmentMatch = p.match.header
        ? { header: p.match.header, value: p.match.value }
        : { cookie: p.match.cookie as string, value: p.match.value };
      steps = [{ kind: 'segment', match }, ...bake(p.bakeSeconds)];
      if (p.after?.steps && p.after.analysisSeconds !== undefined) {
        throw new InvalidInputError(
          'plan.after takes steps (a weighted phase) or analysisSeconds (stop there), not both',
        );
      }
      if (p.after?.steps) {
        const weighted = toSteps(p.after.steps, 'plan.after.steps');
        checkWeights(weighted, 'plan.after.steps', true);
        steps.push(...weighted);
      } else {
        steps.push(
          { kind: 'pause', seconds: p.after?.analysisSeconds ?? 0, label: 'analysis' },
          { kind: 'check' },
        );
      }
      break;
    }
  }
  const gated = withGate(steps, options.approvalGate);
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
  if (strategy !== 'ring') return 'rollback';
  return (plan as { onFailure?: 'rollback' | 'keep' }).onFailure ?? 'rollback';
}

/** Whether a plan's last traffic step gives the candidate everything (ab-segment analysis ends short of it). */
export function promotesCandidate(steps: Step[]): boolean {
  return steps.some((s) => (s.kind === 'setWeight' && s.weight === 100) || s.kind === 'startCandidate');
}

/** The hook phases a strategy has, and the plan field that lists each phase's hooks. */
export const HOOK_PHASES: Partial<Record<StrategyName, Partial<Record<HookPhase, string>>>> = {
  'blue-green': { 'pre-traffic': 'preTrafficHooks', 'post-traffic': 'postTrafficHooks' },
  recreate: { 'post-traffic': 'postTrafficHooks' },
};

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
