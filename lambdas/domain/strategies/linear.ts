import type { FromSchema } from 'json-schema-to-ts';
import type { Step } from '../steps.ts';
import { approvalSchema, approvalStep, bake, planObject, seconds } from './plan-parts.ts';
import type { Strategy } from './strategy.ts';

const planSchema = planObject(
  {
    stepPercent: { type: 'integer', minimum: 1, maximum: 100 },
    intervalSeconds: seconds,
    approval: approvalSchema,
  },
  ['stepPercent', 'intervalSeconds'],
);
export type LinearPlan = FromSchema<typeof planSchema>;

export const linear: Strategy<LinearPlan> = {
  name: 'linear',
  summary:
    "Equal increments of traffic every interval until 100 %, each baked and checked (CodeDeploy's Linear).",
  constructId: 'Linear',
  planSchema,
  requires: [],
  defaultPlan: (bakeSeconds) => ({ stepPercent: 25, intervalSeconds: bakeSeconds }),
  expand(plan) {
    const steps: Step[] = plan.approval ? [approvalStep(plan.approval)] : [];
    for (let w = plan.stepPercent; ; w += plan.stepPercent) {
      steps.push({ kind: 'setWeight', weight: Math.min(w, 100) }, ...bake(plan.intervalSeconds));
      if (w >= 100) break;
    }
    return steps;
  },
};
