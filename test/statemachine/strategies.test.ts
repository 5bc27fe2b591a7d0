import { describe, expect, it } from 'vitest';
import { defaultStrategyPlan, type StrategyName } from '../../lambdas/domain/strategies/index.ts';
import type { ApprovalMode } from '../../local/approvals.ts';
import { TASK_NAMES } from '../../local/fault-injection.ts';
import { parseFaults } from '../../local/faults.ts';
import type { DeploymentReport } from '../../local/report.ts';
import { DEFAULT_ALARMS } from '../../local/runtime.ts';
import { SimulatedFleet } from '../../local/simulated-fleet.ts';
import { sumOf, useLocalRuntime } from './support.ts';

/**
 * Every strategy's state machine on the embedded engine, with the real handlers, an in-memory
 * dynalite, the simulated fleet and CloudWatch, and a real HTTP test route for hooks. Each row
 * injects one failure at one phase; every run must end with the invariants of architecture.md.
 */
const local = useLocalRuntime();
let serial = 0;

interface Run {
  strategy: StrategyName;
  plan?: unknown;
  inject?: string[];
  approve?: ApprovalMode;
}

/** Deploys shop:1.0 all at once first, so each run starts from a real last good version. */
async function deploy(run: Run): Promise<DeploymentReport> {
  serial += 1;
  const service = `${run.strategy}-${serial}`;
  const base = {
    service,
    alarms: DEFAULT_ALARMS,
    insufficientData: 'healthy' as const,
    requestsPerMinute: 1000,
    principal: 'tester@ci',
  };
  const first = await local().deploy({
    ...base,
    image: 'shop:1.0',
    strategy: 'all-at-once',
    plan: defaultStrategyPlan('all-at-once', 60),
    faults: parseFaults([], TASK_NAMES),
  });
  expect(first.status, `first deployment of ${service}: ${first.reason}`).toBe('SUCCEEDED');
  return local().deploy({
    ...base,
    strategy: run.strategy,
    plan: run.plan ?? defaultStrategyPlan(run.strategy, 120),
    image: 'shop:1.1',
    faults: parseFaults(run.inject ?? [], TASK_NAMES),
    ...(run.approve ? { approve: run.approve } : {}),
  });
}

const sum = sumOf;

/** Invariants 1 and 4: one version holds all traffic, weights were always whole and summed to 100, the trail is closed. */
async function expectSettled(report: DeploymentReport, live: string) {
  expect(report.finalWeights[live], `final weights ${JSON.stringify(report.finalWeights)}`).toBe(100);
  expect(sum(report.finalWeights)).toBe(100);
  for (const step of report.steps) expect(sum(step.weights), `step ${step.step}`).toBe(100);
  expect(report.auditChainIntact).toBe(true);
  const events = await local().store.listAuditEvents(report.deploymentId);
  expect(events[0]?.type).toBe('DeploymentStarted');
  expect(['DeploymentSucceeded', 'DeploymentRolledBack']).toContain(events.at(-1)?.type);
  const summary = await local().store.getDeployment(report.deploymentId);
  expect(summary?.status).not.toBe('IN_PROGRESS');
  expect(summary?.endedAt).toBeDefined();
  expect((await local().store.getServiceStatus(report.service))?.liveVersion).toBe(live);
  return events;
}

const HEALTHY: [StrategyName, string][] = [
  ['canary', '10% → 25% → 50% → 100%'],
  ['linear', '25% → 50% → 75% → 100%'],
  ['all-at-once', '100%'],
  ['blue-green', 'switch 100%'],
  ['rolling', 'batch 1/4 25% → batch 2/4 50% → batch 3/4 75% → batch 4/4 100%'],
  ['recreate', 'start'],
];

describe.each(HEALTHY)('%s, healthy', (strategy, shape) => {
  it(`succeeds and leaves the new version with all traffic (${shape})`, async () => {
    const report = await deploy({ strategy });
    expect(report.status, report.reason).toBe('SUCCEEDED');
    await expectSettled(report, 'shop:1.1');
    expect(
      report.phases.every((p) => !['unhealthy', 'failed', 'denied', 'timed out'].includes(p.verdict)),
    ).toBe(true);
  });
});

const FAILURES: [StrategyName, string, Run][] = [
  ['canary', 'errors at step 2', { strategy: 'canary', inject: ['errors=10%@step=2'] }],
  [
    'canary',
    'a failed post-traffic hook in the plan',
    {
      strategy: 'canary',
      plan: {
        steps: [
          { setWeight: 20 },
          {
            hook: {
              name: 'probe',
              http: { url: 'http://127.0.0.1:9/unreachable' },
              retries: 1,
              timeoutSeconds: 1,
            },
          },
          { setWeight: 100 },
        ],
      },
    },
  ],
  ['linear', 'errors at the last increment', { strategy: 'linear', inject: ['errors=10%@step=4'] }],
  ['all-at-once', 'errors after the switch', { strategy: 'all-at-once', inject: ['errors=10%'] }],
  [
    'blue-green',
    'a failing pre-traffic smoke test',
    { strategy: 'blue-green', inject: ['hook=fail@pre-traffic'] },
  ],
  [
    'blue-green',
    'a denied approval before the switch',
    { strategy: 'blue-green', approve: { mode: 'deny' } },
  ],
  ['blue-green', 'errors after the switch', { strategy: 'blue-green', inject: ['errors=10%'] }],
  [
    'blue-green',
    'a failing post-traffic smoke test',
    { strategy: 'blue-green', inject: ['hook=fail@post-traffic'] },
  ],
  ['rolling', 'errors at batch 3', { strategy: 'rolling', inject: ['errors=10%@batch=3'] }],
  ['recreate', 'errors once the new version runs', { strategy: 'recreate', inject: ['latency=900ms'] }],
  [
    'recreate',
    'a failing post-start smoke test',
    { strategy: 'recreate', inject: ['hook=fail@post-traffic'] },
  ],
  ['ab-segment', 'errors in the segment', { strategy: 'ab-segment', inject: ['errors=10%'] }],
  [
    'ab-segment',
    'errors in the weighted phase after the segment',
    {
      strategy: 'ab-segment',
      plan: {
        match: { cookie: 'beta', value: '1' },
        bakeSeconds: 120,
        after: {
          steps: [
            { weight: 50, bakeSeconds: 120 },
            { weight: 100, bakeSeconds: 120 },
          ],
        },
      },
      inject: ['errors=10%@step=3'],
    },
  ],
  [
    'linear',
    'a task that fails for good mid-rollout',
    { strategy: 'linear', inject: ['fail=check-alarms@step=2'] },
  ],
];

describe.each(FAILURES)('%s, %s', (_strategy, _phase, run) => {
  it('rolls back to 100 % on the old version with a complete audit trail', async () => {
    const report = await deploy(run);
    expect(report.status, report.reason).toBe('ROLLED_BACK');
    expect(report.reason).toBeTruthy();
    const events = await expectSettled(report, 'shop:1.0');
    expect(events.filter((e) => e.type === 'RolledBack')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      type: 'DeploymentRolledBack',
      rollback: true,
      status: 'ROLLED_BACK',
    });
  });
});

describe('hooks', () => {
  it('retries a failing hook as configured, then fails cleanly with the last answer', async () => {
    const report = await deploy({ strategy: 'blue-green', inject: ['hook=fail@pre-traffic'] });
    const events = await local().store.listAuditEvents(report.deploymentId);
    const attempts = events.filter((e) => e.type === 'HookRan');
    expect(attempts.map((e) => e.detail?.attempt)).toEqual([1, 2, 3]);
    expect(report.reason).toMatch(
      /^hook failed after 3 attempts: smoke-test-pre-traffic: GET http:\/\/127\.0\.0\.1:\d+\/health answered 503, expected 200$/,
    );
    expect(report.steps).toHaveLength(0);
    expect(report.phases[0]).toMatchObject({ kind: 'hook', verdict: 'failed' });
  });
});

describe('the test route answers as the candidate would', () => {
  it('a candidate that fails every request fails its pre-traffic smoke test: no traffic ever reaches it', async () => {
    const report = await deploy({ strategy: 'blue-green', inject: ['errors=100%'] });
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reason).toMatch(/^hook failed after 3 attempts: smoke-test-pre-traffic: .* answered 503/);
    expect(report.steps).toHaveLength(0);
    expect(report.injections).toEqual([{ inject: 'errors=100%', fired: true }]);
  });

  it('a fault that starts at a later step leaves the smoke test before traffic passing', async () => {
    const report = await deploy({ strategy: 'blue-green', inject: ['errors=100%@step=2'] });
    expect(report.phases[0]).toMatchObject({ kind: 'hook', verdict: 'passed' });
  });

  it('a candidate failing some requests fails that share of smoke tests, the same every run', async () => {
    const fleet = new SimulatedFleet({
      stableVersion: 'shop:1.0',
      candidateVersion: 'shop:1.1',
      requestsPerMinute: 1000,
      segmentShare: 0.05,
      faults: [{ kind: 'errors', value: 0.25, fromStep: 1 }],
      startedAt: new Date(0),
    });
    const answers = Array.from({ length: 8 }, () => fleet.probeFails());
    expect(answers).toEqual([false, false, false, true, false, false, false, true]);
  });
});

describe('approvals', () => {
  const gated = { steps: [{ setWeight: 10 }, { approval: { timeoutSeconds: 600 } }, { setWeight: 100 }] };

  it("--approve decides the plan's own gates and adds none beside them", async () => {
    const report = await deploy({ strategy: 'canary', plan: gated, approve: { mode: 'auto' } });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.phases.filter((p) => p.kind === 'approval').map((p) => p.verdict)).toEqual(['approved']);
  });

  it('rolls back when nobody approves within the timeout', async () => {
    const report = await deploy({ strategy: 'canary', plan: gated });
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reason).toBe('approval timed out after 600s');
    expect(report.simulatedSeconds).toBeGreaterThanOrEqual(600);
  });

  it('times the gate out at the timeout its TimeoutSecondsPath names, on the virtual clock', async () => {
    const justInTime = await deploy({
      strategy: 'canary',
      plan: gated,
      approve: { mode: 'after', seconds: 599 },
    });
    expect(justInTime.status, justInTime.reason).toBe('SUCCEEDED');
    const late = await deploy({ strategy: 'canary', plan: gated, approve: { mode: 'after', seconds: 600 } });
    expect(late.status).toBe('ROLLED_BACK');
    expect(late.reason).toBe('approval timed out after 600s');
    // The plan has its own gate, so --approve adds none before the first traffic.
    expect(late.phases.filter((p) => p.kind === 'approval').map((p) => p.verdict)).toEqual(['timed out']);
  });

  it('continues after a timeout when the gate says so', async () => {
    const plan = {
      steps: [
        { setWeight: 10 },
        { approval: { timeoutSeconds: 600, onTimeout: 'continue' } },
        { setWeight: 100 },
      ],
    };
    const report = await deploy({ strategy: 'canary', plan });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.phases.find((p) => p.kind === 'approval')?.verdict).toBe('timed out');
  });

  it('audits a gate that timed out and continued, with its reason, and clears it from the summary', async () => {
    const plan = {
      steps: [
        { setWeight: 10 },
        { approval: { timeoutSeconds: 600, onTimeout: 'continue' } },
        { setWeight: 100 },
      ],
    };
    const report = await deploy({ strategy: 'canary', plan });
    const events = await local().store.listAuditEvents(report.deploymentId);
    const types = events.map((e) => e.type);
    const requested = events.find((e) => e.type === 'ApprovalRequested');
    const timedOut = events.find((e) => e.type === 'ApprovalTimedOut');
    expect(types.indexOf('ApprovalTimedOut')).toBe(types.indexOf('ApprovalRequested') + 1);
    expect(timedOut?.detail).toEqual({
      onTimeout: 'continue',
      timeoutSeconds: 600,
      requestedAt: requested?.at,
      timeoutAt: requested?.detail?.timeoutAt,
      reason:
        'no decision within 600s; the plan says onTimeout: continue, so the rollout goes on without approval',
    });
    // One clock (the run's virtual one): the timeout is recorded when it was due, not at wall time.
    expect(timedOut?.at).toBe(requested?.detail?.timeoutAt);
    const times = events.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    expect(await local().store.getDeployment(report.deploymentId)).not.toHaveProperty('pendingApproval');
  });

  it('clears the pending approval of a gate that timed out into a rollback', async () => {
    const report = await deploy({ strategy: 'canary', plan: gated });
    expect(report.status).toBe('ROLLED_BACK');
    expect(await local().store.getDeployment(report.deploymentId)).not.toHaveProperty('pendingApproval');
  });

  it('passes when approved in time, and records who decided', async () => {
    const report = await deploy({
      strategy: 'canary',
      plan: gated,
      approve: { mode: 'after', seconds: 120 },
    });
    expect(report.status).toBe('SUCCEEDED');
    const events = await local().store.listAuditEvents(report.deploymentId);
    const decisions = events.filter((e) => e.type === 'ApprovalDecided');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]?.detail).toMatchObject({ approved: true, waitedSeconds: 120 });
  });

  it('puts --approve before the first production traffic', async () => {
    const report = await deploy({ strategy: 'linear', approve: { mode: 'auto' } });
    expect(report.phases[0]).toMatchObject({ kind: 'approval', verdict: 'approved' });
    expect(report.phases[1]?.kind).toBe('setWeight');
  });
});

describe('recreate', () => {
  it('measures the downtime between stopping the old version and starting the new one', async () => {
    const report = await deploy({ strategy: 'recreate', plan: { startupSeconds: 45, bakeSeconds: 120 } });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.downtimeSeconds).toBe(45);
    const events = await local().store.listAuditEvents(report.deploymentId);
    expect(events.find((e) => e.type === 'VersionStarted')?.detail).toMatchObject({ downtimeSeconds: 45 });
  });
});

describe('ab-segment', () => {
  it('stops after the analysis period with the stable version keeping all traffic', async () => {
    const report = await deploy({ strategy: 'ab-segment' });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.reason).toMatch(/^analysis complete/);
    const events = await expectSettled(report, 'shop:1.0');
    expect(events.map((e) => e.type)).toContain('SegmentRouted');
    expect(events.map((e) => e.type)).toContain('ExperimentConcluded');
  });

  it('promotes after a healthy weighted phase', async () => {
    const plan = {
      match: { header: 'x-beta', value: 'yes' },
      bakeSeconds: 60,
      after: { steps: [{ weight: 100, bakeSeconds: 60 }] },
    };
    const report = await deploy({ strategy: 'ab-segment', plan });
    expect(report.status).toBe('SUCCEEDED');
    await expectSettled(report, 'shop:1.1');
  });
});

describe('promote-now and abort', () => {
  it.each(['canary', 'linear', 'rolling', 'blue-green'] as StrategyName[])(
    'an abort asked for during a %s rollout rolls back at the next step',
    async (strategy) => {
      const report = await deploy({ strategy, inject: ['control=abort@step=1'] });
      expect(report.status).toBe('ROLLED_BACK');
      expect(report.reason).toBe('aborted by local:--inject');
      expect(report.phases.at(-1)).toMatchObject({ kind: 'abort' });
      await expectSettled(report, 'shop:1.0');
    },
  );

  it('a promote-now skips the rest of the plan and gives the candidate all traffic', async () => {
    const report = await deploy({ strategy: 'canary', inject: ['control=promote@step=1'] });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.steps).toHaveLength(1);
    expect(report.phases.at(-1)).toMatchObject({ kind: 'promote', verdict: 'promoted by local:--inject' });
    await expectSettled(report, 'shop:1.1');
  });
});

describe('ring', () => {
  /** Three ring services with shop:1.0 live, then a ring rollout of shop:1.1 over them. */
  async function ringRollout(
    inject: (serviceOf: (ring: string) => string) => string[],
    onFailure: 'rollback' | 'keep' = 'rollback',
    /** A ring's own strategy and plan, by ring name. */
    own: Record<string, { strategy: StrategyName; plan: unknown }> = {},
  ) {
    serial += 1;
    const serviceOf = (ring: string) => `ring${serial}-${ring}`;
    const services = ['internal', 'eu', 'us'].map((name) => ({ name, service: serviceOf(name) }));
    const base = {
      alarms: DEFAULT_ALARMS,
      insufficientData: 'healthy' as const,
      requestsPerMinute: 1000,
      principal: 'tester@ci',
    };
    for (const { service } of services) {
      const first = await local().deploy({
        ...base,
        service,
        image: 'shop:1.0',
        strategy: 'all-at-once',
        plan: { bakeSeconds: 60 },
        faults: parseFaults([], TASK_NAMES),
      });
      expect(first.status).toBe('SUCCEEDED');
    }
    const plan = {
      rings: services.map((s, i) => ({
        ...s,
        ...own[s.name],
        ...(i > 0 ? { gate: { bakeSeconds: 300 } } : {}),
      })),
      onFailure,
    };
    const report = await local().deploy({
      ...base,
      service: `ring${serial}`,
      image: 'shop:1.1',
      strategy: 'ring',
      plan,
      faults: parseFaults(inject(serviceOf), TASK_NAMES),
    });
    const live = await Promise.all(
      services.map(async (s) => (await local().store.getServiceStatus(s.service))?.liveVersion),
    );
    return { report, live, services };
  }

  it('deploys every ring in order, each as its own execution with its own strategy', async () => {
    const { report, live } = await ringRollout(() => []);
    expect(report.status, report.reason).toBe('SUCCEEDED');
    expect(live).toEqual(['shop:1.1', 'shop:1.1', 'shop:1.1']);
    expect(report.rings?.map((r) => [r.name, r.status, r.liveVersion])).toEqual([
      ['internal', 'succeeded', 'shop:1.1'],
      ['eu', 'succeeded', 'shop:1.1'],
      ['us', 'succeeded', 'shop:1.1'],
    ]);
    expect(report.phases.filter((p) => p.kind === 'pause').map((p) => p.phase)).toEqual([
      'gate 300s',
      'gate 300s',
    ]);
  });

  it.each([
    ['the first', 'internal', 0],
    ['the last', 'us', 2],
  ])('stops at %s ring that fails and rolls the finished rings back', async (_which, failing, index) => {
    const { report, live, services } = await ringRollout((serviceOf) => [
      `errors=10%@service=${serviceOf(failing)}`,
    ]);
    expect(report.status).toBe('ROLLED_BACK');
    expect(live).toEqual(['shop:1.0', 'shop:1.0', 'shop:1.0']);
    expect(report.reason).toMatch(
      new RegExp(
        `^ring ${failing} \\(${services[index]?.service}\\) failed: Stepwise.RolledBack: step 1 unhealthy`,
      ),
    );
    const statuses = report.rings?.map((r) => r.status);
    expect(statuses?.at(-1)).toBe('failed');
    expect(statuses?.slice(0, -1).every((s) => s === 'rolled back')).toBe(true);
    expect(report.rings).toHaveLength(index + 1);
  });

  it('restores every finished ring when one restore fails once: only that ring is tried again, under a new name', async () => {
    // eu deploys with recreate (no Shift traffic), so the fault hits only its restore (a canary).
    const { report, live, services } = await ringRollout(
      (serviceOf) => [
        `errors=10%@service=${serviceOf('us')}`,
        `fail=shift-traffic@service=${serviceOf('eu')}@once`,
      ],
      'rollback',
      { eu: { strategy: 'recreate', plan: { startupSeconds: 10, bakeSeconds: 60 } } },
    );
    expect(report.status, report.reason).toBe('ROLLED_BACK');
    expect(report.error).toBeUndefined();
    expect(live).toEqual(['shop:1.0', 'shop:1.0', 'shop:1.0']);
    expect(report.rings?.map((r) => [r.name, r.status])).toEqual([
      ['internal', 'rolled back'],
      ['eu', 'rolled back'],
      ['us', 'failed'],
    ]);
    expect(report.injections.every((i) => i.fired)).toBe(true);
    const eu = await local().store.listDeployments(services[1]?.service as string, 10);
    const restores = eu
      .filter((d) => d.deploymentId.startsWith(report.deploymentId))
      .map((d) => [d.deploymentId.slice(report.deploymentId.length), d.status])
      .sort();
    expect(restores).toEqual([
      ['-eu', 'SUCCEEDED'],
      ['-u2-eu', 'SUCCEEDED'],
      ['-undo-eu', 'ROLLED_BACK'],
    ]);
  });

  it('keeps the finished rings when the plan says so, and fails with Stepwise.RingFailed', async () => {
    const { report, live } = await ringRollout(
      (serviceOf) => [`errors=10%@service=${serviceOf('us')}`],
      'keep',
    );
    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('Stepwise.RingFailed');
    expect(live).toEqual(['shop:1.1', 'shop:1.1', 'shop:1.0']);
  });
});
