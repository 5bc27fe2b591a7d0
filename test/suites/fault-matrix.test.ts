import { afterAll, describe, expect, it } from 'vitest';
import { submitDeployment } from '../../lambdas/control/launcher.ts';
import { LocalControlPlane } from '../../local/control-plane.ts';
import { TASK_NAMES } from '../../local/fault-injection.ts';
import { parseFaults } from '../../local/faults.ts';
import { asFunction } from '../../local/function-scope.ts';
import { invariantViolations, scanTable } from '../support/invariants.ts';
import { type StrategyCase, strategyCases } from './fault-plans.ts';

/**
 * The fault matrix: every strategy (ring included) × every task its state machines run × {fails
 * for good, throttled once} × {any step, step 1, step 2}, plus a failing version for the tasks that
 * only run on the rollback path. Each scenario is one deployment through the local control plane
 * (launcher, queue, engine, reconciler), on a fresh store; afterwards the invariants of
 * docs/architecture.md must hold in the store, and a throttle must change nothing (same outcome,
 * same audit trail as the run without it). `npm test` runs a sample; `.ci/run` all of it
 * (STEPWISE_FULL_SUITES=1). Prints its figures.
 */

const FULL = process.env.STEPWISE_FULL_SUITES === '1';
/** Without the full matrix, one scenario in this many, spread over strategies, tasks and kinds. */
const SAMPLE_EVERY = 7;
const HEALTH_FAULT = 'errors=30%@step=1';

interface Scenario {
  strategy: StrategyCase['strategy'];
  inject: string[];
  /** A throttle: its run must end exactly as the same run without it. */
  baseline?: string[];
}

interface Outcome {
  status: string;
  trail: string[];
  violations: string[];
  fired: boolean;
}

function scenarios(): Scenario[] {
  const all: Scenario[] = [];
  for (const c of strategyCases('http://placeholder')) {
    for (const task of c.tasks) {
      for (const kind of ['fail', 'throttle'] as const) {
        for (const step of [undefined, 1, 2]) {
          const fault = `${kind}=${task}${step ? `@step=${step}` : ''}`;
          const withHealth = task === 'roll-back' || task === 'record-event';
          for (const extra of withHealth ? [[], [HEALTH_FAULT]] : [[]]) {
            all.push({
              strategy: c.strategy,
              inject: [fault, ...extra],
              ...(kind === 'throttle' ? { baseline: extra } : {}),
            });
          }
        }
      }
    }
  }
  return FULL ? all : all.filter((_, i) => i % SAMPLE_EVERY === 0);
}

let serial = 0;

/** One deployment of the strategy's service through a fresh local control plane, to its end. */
async function run(strategy: StrategyCase['strategy'], inject: string[]): Promise<Outcome> {
  const faults = parseFaults(inject, TASK_NAMES);
  const plane = await LocalControlPlane.open(undefined, { faults, approve: { mode: 'auto' } });
  try {
    const c = strategyCases(`${plane.testRouteUrl}/health`).find(
      (x) => x.strategy === strategy,
    ) as StrategyCase;
    await plane.register({ services: c.services });
    serial += 1;
    const service = c.services[0]?.name as string;
    const { deployment } = await asFunction('control:api', () =>
      submitDeployment(plane.deps, {
        service,
        artifact: { image: `app:${serial}` },
        ...(c.gate ? { gate: c.gate } : {}),
        trigger: { source: 'api', principal: 'fault-matrix' },
        unique: `matrix-${serial}`,
      }),
    );
    await plane.idle();
    const items = await scanTable(plane.runtime.client, plane.runtime.tableName);
    const summary = await plane.runtime.store.getDeployment(deployment.deploymentId);
    const trail = (await plane.runtime.store.listAuditEvents(deployment.deploymentId)).map((e) => e.type);
    return {
      status: summary?.status ?? 'MISSING',
      trail,
      violations: [
        ...invariantViolations(items),
        ...plane.reconcileFailures.map((e) => `reconcile failed: ${e.message}`),
      ],
      fired: plane.firedFaults.size > 0,
    };
  } finally {
    await plane.close();
  }
}

const figures = { scenarios: 0, fired: 0, violations: 0, outcomes: new Map<string, number>() };
const baselines = new Map<string, Promise<Outcome>>();
const baseline = (strategy: StrategyCase['strategy'], inject: string[]) => {
  const key = `${strategy} ${inject.join(' ')}`;
  if (!baselines.has(key)) baselines.set(key, run(strategy, inject));
  return baselines.get(key) as Promise<Outcome>;
};

afterAll(() => {
  const outcomes = [...figures.outcomes].map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(
    `fault matrix${FULL ? '' : ` (1 in ${SAMPLE_EVERY})`}: ${figures.scenarios} scenarios, ${figures.fired} ` +
      `where the fault took effect, ${figures.violations} violations; outcomes: ${outcomes}`,
  );
});

describe('the fault matrix', () => {
  it.each(scenarios().map((s) => [`${s.strategy} ${s.inject.join(' ')}`, s] as const))(
    '%s: every invariant holds in the store',
    async (_name, scenario) => {
      const outcome = await run(scenario.strategy, scenario.inject);
      figures.scenarios += 1;
      if (outcome.fired) figures.fired += 1;
      figures.outcomes.set(outcome.status, (figures.outcomes.get(outcome.status) ?? 0) + 1);
      figures.violations += outcome.violations.length;
      expect(outcome.violations).toEqual([]);
      if (scenario.baseline) {
        const expected = await baseline(scenario.strategy, scenario.baseline);
        expect({ status: outcome.status, trail: outcome.trail }).toEqual({
          status: expected.status,
          trail: expected.trail,
        });
      }
    },
  );
});
