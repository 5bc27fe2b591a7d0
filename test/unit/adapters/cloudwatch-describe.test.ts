import { CloudWatchClient, DescribeAlarmsCommand, StateValue } from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarmSource } from '../../../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import { TransientError } from '../../../lambdas/domain/errors.ts';
import { mockClient } from '../../support/aws-mock.ts';

const cloudwatch = mockClient(CloudWatchClient);
let source: CloudWatchAlarmSource;

beforeEach(() => {
  cloudwatch.reset();
  source = new CloudWatchAlarmSource(new CloudWatchClient({ region: 'eu-west-1' }));
});

describe('CloudWatchAlarmSource', () => {
  describe('describe (pre-flight)', () => {
    it('describes an alarm that exists, pages someone and is OK', async () => {
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [{ AlarmName: 'errors', ActionsEnabled: true, StateValue: StateValue.OK }],
      });
      expect(await source.describe(['errors'])).toEqual([
        { name: 'errors', exists: true, actionsEnabled: true, state: 'OK' },
      ]);
    });

    it("gives a metric alarm's evaluation window: its period times the datapoints that must breach", async () => {
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [
          {
            AlarmName: 'errors',
            StateValue: StateValue.OK,
            Period: 60,
            EvaluationPeriods: 5,
            DatapointsToAlarm: 3,
          },
          { AlarmName: 'latency', StateValue: StateValue.OK, Period: 300, EvaluationPeriods: 2 },
          {
            AlarmName: 'ratio',
            StateValue: StateValue.OK,
            EvaluationPeriods: 1,
            Metrics: [
              { Id: 'e', MetricStat: { Metric: { MetricName: 'Errors' }, Period: 120, Stat: 'Sum' } },
              { Id: 'r', Expression: 'e / 100' },
            ],
          },
        ],
        CompositeAlarms: [{ AlarmName: 'both', StateValue: StateValue.OK }],
      });
      const described = await source.describe(['errors', 'latency', 'ratio', 'both']);
      expect(described.map((d) => d.windowSeconds)).toEqual([180, 600, 120, undefined]);
    });

    it('says an alarm CloudWatch does not return does not exist', async () => {
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [{ AlarmName: 'errors', ActionsEnabled: true, StateValue: StateValue.OK }],
      });
      const described = await source.describe(['errors', 'erors']);
      expect(described[1]).toEqual({ name: 'erors', exists: false });
    });

    it('tells an alarm whose actions are disabled', async () => {
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [{ AlarmName: 'errors', ActionsEnabled: false, StateValue: StateValue.OK }],
      });
      const [described] = await source.describe(['errors']);
      expect(described).toMatchObject({ exists: true, actionsEnabled: false });
    });

    it('tells an alarm already in ALARM, with the reason CloudWatch gives', async () => {
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [
          {
            AlarmName: 'latency',
            ActionsEnabled: true,
            StateValue: StateValue.ALARM,
            StateReason: 'Threshold Crossed: 1 datapoint [912.0] was greater than the threshold (500.0).',
          },
        ],
      });
      expect(await source.describe(['latency'])).toEqual([
        {
          name: 'latency',
          exists: true,
          actionsEnabled: true,
          state: 'ALARM',
          reason: 'Threshold Crossed: 1 datapoint [912.0] was greater than the threshold (500.0).',
        },
      ]);
    });

    it('describes composite alarms too, asking CloudWatch for both kinds', async () => {
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [{ AlarmName: 'errors', ActionsEnabled: true, StateValue: StateValue.OK }],
        CompositeAlarms: [
          { AlarmName: 'service-health', ActionsEnabled: false, StateValue: StateValue.ALARM },
        ],
      });
      expect(await source.describe(['service-health', 'errors'])).toEqual([
        { name: 'service-health', exists: true, actionsEnabled: false, state: 'ALARM' },
        { name: 'errors', exists: true, actionsEnabled: true, state: 'OK' },
      ]);
      expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      });
    });

    it('asks for more than 100 names in batches of 100 and describes every one', async () => {
      const names = Array.from({ length: 201 }, (_, i) => `alarm-${i}`);
      cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
        MetricAlarms: (input.AlarmNames ?? []).map((n) => ({
          AlarmName: n,
          ActionsEnabled: true,
          StateValue: StateValue.OK,
        })),
      }));

      const described = await source.describe(names);

      expect(described.map((d) => d.exists)).toEqual(names.map(() => true));
      const asked = cloudwatch
        .commandCalls(DescribeAlarmsCommand)
        .map((c) => c.args[0].input.AlarmNames ?? []);
      expect(asked.map((a) => a.length)).toEqual([100, 100, 1]);
      expect(asked.flat()).toEqual(names);
    });

    it('follows DescribeAlarms pages', async () => {
      cloudwatch
        .on(DescribeAlarmsCommand)
        .resolvesOnce({
          MetricAlarms: [{ AlarmName: 'a', ActionsEnabled: true, StateValue: StateValue.OK }],
          NextToken: 'more',
        })
        .resolvesOnce({
          MetricAlarms: [{ AlarmName: 'b', ActionsEnabled: true, StateValue: StateValue.OK }],
        });
      expect((await source.describe(['a', 'b'])).map((d) => d.exists)).toEqual([true, true]);
      expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { NextToken: 'more' });
    });

    it('turns throttling into a TransientError', async () => {
      cloudwatch
        .on(DescribeAlarmsCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
      await expect(source.describe(['errors'])).rejects.toThrow(TransientError);
    });
  });
});
