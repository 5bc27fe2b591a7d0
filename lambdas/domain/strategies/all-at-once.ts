import type { FromSchema } from 'json-schema-to-ts';
import { approvalSchema, approvalStep, bake, planObject, seconds } from './plan-parts.ts';
import type { Strategy } from './strategy.ts';

const planSchema = planObject({ bakeSeconds: seconds, approval: approvalSchema }, ['bakeSeconds']);
export type AllAtOncePlan = FromSchema<typeof planSchema>;

export const allAtOnce: Strategy<AllAtOncePlan> = {
  name: 'all-at-once',
  summary: 'All traffic to the candidate at once, bake and check; unhealthy goes straight back.',
  constructId: 'AllAtOnce',
  planSchema,
  requires: [],
  defaultPlan: (bakeSeconds) => ({ bakeSeconds }),
  expand: (plan) => [
    ...(plan.approval ? [approvalStep(plan.approval)] : []),
    { kind: 'setWeight', weight: 100 },
    ...bake(plan.bakeSeconds),
  ],
};
