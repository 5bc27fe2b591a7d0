import type { FromSchema } from 'json-schema-to-ts';
import {
  approvalSchema,
  approvalStep,
  bake,
  hookSchema,
  hookSteps,
  planObject,
  seconds,
} from './plan-parts.ts';
import type { Strategy } from './strategy.ts';

const hooks = { type: 'array', maxItems: 10, items: hookSchema } as const;
const planSchema = planObject(
  {
    preTrafficHooks: hooks,
    approval: approvalSchema,
    bakeSeconds: seconds,
    postTrafficHooks: hooks,
    terminationWaitSeconds: seconds,
  },
  ['bakeSeconds'],
);
export type BlueGreenPlan = FromSchema<typeof planSchema>;

export const blueGreen: Strategy<BlueGreenPlan> = {
  name: 'blue-green',
  summary:
    'The candidate at full capacity beside the live version, tested on the test route, then switched to at once.',
  constructId: 'BlueGreen',
  planSchema,
  requires: ['side-by-side'],
  hookPhases: { 'pre-traffic': 'preTrafficHooks', 'post-traffic': 'postTrafficHooks' },
  defaultPlan: (bakeSeconds) => ({ bakeSeconds, terminationWaitSeconds: bakeSeconds }),
  expand: (plan) => [
    ...hookSteps(plan.preTrafficHooks, 'pre-traffic', 'plan.preTrafficHooks'),
    ...(plan.approval ? [approvalStep(plan.approval)] : []),
    { kind: 'setWeight', weight: 100, label: 'switch' },
    ...bake(plan.bakeSeconds),
    ...hookSteps(plan.postTrafficHooks, 'post-traffic', 'plan.postTrafficHooks'),
    { kind: 'pause', seconds: plan.terminationWaitSeconds ?? 0, label: 'termination wait' },
    // Until the old version is retired a switch back is still instant: judge the wait too.
    { kind: 'check' },
  ],
};
