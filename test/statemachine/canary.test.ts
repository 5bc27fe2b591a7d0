import { describe, expect, it } from 'vitest';
import { defaultStrategyPlan } from '../../lambdas/domain/strategies/index.ts';
import type { AuditEvent } from '../../lambdas/domain/types.ts';
import { TASK_NAMES } from '../../local/fault-injection.ts';
import { parseFaults } from '../../local/faults.ts';
import type { DeploymentReport } from '../../local/report.ts';
import { DEFAULT_ALARMS, type LocalDeployOptions } from '../../local/runtime.ts';
import { sumOf, useLocalRuntime } from './support.ts';

/**
 * Runs statemachines/canary.asl.json on the embedded engine with the real task handlers, an
 * in-memory dynalite, and the simulated fleet and CloudWatch.
 */
const local = useLocalRuntime();
let serial = 0;

function deploy(inject: string[] = [], overrides: Partial<LocalDeployOptions> = {}) {
  serial += 1;
  return local().deploy({
    service: `svc-${serial}`,
    image: 'shop:2.0',
    strategy: 'canary',
    plan: defaultStrategyPlan('canary', 300),
    alarms: DEFAULT_ALARMS,
    insufficientData: 'healthy',
    faults: parseFaults(inject, TASK_NAMES),
    requestsPerMinute: 1000,
    principal: 'tester@ci',
    ...overrides,
  });
}

const sum = sumOf;

function expectWeightsAlwaysValid(report: DeploymentReport) {
  for (const step of report.steps) {
    expect(sum(step.weights), `step ${step.step}`).toBe(100);
    for (const w of Object.values(step.weights)) expect(Number.isInteger(w)).toBe(true);
  }
  expect(sum(report.finalWeights)).toBe(100);
}

async function trail(report: DeploymentReport): Promise<AuditEvent[]> {
  return local().store.listAuditEvents(report.deploymentId);
}

describe('canary.asl.json on the embedded engine', () => {
  it('costs 5 state transitions and 2 task invocations per step, audit included, whatever the bake', async () => {
    const plan = (steps: number, bakeSeconds: number) => ({
      steps: Array.from({ length: steps }, (_, i) => ({
        weight: Math.round((100 * (i + 1)) / steps),
        bakeSeconds,
      })),
    });
    const [short, long, longer] = [
      await deploy([], { plan: plan(4, 60) }),
      await deploy([], { plan: plan(4, 3600) }),
      await deploy([], { plan: plan(8, 60) }),
    ];
    for (const report of [short, long, longer]) expect(report.status).toBe('SUCCEEDED');
    expect(long.stateTransitions).toBe(short.stateTransitions);
    expect(long.taskInvocations).toBe(short.taskInvocations);
    expect((longer.stateTransitions - short.stateTransitions) / 4).toBe(5);
    expect((longer.taskInvocations - short.taskInvocations) / 4).toBe(2);
    // Each step's shift and check are in the trail all the same.
    const types = (await trail(longer)).map((e) => e.type);
    expect(types.filter((t) => t === 'TrafficShifted')).toHaveLength(8);
    expect(types.filter((t) => t === 'HealthChecked')).toHaveLength(8);
  });

  it('walks 10 → 25 → 50 → 100 % and promotes a healthy version', async () => {
    const report = await deploy();

    expect(report.status).toBe('SUCCEEDED');
    expect(report.steps.map((s) => [s.weight, s.verdict])).toEqual([
      [10, 'healthy'],
      [25, 'healthy'],
      [50, 'healthy'],
      [100, 'healthy'],
    ]);
    expect(report.finalWeights).toEqual({ 'baseline (simulated)': 0, 'shop:2.0': 100 });
    expect(report.simulatedSeconds).toBe(4 * 300);
    // Start and Prepare; Next step before the first step; 4 shifts and 4 checks, each moving on to the
    // next step itself; Promote and Record success. The bakes run no Lambda: 2 invocations a step.
    expect(report.taskInvocations).toBe(2 + 1 + 4 + 4 + 2);
    expect(report.stateTransitions).toBe(3 + 2 + 4 * 5 + 4);
    expectWeightsAlwaysValid(report);

    const events = await trail(report);
    expect(events.map((e) => e.type)).toEqual([
      'DeploymentStarted',
      'CandidatePrepared',
      ...Array(4).fill(['TrafficShifted', 'HealthChecked']).flat(),
      'Promoted',
      'DeploymentSucceeded',
    ]);
    expect(report.auditChainIntact).toBe(true);
    const summary = await local().store.getDeployment(report.deploymentId);
    expect(summary).toMatchObject({ status: 'SUCCEEDED', currentStep: 4, weights: { 'shop:2.0': 100 } });
    expect(summary?.endedAt).toBeDefined();
    expect((await local().store.getServiceStatus(report.service))?.liveVersion).toBe('shop:2.0');
  });

  it.each([1, 2, 3, 4])('rolls back when an alarm fires at step %i', async (step) => {
    const report = await deploy([`errors=10%@step=${step}`]);

    expect(report.status).toBe('ROLLED_BACK');
    expect(report.steps).toHaveLength(step);
    expect(report.steps.at(-1)).toMatchObject({ step, verdict: 'unhealthy' });
    expect(report.steps.at(-1)?.alarms[`${report.service}-error-rate`]).toBe('ALARM');
    expect(report.steps.slice(0, -1).every((s) => s.verdict === 'healthy')).toBe(true);
    expect(report.finalWeights).toEqual({ 'baseline (simulated)': 100, 'shop:2.0': 0 });
    expect(report.reason).toMatch(
      // The alarm's event ends the bake: the reason says when it went into ALARM.
      new RegExp(`^step ${step} unhealthy: alarm ${report.service}-error-rate went into ALARM at `),
    );
    expectWeightsAlwaysValid(report);

    const events = await trail(report);
    expect(events.slice(-2).map((e) => e.type)).toEqual(['RolledBack', 'DeploymentRolledBack']);
    expect(events.at(-1)).toMatchObject({ status: 'ROLLED_BACK', rollback: true });
    expect(report.auditChainIntact).toBe(true);
    expect(await local().store.getDeployment(report.deploymentId)).toMatchObject({ status: 'ROLLED_BACK' });
    expect(await local().store.getServiceStatus(report.service)).toBeUndefined();
  });

  it('rolls back on latency from the step the fault starts at', async () => {
    const report = await deploy(['latency=900ms@step=3']);
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.steps.at(-1)).toMatchObject({ step: 3, verdict: 'unhealthy' });
    expect(report.steps.at(-1)?.alarms[`${report.service}-p99-latency`]).toBe('ALARM');
  });

  it('retries a throttled task and still succeeds, with nothing written twice', async () => {
    const report = await deploy(['throttle=shift-traffic@step=2', 'throttle=check-alarms@step=3']);

    expect(report.status).toBe('SUCCEEDED');
    const events = await trail(report);
    expect(events.filter((e) => e.type === 'TrafficShifted')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'HealthChecked')).toHaveLength(4);
    expect(report.auditChainIntact).toBe(true);
  });

  it('says which injections never took effect, and which did', async () => {
    const report = await deploy([
      'errors=50%@step=7',
      'hook=fail',
      'latency=900ms@step=4',
      'throttle=check-alarms',
    ]);
    expect(report.injections).toEqual([
      { inject: 'errors=50%@step=7', fired: false },
      { inject: 'latency=900ms@step=4', fired: true },
      { inject: 'throttle=check-alarms', fired: true },
      { inject: 'hook=fail', fired: false },
    ]);
  });

  it('runs the rollback path when a task fails for good', async () => {
    const report = await deploy(['fail=shift-traffic@step=3']);

    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reason).toBe(
      'task failed with Stepwise.InjectedFault: injected failure in shift-traffic at step 3 (with traffic at step 2)',
    );
    expect(report.finalWeights['baseline (simulated)']).toBe(100);
    const events = await trail(report);
    expect(events.at(-1)?.type).toBe('DeploymentRolledBack');
  });

  it('fails with Stepwise.RollbackFailed when the rollback itself cannot run, and the reconciler puts traffic back', async () => {
    const report = await deploy(['errors=10%@step=1', 'fail=roll-back']);
    expect(report.error).toBe('Stepwise.RollbackFailed');
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reconciled[0]).toMatch(/^traffic restored to baseline \(simulated\)/);
    expect(report.finalWeights).toEqual({ 'baseline (simulated)': 100, 'shop:2.0': 0 });
    const summary = await local().store.getDeployment(report.deploymentId);
    expect(summary?.status).toBe('ROLLED_BACK');
    expect(await local().store.getLock(report.service)).toBeUndefined();
  });

  it('deploys over the last good version, and the next deployment starts once the lock is released', async () => {
    const first = await deploy();
    const second = await deploy(['errors=50%'], {
      service: first.service,
      image: 'shop:2.1',
      plan: defaultStrategyPlan('canary', 60),
    });
    expect(second.fromBaseline).toBe(false);
    expect(second.stableVersion).toBe('shop:2.0');
    expect(second.status).toBe('ROLLED_BACK');
    expect(second.finalWeights).toEqual({ 'shop:2.0': 100, 'shop:2.1': 0 });

    const history = await local().store.listDeployments(first.service, 10);
    expect(history.map((d) => [d.candidateVersion, d.status])).toEqual([
      ['shop:2.1', 'ROLLED_BACK'],
      ['shop:2.0', 'SUCCEEDED'],
    ]);
  });

  it('refuses to deploy the version that is already live, and changes nothing', async () => {
    const first = await deploy();
    const again = await deploy([], { service: first.service, image: 'shop:2.0' });
    expect(again.status).toBe('FAILED');
    expect(again.error).toBe('Stepwise.InvalidInput');
    expect(again.reason).toMatch(/already live/);
    expect(again.auditEvents).toBe(0);
    expect(await local().store.getDeployment(again.deploymentId)).toBeUndefined();
  });

  it('treats INSUFFICIENT_DATA by the service policy', async () => {
    const missingData = { ...DEFAULT_ALARMS, treatMissingData: 'missing' as const };
    // No requests reach the new version, so its alarms have no data at all.
    const lenient = await deploy([], {
      alarms: missingData,
      requestsPerMinute: 0,
      insufficientData: 'healthy',
    });
    expect(lenient.status).toBe('SUCCEEDED');
    expect(lenient.steps[0]?.alarms[`${lenient.service}-error-rate`]).toBe('INSUFFICIENT_DATA');
    expect(lenient.steps[0]?.reasons.join(' ')).toMatch(/insufficient data; treated as healthy/);

    const strict = await deploy([], {
      alarms: missingData,
      requestsPerMinute: 0,
      insufficientData: 'unhealthy',
    });
    expect(strict.status).toBe('ROLLED_BACK');
    expect(strict.steps).toHaveLength(1);
  });

  describe('never on silence', () => {
    it("a 0 s bake with a version failing half its requests is judged after the alarms' window, and rolled back", async () => {
      const report = await deploy(['errors=50%'], { plan: defaultStrategyPlan('canary', 0) });

      expect(report.status).toBe('ROLLED_BACK');
      expect(report.steps[0]).toMatchObject({ weight: 10, verdict: 'unhealthy' });
      expect(report.reason).toMatch(/^step 1 unhealthy: alarm svc-\d+-error-rate went into ALARM at /);
      // The local alarms evaluate one 60 s datapoint: the bake waited for it, and its alarm ended it.
      expect(report.simulatedSeconds).toBeGreaterThan(0);
      expect(report.simulatedSeconds).toBeLessThanOrEqual(DEFAULT_ALARMS.periodSeconds + 2);
      const [started] = await trail(report);
      expect(started?.detail).toMatchObject({ bakesExtended: { toSeconds: 60 } });
    });

    it('waits as long as the alarms need: 3 datapoints of 60 s make every check wait 180 s', async () => {
      const report = await deploy([], {
        plan: defaultStrategyPlan('canary', 0),
        alarms: { ...DEFAULT_ALARMS, evaluationPeriods: 3, datapointsToAlarm: 3 },
      });

      expect(report.status).toBe('SUCCEEDED');
      expect(report.simulatedSeconds).toBe(4 * 180);
    });
  });

  describe('the comparison is event-driven too', () => {
    it("a deployment's own alarm on the error rate against the stable version ends the bake, and goes with the deployment", async () => {
      // 3 %: under the service's 5 % alarm, 2.8 points above the stable version's.
      const report = await deploy(['errors=3%'], { analysis: {} });
      expect(report.status).toBe('ROLLED_BACK');
      expect(report.reason).toMatch(
        /^step 1 unhealthy: alarm stepwise-.+-error-rate-vs-stable went into ALARM at /,
      );
      // Two one-minute datapoints above 2 points, then the event: long before the 300 s bake's end.
      expect(report.simulatedSeconds).toBeLessThanOrEqual(2 * DEFAULT_ALARMS.periodSeconds + 5);
      const events = await trail(report);
      expect(events.find((e) => e.type === 'CandidatePrepared')?.detail?.comparisonAlarm).toMatch(
        /^stepwise-svc-\d+-2\.0-[0-9a-f]+-error-rate-vs-stable$/,
      );
      // Record event deleted it, and the summary says there is none left for the reconciler.
      const summary = await local().store.getDeployment(report.deploymentId);
      expect(summary?.comparisonAlarms).toEqual([]);
      expect(report.reconciled).toEqual([]);
    });
  });

  describe('an alarm going into ALARM ends the bake at once', () => {
    const period = DEFAULT_ALARMS.periodSeconds;

    // Bakes of two periods or more: a shorter one may end before the first whole period that shows the fault.
    it.each([120, 300, 3600])(
      'with %is bakes, a fault at step 3 is rolled back within two alarm periods and 5 s of the step, not at its end',
      async (bake) => {
        const report = await deploy(['errors=8%@step=3'], { plan: defaultStrategyPlan('canary', bake) });

        expect(report.status).toBe('ROLLED_BACK');
        expect(report.reason).toMatch(/^step 3 unhealthy: alarm svc-\d+-error-rate went into ALARM at /);
        expect(report.steps.map((s) => s.verdict)).toEqual(['healthy', 'healthy', 'unhealthy']);
        // Steps 1 and 2 baked in full; step 3 ended when its alarm's event arrived. The fault begins
        // mid-period, so the first whole period that shows it ends within two periods.
        const intoStep3 = report.simulatedSeconds - 2 * bake;
        expect(intoStep3).toBeGreaterThan(0);
        expect(intoStep3).toBeLessThanOrEqual(2 * period + 5);
        const events = await trail(report);
        // Two checks at the ends of their bakes, then the alarm's verdict, which ended the third.
        const checks = events.filter((e) => e.type === 'HealthChecked');
        expect(checks.map((e) => e.detail?.endedBake ?? false)).toEqual([false, false, true]);
        expect(checks[2]?.detail).toMatchObject({ step: 3, healthy: false });
        expect(events.at(-2)).toMatchObject({ type: 'RolledBack', rollback: true });
      },
    );

    it('leaves the bake record in the table: the service, the deployment and the alarms it watched', async () => {
      const report = await deploy(['errors=8%@step=1']);
      const bakes = await local().store.listBakes();
      expect(bakes.find((b) => b.service === report.service)).toMatchObject({
        deploymentId: report.deploymentId,
        alarms: JSON.stringify([`${report.service}-error-rate`, `${report.service}-p99-latency`]),
      });
    });

    it('with the alarm events lost, the check at the end of the bake still rolls back: the second line', async () => {
      const report = await deploy(['errors=8%@step=3', 'alarm-events=lost'], {
        plan: defaultStrategyPlan('canary', 3600),
      });

      expect(report.status).toBe('ROLLED_BACK');
      expect(report.reason).toMatch(/^step 3 unhealthy: alarm svc-\d+-error-rate is in ALARM/);
      expect(report.simulatedSeconds).toBe(3 * 3600);
      expect(report.injections).toContainEqual({ inject: 'alarm-events=lost', fired: true });
    });

    it('a healthy version bakes every step to its end and promotes', async () => {
      const report = await deploy([], { plan: defaultStrategyPlan('canary', 600) });
      expect(report.status).toBe('SUCCEEDED');
      expect(report.simulatedSeconds).toBe(4 * 600);
    });
  });
});
