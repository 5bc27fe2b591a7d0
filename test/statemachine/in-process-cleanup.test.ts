import { describe, expect, it } from 'vitest';
import { defaultStrategyPlan, type StrategyName } from '../../lambdas/domain/strategies/index.ts';
import { TASK_NAMES } from '../../local/fault-injection.ts';
import { parseFaults } from '../../local/faults.ts';
import { DEFAULT_ALARMS, type LocalDeployOptions } from '../../local/runtime.ts';
import { invariantViolations, scanTable } from '../support/invariants.ts';
import { useLocalRuntime } from './support.ts';

/**
 * An in-process `deploy` ends as cleanly as one under `serve`: whatever its execution left (a
 * failed closing write, a failed rollback, a run stopped from outside, a ring's child), the same
 * reconciler as on AWS puts traffic back, closes the trail and frees the service. Judged from the
 * table, with the invariants of docs/architecture.md.
 */
const local = useLocalRuntime();
let serial = 0;

function deploy(strategy: StrategyName, inject: string[], overrides: Partial<LocalDeployOptions> = {}) {
  serial += 1;
  return local().deploy({
    service: `clean-${serial}`,
    image: 'app:2',
    strategy,
    plan: strategy === 'ring' ? undefined : defaultStrategyPlan(strategy, 120),
    alarms: DEFAULT_ALARMS,
    insufficientData: 'healthy',
    faults: parseFaults(inject, TASK_NAMES),
    requestsPerMinute: 1000,
    principal: 'tester@ci',
    ...overrides,
  });
}

async function violations(): Promise<string[]> {
  return invariantViolations(await scanTable(local().client, local().tableName));
}

describe('an in-process deploy, whatever its execution left', () => {
  it('is closed and frees the service when its closing write fails for good', async () => {
    const report = await deploy('canary', ['fail=record-event']);
    expect(report.error).toBe('Stepwise.CloseFailed');
    expect(report.status).toBe('SUCCEEDED');
    expect(report.reconciled).toEqual([
      expect.stringMatching(/^closed as SUCCEEDED: execution failed with Stepwise.CloseFailed/),
    ]);
    expect(await violations()).toEqual([]);
  });

  it.each<StrategyName>(['canary', 'all-at-once', 'blue-green', 'rolling', 'recreate', 'ab-segment'])(
    '%s: has its traffic put back when its own rollback fails for good',
    async (strategy) => {
      const report = await deploy(strategy, ['fail=roll-back', 'errors=30%@step=1']);
      expect(report.error).toBe('Stepwise.RollbackFailed');
      expect(report.status).toBe('ROLLED_BACK');
      expect(report.finalWeights).toMatchObject({ 'baseline (simulated)': 100 });
      expect(await violations()).toEqual([]);
    },
  );

  it('is rolled back when it is stopped from outside (Ctrl-C) with traffic split', async () => {
    const stop = new AbortController();
    const report = await deploy('canary', [], {
      signal: stop.signal,
      onProgress: (event) => {
        if (event.kind === 'shifted' && event.step === 2) stop.abort();
      },
    });
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reason).toMatch(/^execution stopped/);
    expect(report.finalWeights).toEqual({ 'baseline (simulated)': 100, 'app:2': 0 });
    expect(await violations()).toEqual([]);
  });

  it('a deployment judged against the stable version, stopped from outside, has its comparison alarm deleted too', async () => {
    const stop = new AbortController();
    const report = await deploy('canary', [], {
      analysis: {},
      signal: stop.signal,
      onProgress: (event) => {
        if (event.kind === 'shifted' && event.step === 2) stop.abort();
      },
    });
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reconciled).toContainEqual(
      expect.stringMatching(/^deleted its alarms: stepwise-.+-error-rate-vs-stable$/),
    );
    expect(await violations()).toEqual([]);
  });

  it("ring: each ring's child execution is reconciled too, so no child holds its service", async () => {
    const rings = { rings: [{ name: 'a', service: `ring-a-${serial + 1}`, strategy: 'all-at-once' }] };
    const report = await deploy('ring', ['fail=roll-back', 'errors=30%@step=1'], { plan: rings });
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.rings?.[0]?.finalWeights).toMatchObject({ 'baseline (simulated)': 100 });
    expect(await violations()).toEqual([]);
  });
});
