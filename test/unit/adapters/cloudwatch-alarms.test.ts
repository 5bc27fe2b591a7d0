import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type MetricAlarm,
  StateValue,
} from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CloudWatchAlarmSource,
  HISTORY_READS_AT_ONCE,
} from '../../../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import { TransientError } from '../../../lambdas/domain/errors.ts';
import { mockClient } from '../../support/aws-mock.ts';
import { T0 } from '../fixtures.ts';

const cloudwatch = mockClient(CloudWatchClient);
let source: CloudWatchAlarmSource;

const alarm = (name: string, state: StateValue, reason = `${name} is ${state}`): MetricAlarm => ({
  AlarmName: name,
  StateValue: state,
  StateReason: reason,
});

/** A StateUpdate history item as CloudWatch writes it: HistoryData is a JSON document. */
const transition = (name: string, from: StateValue, to: StateValue) => ({
  AlarmName: name,
  HistoryItemType: 'StateUpdate' as const,
  Timestamp: new Date(T0.getTime() + 60_000),
  HistorySummary: `Alarm updated from ${from} to ${to}`,
  HistoryData: JSON.stringify({
    version: '1.0',
    oldState: { stateValue: from, stateReason: '...' },
    newState: { stateValue: to, stateReason: '...' },
  }),
});

const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });

beforeEach(() => {
  cloudwatch.reset();
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  source = new CloudWatchAlarmSource(new CloudWatchClient({ region: 'eu-west-1' }));
});

describe('CloudWatchAlarmSource', () => {
  it('reports OK, ALARM and INSUFFICIENT_DATA as CloudWatch gives them, with their reasons', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        alarm('errors', StateValue.OK),
        alarm('latency', StateValue.ALARM, 'Threshold Crossed: 1 datapoint [912.0]'),
        alarm('quiet', StateValue.INSUFFICIENT_DATA),
      ],
    });
    const observed = await source.observe(['errors', 'latency', 'quiet'], T0);
    expect(observed).toEqual([
      { name: 'errors', state: 'OK', firedDuringWindow: false, reason: 'errors is OK' },
      {
        name: 'latency',
        state: 'ALARM',
        firedDuringWindow: true,
        reason: 'Threshold Crossed: 1 datapoint [912.0]',
      },
      {
        name: 'quiet',
        state: 'INSUFFICIENT_DATA',
        firedDuringWindow: false,
        reason: 'quiet is INSUFFICIENT_DATA',
      },
    ]);
  });

  it('reports composite alarms too', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      CompositeAlarms: [{ AlarmName: 'service-health', StateValue: StateValue.ALARM }],
    });
    const [observed] = await source.observe(['service-health'], T0);
    expect(observed?.state).toBe('ALARM');
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });

  it('reads the history of composite alarms too, which CloudWatch leaves out unless asked', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      CompositeAlarms: [{ AlarmName: 'service-health', StateValue: StateValue.OK }],
    });
    cloudwatch
      .on(DescribeAlarmHistoryCommand, {
        AlarmName: 'service-health',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      })
      .resolves({ AlarmHistoryItems: [transition('service-health', StateValue.OK, StateValue.ALARM)] });
    const [observed] = await source.observe(['service-health'], T0);
    expect(observed).toMatchObject({ state: 'OK', firedDuringWindow: true });
  });

  it('reports a name CloudWatch does not return as NOT_FOUND', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('errors', StateValue.OK)] });
    const observed = await source.observe(['errors', 'erors'], T0);
    expect(observed[1]).toEqual({ name: 'erors', state: 'NOT_FOUND', firedDuringWindow: false });
  });

  it('reports an alarm that is OK now but went into ALARM during the window as fired', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('errors', StateValue.OK)] });
    cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [
        transition('errors', StateValue.ALARM, StateValue.OK),
        transition('errors', StateValue.OK, StateValue.ALARM),
      ],
    });
    const [observed] = await source.observe(['errors'], T0);
    expect(observed).toMatchObject({ state: 'OK', firedDuringWindow: true });
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, {
      AlarmName: 'errors',
      HistoryItemType: 'StateUpdate',
      StartDate: T0,
    });
  });

  it('reports an alarm that was in ALARM when the window began and recovered during it as fired', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('errors', StateValue.OK)] });
    cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [transition('errors', StateValue.ALARM, StateValue.OK)],
    });
    const [observed] = await source.observe(['errors'], T0);
    expect(observed).toMatchObject({ state: 'OK', firedDuringWindow: true });
  });

  it('does not count history that never entered ALARM', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('errors', StateValue.OK)] });
    cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [transition('errors', StateValue.INSUFFICIENT_DATA, StateValue.OK)],
    });
    const [observed] = await source.observe(['errors'], T0);
    expect(observed?.firedDuringWindow).toBe(false);
  });

  it('follows history pages until it finds the transition into ALARM', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('errors', StateValue.OK)] });
    cloudwatch
      .on(DescribeAlarmHistoryCommand)
      .resolvesOnce({ AlarmHistoryItems: [], NextToken: 'page-2' })
      .resolvesOnce({ AlarmHistoryItems: [transition('errors', StateValue.OK, StateValue.ALARM)] });
    const [observed] = await source.observe(['errors'], T0);
    expect(observed?.firedDuringWindow).toBe(true);
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, { NextToken: 'page-2' });
  });

  it('asks for at most 100 names per DescribeAlarms call and observes all of them', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `alarm-${i}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
      MetricAlarms: (input.AlarmNames ?? []).map((n) => alarm(n, StateValue.OK)),
    }));

    const observed = await source.observe(names, T0);

    expect(observed.map((o) => o.state)).toEqual(names.map(() => 'OK'));
    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 3);
    const asked = cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames ?? []);
    expect(asked.map((a) => a.length)).toEqual([100, 100, 50]);
    expect(asked.flat()).toEqual(names);
  });

  it('reads the history of many alarms a few at a time, and still judges every one', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `alarm-${i}`);
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: names.map((n) => alarm(n, StateValue.OK)) });
    let inFlight = 0;
    let most = 0;
    cloudwatch.on(DescribeAlarmHistoryCommand).callsFake(async (input: { AlarmName?: string }) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Answer on a later turn of the event loop, so calls sent meanwhile overlap this one.
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      const fired = input.AlarmName === 'alarm-7';
      return { AlarmHistoryItems: fired ? [transition('alarm-7', StateValue.OK, StateValue.ALARM)] : [] };
    });

    const observed = await source.observe(names, T0);

    expect(most).toBeLessThanOrEqual(HISTORY_READS_AT_ONCE);
    expect(HISTORY_READS_AT_ONCE).toBeLessThanOrEqual(5);
    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmHistoryCommand, names.length);
    expect(observed.map((o) => [o.name, o.firedDuringWindow])).toEqual(
      names.map((n) => [n, n === 'alarm-7']),
    );
  });

  it('follows DescribeAlarms pages', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [alarm('a', StateValue.OK)], NextToken: 'more' })
      .resolvesOnce({ MetricAlarms: [alarm('b', StateValue.ALARM)] });
    const observed = await source.observe(['a', 'b'], T0);
    expect(observed.map((o) => o.state)).toEqual(['OK', 'ALARM']);
  });

  it('asks for nothing when there are no alarms', async () => {
    expect(await source.observe([], T0)).toEqual([]);
    expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmsCommand);
  });

  it('turns throttling of DescribeAlarms into a TransientError', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(throttling());
    const observing = source.observe(['errors'], T0);
    await expect(observing).rejects.toThrow(TransientError);
    await expect(observing).rejects.toMatchObject({ name: 'Stepwise.Transient' });
  });

  it('turns throttling of DescribeAlarmHistory into a TransientError naming the alarm', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('errors', StateValue.OK)] });
    cloudwatch.on(DescribeAlarmHistoryCommand).rejects(throttling());
    await expect(source.observe(['errors'], T0)).rejects.toThrow(/reading the history of alarm errors/);
  });
});
