import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  StateValue,
} from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarmSource } from '../../../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import { CloudWatchVersionMetrics } from '../../../lambdas/adapters/cloudwatch/cloudwatch-metrics.ts';
import { SIMULATED_NAMESPACE } from '../../../lambdas/adapters/traffic/simulated/simulated-provider.ts';
import { resolveAnalysis } from '../../../lambdas/domain/judge/criteria.ts';
import type { TaskState } from '../../../lambdas/domain/types.ts';
import { makeCheckAlarmsHandler } from '../../../lambdas/handlers/check-alarms.ts';
import { makeRequestApprovalHandler } from '../../../lambdas/handlers/request-approval.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import { mockClient } from '../../support/aws-mock.ts';
import {
  fixedClock,
  invoke,
  nextStep,
  preparedDeployment,
  silentLogger,
  stepTo,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();
const cloudwatch = mockClient(CloudWatchClient);
const BAKE_OVER = new Date(T0.getTime() + 300_000);

function deps() {
  const client = new CloudWatchClient({ region: 'eu-west-1' });
  return {
    ...taskDeps(local.store(), fixedClock(BAKE_OVER), new CloudWatchAlarmSource(client)),
    metrics: new CloudWatchVersionMetrics(client),
  };
}

/** A deployment of a service with the default analysis, shifted to its first step and baked: what Check alarms receives. */
async function baked(analysis = resolveAnalysis({})): Promise<TaskState> {
  const setup = taskDeps(local.store());
  const prepared = await preparedDeployment(
    setup,
    { service: unique('svc'), deploymentId: unique('dep') },
    { alarms: ['errors'], analysis },
  );
  const atWeight = await stepTo(setup, prepared, 'setWeight');
  const shifted = await invoke(makeShiftTrafficHandler(setup, silentLogger()), atWeight);
  return stepTo(setup, shifted, 'check');
}

/** GetMetricData answers: the baseline before the deployment, then each version's look, by the version dimension. */
function metricsAre(
  versions: Record<string, { requests: number; errors: number; p95: number; slowerShare: number }>,
) {
  cloudwatch.on(GetMetricDataCommand).callsFake(async (input) => {
    const version = input.MetricDataQueries[0].MetricStat.Metric.Dimensions.find(
      (d: { Name: string }) => d.Name === 'Version',
    ).Value as string;
    const v = versions[version] ?? { requests: 0, errors: 0, p95: 0, slowerShare: 0 };
    const values: Record<string, number> = {
      requests: v.requests,
      errors: v.errors,
      samples: v.requests,
      q_p95: v.p95,
      q_p99: v.p95 * 1.36,
      pr_p95: 100 * (1 - v.slowerShare),
      pr_p99: 100 * (1 - v.slowerShare / 5),
    };
    return {
      MetricDataResults: input.MetricDataQueries.map((q: { Id: string }) => ({
        Id: q.Id,
        Values: values[q.Id] === undefined ? [] : [values[q.Id]],
      })),
    };
  });
}

function check(state: TaskState) {
  return invoke(makeCheckAlarmsHandler(deps(), silentLogger()), state);
}

beforeEach(() => {
  cloudwatch.reset();
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [{ AlarmName: 'errors', StateValue: StateValue.OK, StateReason: 'ok' }],
  });
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
});

describe('Check alarms with a baseline comparison', () => {
  it('Prepare candidate found where each version’s metrics are', async () => {
    const state = await baked();
    expect(state.progress.versionMetrics?.candidate.requests).toEqual({
      namespace: SIMULATED_NAMESPACE,
      metricName: 'Requests',
      dimensions: { Service: state.deployment.service, Version: state.deployment.candidateVersion },
    });
  });

  it('a service that names its own per-version metrics is read there, not where the provider would say', async () => {
    const own = {
      requests: { namespace: 'Shop', metricName: 'Requests', dimensions: { Version: '{version}' } },
      errors: { namespace: 'Shop', metricName: 'Errors', dimensions: { Version: '{version}' } },
    };
    const state = await baked(resolveAnalysis({ metrics: own }));
    expect(state.progress.versionMetrics).toEqual({
      candidate: {
        requests: {
          namespace: 'Shop',
          metricName: 'Requests',
          dimensions: { Version: state.deployment.candidateVersion },
        },
        errors: {
          namespace: 'Shop',
          metricName: 'Errors',
          dimensions: { Version: state.deployment.candidateVersion },
        },
      },
      baseline: {
        requests: {
          namespace: 'Shop',
          metricName: 'Requests',
          dimensions: { Version: state.deployment.stableVersion },
        },
        errors: {
          namespace: 'Shop',
          metricName: 'Errors',
          dimensions: { Version: state.deployment.stableVersion },
        },
      },
    });
  });

  it('fails a candidate at 5× the stable error rate although its alarm is OK, and records the evidence', async () => {
    const state = await baked();
    metricsAre({
      [state.deployment.stableVersion]: { requests: 4500, errors: 9, p95: 132, slowerShare: 0.05 },
      [state.deployment.candidateVersion]: { requests: 2500, errors: 25, p95: 132, slowerShare: 0.05 },
    });
    const checked = await check(state);
    expect(checked.check?.healthy).toBe(false);
    expect(checked.check?.analysis?.verdict).toBe('fail');
    expect(checked.check?.reasons).toContainEqual(
      expect.stringMatching(/^errorRate: the candidate's error rate 1% is above/),
    );
    expect(checked.progress.analysis?.looks).toHaveLength(1);
    expect(checked.progress.analysis?.reference).toEqual({
      quantiles: { p95: 132, p99: 132 * 1.36 },
      requests: 4500,
      errors: 9,
    });
    const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
    const event = trail.find((e) => e.type === 'HealthChecked');
    expect(event?.detail?.analysis).toMatchObject({
      verdict: 'fail',
      candidateRequests: 2500,
      metrics: expect.arrayContaining([
        expect.objectContaining({
          metric: 'errorRate',
          decision: 'fail',
          candidate: { requests: 2500, errors: 25, ratePercent: 1 },
          baseline: { requests: 4500, errors: 9, ratePercent: 0.2 },
        }),
      ]),
    });
  });

  it('too few candidate requests: the bake goes on for as long as the traffic says, and the same check runs again', async () => {
    const state = await baked();
    metricsAre({
      [state.deployment.stableVersion]: { requests: 900, errors: 2, p95: 132, slowerShare: 0.05 },
      [state.deployment.candidateVersion]: { requests: 100, errors: 0, p95: 132, slowerShare: 0.05 },
    });
    // Check alarms moves on itself: to a longer bake, with the cursor just before the check again.
    const longer = await check(state);
    // 150 more requests at 100 per 300 s, half as many again for the noise: 675 s, in whole minutes 720 s.
    expect(longer.checked).toMatchObject({
      healthy: true,
      extendBakeSeconds: 720,
      analysis: { verdict: 'inconclusive' },
    });
    expect(longer.progress).toMatchObject({
      stepIndex: state.progress.stepIndex - 1,
      step: { kind: 'pause', seconds: 720, label: 'bake (longer, for requests)' },
      bake: { seconds: 720 },
      bakeExtension: { step: 1, rounds: 1, seconds: 720 },
    });
    const again = await nextStep(taskDeps(local.store()), longer);
    expect(again.progress.stepIndex).toBe(state.progress.stepIndex);
    expect(again.progress.step?.kind).toBe('check');
    // The second check is an audit event of its own.
    metricsAre({
      [state.deployment.stableVersion]: { requests: 3600, errors: 7, p95: 132, slowerShare: 0.05 },
      [state.deployment.candidateVersion]: { requests: 400, errors: 1, p95: 132, slowerShare: 0.05 },
    });
    const passed = await check(again);
    expect(passed.checked?.analysis?.verdict).toBe('pass');
    const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
    expect(
      trail.filter((e) => e.type === 'HealthChecked').map((e) => e.detail?.extendBakeSeconds ?? null),
    ).toEqual([720, null]);
  });

  it('an inconclusive verdict holds the rollout: Next step asks for an approval that is not in the plan, and says why', async () => {
    const state = await baked();
    // The stable version fails as much as the candidate, and far more than before the deployment.
    cloudwatch.on(GetMetricDataCommand).callsFake(async (input) => {
      const before = new Date(input.EndTime).getTime() <= new Date(state.deployment.startedAt).getTime();
      const errors = before ? 9 : 130;
      const requests = input.MetricDataQueries[0].MetricStat.Metric.Dimensions.some(
        (d: { Value: string }) => d.Value === state.deployment.candidateVersion,
      )
        ? 500
        : 4500;
      const values: Record<string, number> = {
        requests,
        errors: requests === 500 ? 15 : errors,
        samples: requests,
        q_p95: 132,
        q_p99: 180,
        pr_p95: 95,
        pr_p99: 99,
      };
      return {
        MetricDataResults: input.MetricDataQueries.map((q: { Id: string }) => ({
          Id: q.Id,
          Values: [values[q.Id]],
        })),
      };
    });
    const held = await check(state);
    expect(held.checked).toMatchObject({ healthy: true, analysis: { verdict: 'inconclusive' } });
    expect(held.checked?.extendBakeSeconds).toBeUndefined();
    expect(held.progress.stepIndex).toBe(state.progress.stepIndex);
    expect(held.progress.step).toMatchObject({
      kind: 'approval',
      timeoutSeconds: 3600,
      onTimeout: 'rollback',
    });
    const reasons = (held.progress.step as { held?: string[] }).held ?? [];
    expect(reasons[0]).toMatch(
      /^errorRate: the baseline's own error rate rose from 0\.2% before the deployment/,
    );
    await invoke(makeRequestApprovalHandler(taskDeps(local.store()), silentLogger()), {
      state: held,
      taskToken: 'token-1',
    });
    const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
    expect(trail.find((e) => e.type === 'ApprovalRequested')?.detail?.heldAsInconclusive).toEqual(reasons);
    // Approved, the rollout goes on from where it was held.
    const after = await nextStep(taskDeps(local.store()), {
      ...held,
      approval: { approved: true, by: 'ana' },
    });
    expect(after.progress.stepIndex).toBe(state.progress.stepIndex + 1);
  });

  it('passes a candidate like its baseline: healthy, no hold', async () => {
    const state = await baked();
    metricsAre({
      [state.deployment.stableVersion]: { requests: 4500, errors: 9, p95: 132, slowerShare: 0.05 },
      [state.deployment.candidateVersion]: { requests: 500, errors: 1, p95: 132, slowerShare: 0.05 },
    });
    const next = await check(state);
    expect(next.checked).toMatchObject({ healthy: true, analysis: { verdict: 'pass' } });
    expect(next.progress.step?.kind).toBe('setWeight');
  });
});
