import {
  type CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { evaluationWindowSeconds } from '../../domain/bakes.ts';
import type { AlarmObservation, AlarmState } from '../../domain/types.ts';
import type { AlarmDescription, AlarmSource } from '../../ports/alarms.ts';
import { rethrowAws } from '../aws-errors.ts';

/** DescribeAlarms accepts at most 100 names per call. */
const NAMES_PER_CALL = 100;
/**
 * DescribeAlarmHistory calls in flight at once. Its per-account rate quota is low and shared by
 * every deployment checking alarms at the same time: one call per alarm all at once (up to 100)
 * would be throttled, retried, and roll the deployment back.
 */
export const HISTORY_READS_AT_ONCE = 3;

interface HistoryData {
  oldState?: { stateValue?: string };
  newState?: { stateValue?: string };
}

/**
 * A metric alarm's evaluation window: its period (a metric-math alarm's is its queries' longest)
 * times the datapoints that must breach. A composite alarm has none of its own.
 */
function windowOf(alarm: MetricAlarm | CompositeAlarm): { windowSeconds?: number } {
  if (!('EvaluationPeriods' in alarm) && !('Period' in alarm) && !('Metrics' in alarm)) return {};
  const metric = alarm as MetricAlarm;
  const periods = [
    metric.Period,
    ...(metric.Metrics ?? []).map((q) => q.MetricStat?.Period ?? q.Period),
  ].filter((p): p is number => typeof p === 'number' && p > 0);
  if (periods.length === 0) return {};
  const datapoints = metric.DatapointsToAlarm ?? metric.EvaluationPeriods ?? 1;
  return { windowSeconds: evaluationWindowSeconds(Math.max(...periods), datapoints) };
}

/**
 * Alarm states from CloudWatch: DescribeAlarms for the state now, DescribeAlarmHistory for any
 * transition into ALARM since the step started (an alarm that fired and recovered during a bake
 * still fails the step).
 */
export class CloudWatchAlarmSource implements AlarmSource {
  private readonly client: CloudWatchClient;

  constructor(client: CloudWatchClient) {
    this.client = client;
  }

  /** The alarms that exist among `names`, by name: DescribeAlarms, 100 names a call. */
  private async find(names: string[]): Promise<Map<string, MetricAlarm | CompositeAlarm>> {
    const found = new Map<string, MetricAlarm | CompositeAlarm>();
    try {
      for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
        let nextToken: string | undefined;
        do {
          const out = await this.client.send(
            new DescribeAlarmsCommand({
              AlarmNames: names.slice(i, i + NAMES_PER_CALL),
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              NextToken: nextToken,
            }),
          );
          for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
            if (a.AlarmName) found.set(a.AlarmName, a);
          }
          nextToken = out.NextToken;
        } while (nextToken);
      }
    } catch (e) {
      rethrowAws(e, 'describing alarms');
    }
    return found;
  }

  async describe(names: string[]): Promise<AlarmDescription[]> {
    const found = await this.find(names);
    return names.map((name) => {
      const alarm = found.get(name);
      if (!alarm) return { name, exists: false };
      return {
        name,
        exists: true,
        actionsEnabled: alarm.ActionsEnabled ?? true,
        state: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmState,
        ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
        ...windowOf(alarm),
      };
    });
  }

  async observe(names: string[], since: Date): Promise<AlarmObservation[]> {
    const found = await this.find(names);
    const observed: AlarmObservation[] = [];
    for (let i = 0; i < names.length; i += HISTORY_READS_AT_ONCE) {
      const batch = names.slice(i, i + HISTORY_READS_AT_ONCE);
      observed.push(
        ...(await Promise.all(batch.map((name) => this.observeOne(name, found.get(name), since)))),
      );
    }
    return observed;
  }

  private async observeOne(
    name: string,
    alarm: MetricAlarm | CompositeAlarm | undefined,
    since: Date,
  ): Promise<AlarmObservation> {
    if (!alarm) return { name, state: 'NOT_FOUND', firedDuringWindow: false };
    const state = (alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmState;
    const firedDuringWindow = state === 'ALARM' || (await this.firedSince(name, since));
    return { name, state, firedDuringWindow, reason: alarm.StateReason };
  }

  private async firedSince(name: string, since: Date): Promise<boolean> {
    let nextToken: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new DescribeAlarmHistoryCommand({
            AlarmName: name,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            HistoryItemType: 'StateUpdate',
            // No EndDate: CloudWatch's default is now, by its clock rather than this function's.
            StartDate: since,
            NextToken: nextToken,
          }),
        );
        for (const item of out.AlarmHistoryItems ?? []) {
          const data = JSON.parse(item.HistoryData ?? '{}') as HistoryData;
          // Leaving ALARM during the window means it was in ALARM when the window began.
          if (data.newState?.stateValue === 'ALARM' || data.oldState?.stateValue === 'ALARM') return true;
        }
        nextToken = out.NextToken;
      } while (nextToken);
    } catch (e) {
      rethrowAws(e, `reading the history of alarm ${name}`);
    }
    return false;
  }
}
