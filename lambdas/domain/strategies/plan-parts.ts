import type { FromSchema } from 'json-schema-to-ts';
import { HOOK_FUNCTION_PREFIX } from '../../tasks.ts';
import { InvalidInputError } from '../errors.ts';
import type { Hook, HookPhase } from '../hooks.ts';
import { MAX_BAKE_SECONDS } from '../plan.ts';
import type { Step } from '../steps.ts';

/**
 * The pieces strategies' plans share: the schemas of a bake, an approval, a hook and a step as
 * users write them (each plan type is derived from its schema, so the two cannot drift), and their
 * expansion into the steps a state machine walks.
 */

export const seconds = { type: 'integer', minimum: 0, maximum: MAX_BAKE_SECONDS } as const;

export const approvalSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['timeoutSeconds'],
  properties: {
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 7 * 86_400 },
    onTimeout: { type: 'string', enum: ['rollback', 'continue'] },
  },
} as const;

export const hookSchema = {
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
export const stepSchema = {
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

export const stepsSchema = { type: 'array', minItems: 1, maxItems: 200, items: stepSchema } as const;

export const matchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: {
    header: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
    cookie: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    value: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

/** An object schema that takes only the properties it names. */
export const planObject = <
  const P extends Record<string, unknown>,
  const R extends readonly (keyof P & string)[],
>(
  properties: P,
  required: R,
) => ({ type: 'object', additionalProperties: false, required, properties }) as const;

export type ApprovalInput = FromSchema<typeof approvalSchema>;
export type HookInput = FromSchema<typeof hookSchema>;
export type StepInput = FromSchema<typeof stepSchema>;

export function toHook(input: HookInput, phase: HookPhase, field: string): Hook {
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

/** A phase's hooks (`plan.preTrafficHooks`, say) as hook steps of that phase. */
export function hookSteps(list: readonly HookInput[] | undefined, phase: HookPhase, field: string): Step[] {
  return (list ?? []).map(
    (h, i): Step => ({ kind: 'hook', hook: toHook({ ...h, phase }, phase, `${field}[${i}]`) }),
  );
}

export function toSteps(inputs: readonly StepInput[], field: string): Step[] {
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
    if (input.approval) return [approvalStep(input.approval)];
    if (input.hook) return [{ kind: 'hook', hook: toHook(input.hook, 'post-traffic', `${where}.hook`) }];
    throw new InvalidInputError(`${where} has no step kind`);
  });
}

/** Weighted phases must move forward and end with all traffic on the candidate. */
export function checkWeights(steps: Step[], field: string, mustReach100: boolean): void {
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

/** A bake: a pause, then the check that judges it. */
export const bake = (seconds: number, label = 'bake'): Step[] => [
  { kind: 'pause', seconds, label },
  { kind: 'check' },
];

export function approvalStep(a: ApprovalInput): Step {
  return { kind: 'approval', timeoutSeconds: a.timeoutSeconds, onTimeout: a.onTimeout ?? 'rollback' };
}
