import type { FromSchema } from 'json-schema-to-ts';
import { bake, hookSchema, hookSteps, planObject, seconds } from './plan-parts.ts';
import type { Strategy } from './strategy.ts';

const planSchema = planObject(
  {
    startupSeconds: seconds,
    bakeSeconds: seconds,
    postTrafficHooks: { type: 'array', maxItems: 10, items: hookSchema },
  },
  ['bakeSeconds'],
);
export type RecreatePlan = FromSchema<typeof planSchema>;

export const recreate: Strategy<RecreatePlan> = {
  name: 'recreate',
  summary: 'Stop the old version, start the new one (the downtime between is measured), check.',
  constructId: 'Recreate',
  planSchema,
  requires: ['stop-start'],
  hookPhases: { 'post-traffic': 'postTrafficHooks' },
  defaultPlan: (bakeSeconds) => ({ startupSeconds: 30, bakeSeconds }),
  expand: (plan) => [
    { kind: 'stopStable' },
    { kind: 'pause', seconds: plan.startupSeconds ?? 0, label: 'startup' },
    { kind: 'startCandidate' },
    ...hookSteps(plan.postTrafficHooks, 'post-traffic', 'plan.postTrafficHooks'),
    ...bake(plan.bakeSeconds),
  ],
};
