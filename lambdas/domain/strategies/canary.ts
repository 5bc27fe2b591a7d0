import type { FromSchema } from 'json-schema-to-ts';
import { DEFAULT_WEIGHTS } from '../plan.ts';
import { checkWeights, planObject, stepsSchema, toSteps } from './plan-parts.ts';
import type { Strategy } from './strategy.ts';

const planSchema = planObject({ steps: stepsSchema }, ['steps']);
export type CanaryPlan = FromSchema<typeof planSchema>;

export const canary: Strategy<CanaryPlan> = {
  name: 'canary',
  summary:
    'Walk an explicit plan of steps (set weight, pause, check, approval, hook); promote at the end or roll back.',
  constructId: 'Canary',
  planSchema,
  requires: [],
  defaultPlan: (bakeSeconds) => ({ steps: DEFAULT_WEIGHTS.map((weight) => ({ weight, bakeSeconds })) }),
  expand(plan) {
    const steps = toSteps(plan.steps, 'plan.steps');
    checkWeights(steps, 'plan.steps', true);
    return steps;
  },
};
