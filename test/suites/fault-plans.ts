import { readFileSync } from 'node:fs';
import type { ServiceEntry } from '../../lambdas/domain/registry.ts';
import { STRATEGIES, type StrategyName } from '../../lambdas/domain/strategy-names.ts';
import type { ApprovalGate } from '../../lambdas/domain/types.ts';
import { TASKS } from '../../lambdas/tasks.ts';
import { aslPath } from '../../local/engine.ts';
import { BAKE_TASK } from '../../local/fault-injection.ts';

/**
 * For every strategy, a service whose plan makes its state machine run every task it has (shifts,
 * checks, hooks, approvals, segments, stop and start, rings), and which tasks those are, read from
 * its ASL file: the fault matrix and the crash suite deploy these.
 */

export interface StrategyCase {
  strategy: StrategyName;
  /** The services to register: the one deployed first, then a ring's own services. */
  services: ServiceEntry[];
  /** An approval before first traffic, for strategies whose plans have no approval step. */
  gate?: ApprovalGate;
  /** The task names (`shift-traffic`) its state machines invoke, ring children included. */
  tasks: string[];
}

const APPROVAL = { timeoutSeconds: 600, onTimeout: 'rollback' } as const;

/** The task names an ASL file's Task states invoke, nested states included, and its Bake's own write (`bake`). */
export function tasksOf(strategy: StrategyName): string[] {
  const text = readFileSync(aslPath(strategy), 'utf8');
  const placeholders = new Set([...text.matchAll(/"\$\{(\w+FunctionArn)\}"/g)].map((m) => m[1]));
  // The Bake state's own DynamoDB write is a task of its own, faulted as `bake`.
  const bake = text.includes(':aws-sdk:dynamodb:putItem.waitForTaskToken') ? [BAKE_TASK] : [];
  return [
    ...TASKS.filter((t) => placeholders.has(t.placeholder)).map((t) => t.entry.replace(/\.ts$/, '')),
    ...bake,
  ];
}

function plan(strategy: StrategyName, hookUrl: string): unknown {
  const hook = (name: string) => ({ hook: { name, http: { url: hookUrl }, timeoutSeconds: 5, retries: 1 } });
  switch (strategy) {
    case 'canary':
      return {
        steps: [
          { weight: 10, bakeSeconds: 60 },
          { approval: APPROVAL },
          hook('smoke'),
          { weight: 50, bakeSeconds: 60 },
          { weight: 100, bakeSeconds: 60 },
        ],
      };
    case 'linear':
      return { stepPercent: 34, intervalSeconds: 60 };
    case 'all-at-once':
      return { bakeSeconds: 60 };
    case 'blue-green':
      return {
        preTrafficHooks: [{ name: 'pre', http: { url: hookUrl } }],
        approval: APPROVAL,
        bakeSeconds: 60,
        postTrafficHooks: [{ name: 'post', http: { url: hookUrl } }],
        terminationWaitSeconds: 60,
      };
    case 'rolling':
      return { instances: 3, batchSize: 1, bakeSeconds: 60 };
    case 'recreate':
      return {
        startupSeconds: 30,
        bakeSeconds: 60,
        postTrafficHooks: [{ name: 'post', http: { url: hookUrl } }],
      };
    case 'ab-segment':
      return {
        match: { header: 'x-beta', value: '1' },
        bakeSeconds: 60,
        after: {
          steps: [
            { weight: 50, bakeSeconds: 60 },
            { approval: APPROVAL },
            hook('smoke'),
            { weight: 100, bakeSeconds: 60 },
          ],
        },
      };
    case 'ring':
      return {
        rings: [
          { name: 'a', service: 'ring-a', strategy: 'all-at-once', plan: { bakeSeconds: 60 } },
          {
            name: 'b',
            service: 'ring-b',
            strategy: 'canary',
            plan: {
              steps: [
                { weight: 50, bakeSeconds: 60 },
                { weight: 100, bakeSeconds: 60 },
              ],
            },
            gate: { approval: APPROVAL, bakeSeconds: 60 },
          },
        ],
      };
  }
}

const entry = (name: string, strategy: StrategyName, p?: unknown): ServiceEntry => ({
  name,
  environment: 'test',
  provider: { kind: 'simulated' },
  strategy,
  ...(p === undefined ? {} : { plan: p }),
  alarms: [`${name}-error-rate`],
});

/** Every strategy's case, its hooks calling `hookUrl`. */
export function strategyCases(hookUrl: string): StrategyCase[] {
  return STRATEGIES.map((strategy) => {
    const service = `svc-${strategy}`;
    const ringServices =
      strategy === 'ring' ? [entry('ring-a', 'all-at-once'), entry('ring-b', 'canary')] : [];
    const withGate = ['linear', 'all-at-once', 'rolling', 'recreate'].includes(strategy);
    const tasks =
      strategy === 'ring'
        ? [...new Set([...tasksOf('ring'), ...tasksOf('all-at-once'), ...tasksOf('canary')])]
        : tasksOf(strategy);
    return {
      strategy,
      services: [entry(service, strategy, plan(strategy, hookUrl)), ...ringServices],
      ...(withGate ? { gate: APPROVAL } : {}),
      tasks,
    };
  });
}
