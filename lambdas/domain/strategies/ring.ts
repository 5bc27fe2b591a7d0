import type { FromSchema } from 'json-schema-to-ts';
import { InvalidInputError } from '../errors.ts';
import type { Step } from '../steps.ts';
import { STRATEGIES, type StrategyName } from '../strategy-names.ts';
import { approvalSchema, approvalStep, planObject, seconds } from './plan-parts.ts';
import type { Strategy } from './strategy.ts';

/** The strategies a ring may use: any but ring itself. */
const RING_STRATEGIES = STRATEGIES.filter((s): s is Exclude<StrategyName, 'ring'> => s !== 'ring');

const planSchema = planObject(
  {
    rings: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: planObject(
        {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,30}$' },
          service: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
          strategy: { type: 'string', enum: RING_STRATEGIES },
          plan: { type: 'object' },
          gate: planObject({ approval: approvalSchema, bakeSeconds: seconds }, []),
        },
        ['name', 'service'],
      ),
    },
    onFailure: { type: 'string', enum: ['rollback', 'keep'] },
  },
  ['rings'],
);
export type RingPlan = FromSchema<typeof planSchema>;

export const ring: Strategy<RingPlan> = {
  name: 'ring',
  summary:
    'An ordered list of rings (services), each deployed with its own strategy as a child execution, with gates between; a failed ring stops the rollout and the finished rings are rolled back or kept.',
  constructId: 'Ring',
  planSchema,
  // A ring rollout moves no traffic itself: each ring is checked against its own service's provider.
  requires: [],
  defaultPlan() {
    throw new InvalidInputError('the ring strategy has no default plan: list its rings (services) in a plan');
  },
  expand(plan, { expandPlan }) {
    const names = new Set<string>();
    return plan.rings.flatMap((ring, i): Step[] => {
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
  },
  onFailure: (plan) => plan.onFailure ?? 'rollback',
};
