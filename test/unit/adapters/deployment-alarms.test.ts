import { CloudWatchClient, DeleteAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CloudWatchDeploymentAlarms,
  putMetricAlarmInput,
} from '../../../lambdas/adapters/cloudwatch/deployment-alarms.ts';
import { TransientError } from '../../../lambdas/domain/errors.ts';
import { comparisonAlarmFor } from '../../../lambdas/domain/judge/comparison-alarm.ts';
import { DEFAULT_ANALYSIS } from '../../../lambdas/domain/judge/criteria.ts';
import { mockClient } from '../../support/aws-mock.ts';

const cloudwatch = mockClient(CloudWatchClient);
const alarms = () => new CloudWatchDeploymentAlarms(new CloudWatchClient({ region: 'eu-west-1' }));
const ref = (metricName: string, version: string) => ({
  namespace: 'AWS/Lambda',
  metricName,
  dimensions: { FunctionName: 'checkout', Resource: 'checkout:live', ExecutedVersion: version },
});
const SPECS = {
  candidate: { requests: ref('Invocations', '8'), errors: ref('Errors', '8') },
  baseline: { requests: ref('Invocations', '7'), errors: ref('Errors', '7') },
};

beforeEach(() => cloudwatch.reset());

describe("a deployment's comparison alarm", () => {
  it('is named for the deployment, in the prefix its roles may touch, and is none when the analysis says 0', () => {
    const alarm = comparisonAlarmFor('checkout-v2-1a2b', SPECS, DEFAULT_ANALYSIS);
    expect(alarm?.name).toBe('stepwise-checkout-v2-1a2b-error-rate-vs-stable');
    expect(alarm?.abovePoints).toBe(2);
    expect(comparisonAlarmFor('d', SPECS, { ...DEFAULT_ANALYSIS, alarmAbovePoints: 0 })).toBeUndefined();
  });

  it('is a metric-math alarm on the candidate’s error rate minus the stable version’s, two minutes in a row', () => {
    const alarm = comparisonAlarmFor('checkout-v2-1a2b', SPECS, DEFAULT_ANALYSIS);
    if (!alarm) throw new Error('no alarm');
    const input = putMetricAlarmInput(alarm);
    expect(input).toMatchObject({
      AlarmName: 'stepwise-checkout-v2-1a2b-error-rate-vs-stable',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 2,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(
      input.Metrics?.map((m) => [m.Id, m.ReturnData, m.MetricStat?.Metric?.MetricName, m.MetricStat?.Stat]),
    ).toEqual([
      ['ce', false, 'Errors', 'Sum'],
      ['cr', false, 'Invocations', 'Sum'],
      ['be', false, 'Errors', 'Sum'],
      ['br', false, 'Invocations', 'Sum'],
      ['diff', true, undefined, undefined],
    ]);
    expect(input.Metrics?.[4]?.Expression).toBe(
      'IF(FILL(cr, 0) >= 50 AND FILL(br, 0) > 0, 100 * (FILL(ce, 0) / FILL(cr, 1) - FILL(be, 0) / FILL(br, 1)), 0)',
    );
    expect(input.Metrics?.[0]?.MetricStat?.Metric?.Dimensions).toContainEqual({
      Name: 'ExecutedVersion',
      Value: '8',
    });
  });

  it('is created with PutMetricAlarm and deleted with DeleteAlarms, 100 names a call; one already gone is no error', async () => {
    const alarm = comparisonAlarmFor('d1', SPECS, DEFAULT_ANALYSIS);
    if (!alarm) throw new Error('no alarm');
    cloudwatch.on(PutMetricAlarmCommand).resolves({});
    cloudwatch.on(DeleteAlarmsCommand).resolves({});
    await alarms().put(alarm);
    expect(cloudwatch.commandCalls(PutMetricAlarmCommand)[0]?.args[0].input.AlarmName).toBe(alarm.name);
    await alarms().remove(Array.from({ length: 150 }, (_, i) => `stepwise-d${i}-error-rate-vs-stable`));
    expect(
      cloudwatch.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input.AlarmNames?.length),
    ).toEqual([100, 50]);
    cloudwatch.reset();
    cloudwatch
      .on(DeleteAlarmsCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFound' }));
    await expect(alarms().remove(['stepwise-d1-error-rate-vs-stable'])).resolves.toBeUndefined();
    cloudwatch.reset();
    cloudwatch
      .on(PutMetricAlarmCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(alarms().put(alarm)).rejects.toBeInstanceOf(TransientError);
  });
});
