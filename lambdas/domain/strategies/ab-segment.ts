import type { FromSchema } from 'json-schema-to-ts';
import { InvalidInputError } from '../errors.ts';
import type { SegmentMatch, Step } from '../steps.ts';
import { bake, checkWeights, matchSchema, planObject, seconds, stepsSchema, toSteps } from './plan-parts.ts';
import type { Strategy } from './strategy.ts';

const planSchema = planObject(
  {
    match: matchSchema,
    bakeSeconds: seconds,
    after: planObject({ steps: stepsSchema, analysisSeconds: seconds }, []),
  },
  ['match', 'bakeSeconds'],
);
export type AbSegmentPlan = FromSchema<typeof planSchema>;

export const abSegment: Strategy<AbSegmentPlan> = {
  name: 'ab-segment',
  summary:
    'Only requests matching a header or cookie rule reach the candidate; then promote or keep the stable version.',
  constructId: 'AbSegment',
  planSchema,
  requires: ['segments'],
  defaultPlan: (bakeSeconds) => ({
    match: { header: 'x-stepwise-beta', value: 'true' },
    bakeSeconds,
    after: { analysisSeconds: bakeSeconds },
  }),
  expand(plan) {
    if (Boolean(plan.match.header) === Boolean(plan.match.cookie)) {
      throw new InvalidInputError('plan.match needs exactly one of header or cookie');
    }
    const match: SegmentMatch = plan.match.header
      ? { header: plan.match.header, value: plan.match.value }
      : { cookie: plan.match.cookie as string, value: plan.match.value };
    const steps: Step[] = [{ kind: 'segment', match }, ...bake(plan.bakeSeconds)];
    if (plan.after?.steps && plan.after.analysisSeconds !== undefined) {
      throw new InvalidInputError(
        'plan.after takes steps (a weighted phase) or analysisSeconds (stop there), not both',
      );
    }
    if (plan.after?.steps) {
      const weighted = toSteps(plan.after.steps, 'plan.after.steps');
      checkWeights(weighted, 'plan.after.steps', true);
      steps.push(...weighted);
    } else {
      steps.push(
        { kind: 'pause', seconds: plan.after?.analysisSeconds ?? 0, label: 'analysis' },
        { kind: 'check' },
      );
    }
    return steps;
  },
};
