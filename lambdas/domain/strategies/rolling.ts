import type { FromSchema } from 'json-schema-to-ts';
import { InvalidInputError } from '../errors.ts';
import type { Step } from '../steps.ts';
import { bake, planObject, seconds } from './plan-parts.ts';
import type { Strategy } from './strategy.ts';

const count = { type: 'integer', minimum: 1, maximum: 1000 } as const;
const planSchema = planObject(
  {
    instances: count,
    batchSize: count,
    maxUnavailable: { type: 'integer', minimum: 0, maximum: 1000 },
    bakeSeconds: seconds,
  },
  ['instances', 'batchSize'],
);
export type RollingPlan = FromSchema<typeof planSchema>;

export const rolling: Strategy<RollingPlan> = {
  name: 'rolling',
  summary:
    'Replace capacity in batches, checking health after each; unhealthy rolls the replaced batches back.',
  constructId: 'Rolling',
  planSchema,
  requires: [],
  defaultPlan: (bakeSeconds) => ({ instances: 4, batchSize: 1, maxUnavailable: 1, bakeSeconds }),
  expand(plan) {
    if (plan.batchSize > plan.instances) {
      throw new InvalidInputError(
        `plan.batchSize (${plan.batchSize}) cannot exceed plan.instances (${plan.instances})`,
      );
    }
    if ((plan.maxUnavailable ?? 0) > plan.instances) {
      throw new InvalidInputError(
        `plan.maxUnavailable (${plan.maxUnavailable}) cannot exceed plan.instances (${plan.instances})`,
      );
    }
    const batches = Math.ceil(plan.instances / plan.batchSize);
    const steps: Step[] = [];
    let previous = 0;
    for (let b = 1; b <= batches; b++) {
      const replaced = Math.min(b * plan.batchSize, plan.instances);
      // Weights are whole percents: batches smaller than 1 % of the fleet are judged together.
      const weight = Math.round((100 * replaced) / plan.instances);
      if (weight <= previous) continue;
      previous = weight;
      steps.push(
        { kind: 'setWeight', weight, label: `batch ${b}/${batches}` },
        ...bake(plan.bakeSeconds ?? 0),
      );
    }
    return steps;
  },
};
