import { describe, expect, it } from 'vitest';
import { submitDeployment } from '../../lambdas/control/launcher.ts';
import { decideApproval } from '../../lambdas/control/operations.ts';
import type { ServiceEntry } from '../../lambdas/domain/registry.ts';
import type { StrategyName } from '../../lambdas/domain/strategy-names.ts';
import type { ApprovalMode } from '../../local/approvals.ts';
import { LocalControlPlane } from '../../local/control-plane.ts';
import { TASK_NAMES } from '../../local/fault-injection.ts';
import { parseFaults } from '../../local/faults.ts';
import { asFunction } from '../../local/function-scope.ts';
import { strategyCases } from '../suites/fault-plans.ts';

/**
 * Every Fail state of every strategy's state machine, reached through the local control plane as
 * a deployment reaches it, ends the execution with that state's own error. A `CausePath` or
 * `ErrorPath` that does not resolve to a string is a `States.Runtime` failure on AWS, and the
 * embedded engine enforces the same, so a path that some route leaves unset shows here as
 * `States.Runtime` instead of the Stepwise error (F5: a ring's denied approval or abort).
 */

interface Reach {
  inject?: string[];
  /** How approvals are decided; `person`: through the API, by `during`. @default auto */
  approve?: ApprovalMode | 'person';
  /** What a person does while the deployment runs. */
  during?: (plane: LocalControlPlane, deploymentId: string) => Promise<void>;
}

interface Ended {
  status: string;
  error?: string;
  cause?: string;
}

/** One deployment of `services[0]` on a fresh local control plane, to its end: the execution as DescribeExecution tells it. */
async function deploy(strategy: StrategyName, reach: Reach, services?: ServiceEntry[]): Promise<Ended> {
  const plane = await LocalControlPlane.open(undefined, {
    faults: parseFaults(reach.inject ?? [], TASK_NAMES),
    ...(reach.approve === 'person' ? {} : { approve: reach.approve ?? { mode: 'auto' } }),
  });
  try {
    const c = strategyCases(`${plane.testRouteUrl}/health`).find((x) => x.strategy === strategy);
    if (!c) throw new Error(`no case for ${strategy}`);
    await plane.register({ services: services ?? c.services });
    const service = (services ?? c.services)[0]?.name as string;
    const { deployment } = await asFunction('control:api', () =>
      submitDeployment(plane.deps, {
        service,
        artifact: { image: 'app:2' },
        ...(c.gate ? { gate: c.gate } : {}),
        trigger: { source: 'api', principal: 'fail-states' },
        unique: `fail-states-${strategy}`,
      }),
    );
    await reach.during?.(plane, deployment.deploymentId);
    await plane.idle();
    const summary = await plane.runtime.store.getDeployment(deployment.deploymentId);
    if (!summary?.executionArn) throw new Error(`${deployment.deploymentId} never started`);
    return await plane.deps.executions.describe(summary.executionArn);
  } finally {
    await plane.close();
  }
}

const HEALTH = 'errors=30%@step=1';

/**
 * An abort whose StopExecution did not go through (the API records it on the summary first): the
 * rollout sees it at its next step, here once the pending approval is answered.
 */
const abortAtTheGate: Reach = {
  approve: 'person',
  during: async (plane, deploymentId) => {
    const store = plane.runtime.store;
    while (!(await store.getDeployment(deploymentId))?.pendingApproval) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await store.requestControl(deploymentId, {
      action: 'abort',
      by: 'tester',
      at: plane.clock.now().toISOString(),
    });
    await asFunction('control:api', () =>
      decideApproval(plane.deps, deploymentId, { approved: true, by: 'tester' }),
    );
  },
};

/** The Fail states every single-service strategy has, and a way to reach each. */
const COMMON: [string, string, Reach][] = [
  ['Deployment rolled back', 'Stepwise.RolledBack', { inject: [HEALTH] }],
  ['Deployment rolled back (approval denied)', 'Stepwise.RolledBack', { approve: { mode: 'deny' } }],
  ['Deployment refused', 'Stepwise.PreflightFailed', { inject: ['alarms=firing'] }],
  ['Deployment failed to start', 'Stepwise.InjectedFault', { inject: ['fail=start-deployment'] }],
  ['Rollback failed', 'Stepwise.RollbackFailed', { inject: [HEALTH, 'fail=roll-back'] }],
  ['Closing failed', 'Stepwise.CloseFailed', { inject: ['fail=record-event'] }],
];

const SINGLE: StrategyName[] = [
  'canary',
  'linear',
  'all-at-once',
  'blue-green',
  'rolling',
  'recreate',
  'ab-segment',
];

describe.each(SINGLE)('%s', (strategy) => {
  it.each(COMMON)('ends at %s with %s, not States.Runtime', async (_state, error, reach) => {
    const ended = await deploy(strategy, reach);
    expect(ended, JSON.stringify(ended)).toMatchObject({ status: 'FAILED', error });
    expect(typeof ended.cause).toBe('string');
  });

  if (strategy !== 'ab-segment') {
    it('ends at Deployment rolled back with Stepwise.RolledBack when aborted', async () => {
      const ended = await deploy(strategy, { inject: ['control=abort@step=1'] });
      expect(ended).toMatchObject({ status: 'FAILED', error: 'Stepwise.RolledBack' });
    });
  }
});

describe('ring', () => {
  const entry = (name: string, strategy: StrategyName, plan?: unknown): ServiceEntry => ({
    name,
    environment: 'test',
    provider: { kind: 'simulated' },
    strategy,
    ...(plan === undefined ? {} : { plan }),
    alarms: [`${name}-error-rate`],
  });
  /**
   * Ring `a` deploys with recreate (no Shift traffic), ring `b` with canary, behind an approval;
   * a restore is a canary of the previous version, so `fail=shift-traffic@service=ring-a` fails
   * only ring a's restores.
   */
  const rings = (onFailure: 'rollback' | 'keep') => [
    entry('svc-ring', 'ring', {
      rings: [
        { name: 'a', service: 'ring-a', strategy: 'recreate', plan: { startupSeconds: 10, bakeSeconds: 60 } },
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
          gate: { approval: { timeoutSeconds: 600 }, bakeSeconds: 60 },
        },
      ],
      onFailure,
    }),
    entry('ring-a', 'recreate'),
    entry('ring-b', 'canary'),
  ];
  const RING: [string, 'rollback' | 'keep', string, Reach][] = [
    ['Deployment rolled back', 'rollback', 'Stepwise.RolledBack', { inject: ['errors=30%@service=ring-b'] }],
    [
      'Deployment rolled back (approval denied)',
      'rollback',
      'Stepwise.RolledBack',
      { approve: { mode: 'deny' } },
    ],
    ['Deployment rolled back (aborted)', 'rollback', 'Stepwise.RolledBack', abortAtTheGate],
    [
      'Ring failed, earlier rings kept',
      'keep',
      'Stepwise.RingFailed',
      { inject: ['errors=30%@service=ring-b'] },
    ],
    [
      'Ring failed, earlier rings kept (approval denied)',
      'keep',
      'Stepwise.RingFailed',
      { approve: { mode: 'deny' } },
    ],
    ['Ring failed, earlier rings kept (aborted)', 'keep', 'Stepwise.RingFailed', abortAtTheGate],
    [
      'Deployment refused',
      'rollback',
      'Stepwise.PreflightFailed',
      { inject: ['alarms=firing@service=svc-ring'] },
    ],
    [
      'Deployment failed to start',
      'rollback',
      'Stepwise.InjectedFault',
      { inject: ['fail=start-deployment@service=svc-ring'] },
    ],
    [
      'Rollback failed',
      'rollback',
      'Stepwise.RollbackFailed',
      { inject: ['errors=30%@service=ring-b', 'fail=shift-traffic@service=ring-a'] },
    ],
    [
      'Closing failed',
      'rollback',
      'Stepwise.CloseFailed',
      { inject: ['fail=record-event@service=svc-ring'] },
    ],
  ];

  it.each(RING)(
    'ends at %s (onFailure %s) with %s, not States.Runtime',
    async (_state, onFailure, error, reach) => {
      const ended = await deploy('ring', reach, rings(onFailure));
      expect(ended, JSON.stringify(ended)).toMatchObject({ status: 'FAILED', error });
      expect(typeof ended.cause).toBe('string');
    },
  );
});
