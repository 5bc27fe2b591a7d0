import { SIMULATED_NAMESPACE } from '../lambdas/adapters/traffic/simulated/simulated-provider.ts';
import type { AlarmState } from '../lambdas/domain/types.ts';
import type { Clock } from '../lambdas/ports/clock.ts';
import { unsupported } from './in-process-aws.ts';
import type { FleetMetric, SimulatedFleet } from './simulated-fleet.ts';

export type Comparison =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

/** A metric alarm on one of the candidate version's metrics, with CloudWatch's knobs. */
export interface SimulatedAlarmDefinition {
  name: string;
  /**
   * `ErrorRateDelta`: a deployment's comparison alarm, the candidate's error rate minus
   * `baseline`'s in points, 0 in a period with fewer than `minRequests` candidate requests.
   */
  metric: FleetMetric | 'ErrorRateDelta';
  /** The version whose metric the alarm watches (the deployment's candidate). */
  version: string;
  baseline?: string;
  minRequests?: number;
  threshold: number;
  comparison: Comparison;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: TreatMissingData;
}

const SYMBOL: Record<Comparison, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

function breaches(value: number, alarm: SimulatedAlarmDefinition): boolean {
  switch (alarm.comparison) {
    case 'GreaterThanThreshold':
      return value > alarm.threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.threshold;
    case 'LessThanThreshold':
      return value < alarm.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= alarm.threshold;
  }
}

/** One period's datapoint of an alarm's metric (or, for a comparison alarm, its expression). */
function datapointOf(
  alarm: SimulatedAlarmDefinition,
  fleet: SimulatedFleet,
  start: Date,
): number | undefined {
  if (alarm.metric !== 'ErrorRateDelta')
    return fleet.datapoint(alarm.metric, alarm.version, start, alarm.periodSeconds);
  const seconds = alarm.periodSeconds;
  const requests = fleet.datapoint('RequestCount', alarm.version, start, seconds) ?? 0;
  const stable = alarm.baseline ?? '';
  if (
    requests < (alarm.minRequests ?? 0) ||
    (fleet.datapoint('RequestCount', stable, start, seconds) ?? 0) <= 0
  )
    return 0;
  return (
    (fleet.datapoint('ErrorRate', alarm.version, start, seconds) ?? 0) -
    (fleet.datapoint('ErrorRate', stable, start, seconds) ?? 0)
  );
}

interface Evaluation {
  state: AlarmState;
  reason: string;
}

/**
 * Evaluates one alarm at the end of a period, the way CloudWatch does: the last
 * `evaluationPeriods` complete periods, each datapoint breaching or not, missing ones treated as
 * `treatMissingData` says; ALARM when at least `datapointsToAlarm` breach. With `missing`, an
 * evaluation range with no data is INSUFFICIENT_DATA; with `ignore` the alarm keeps its state.
 */
export function evaluateAlarm(
  alarm: SimulatedAlarmDefinition,
  fleet: SimulatedFleet,
  periodEnd: Date,
  previous: AlarmState,
): Evaluation {
  const values: (number | undefined)[] = [];
  for (let i = alarm.evaluationPeriods; i >= 1; i--) {
    const start = new Date(periodEnd.getTime() - i * alarm.periodSeconds * 1000);
    values.push(datapointOf(alarm, fleet, start));
  }
  const present = values.filter((v): v is number => v !== undefined);
  const missing = values.length - present.length;
  let breaching = present.filter((v) => breaches(v, alarm)).length;
  if (alarm.treatMissingData === 'breaching') breaching += missing;
  const shown = values.map((v) => (v === undefined ? 'missing' : v.toFixed(1))).join(', ');
  const crossed = `${breaching} out of the last ${alarm.evaluationPeriods} datapoints [${shown}] ${
    breaching === 1 ? 'was' : 'were'
  } ${SYMBOL[alarm.comparison]} the threshold (${alarm.threshold})`;
  if (breaching >= alarm.datapointsToAlarm)
    return { state: 'ALARM', reason: `Threshold Crossed: ${crossed}` };
  if (present.length === 0 && alarm.treatMissingData === 'missing') {
    return { state: 'INSUFFICIENT_DATA', reason: 'Insufficient Data: no datapoints in the evaluation range' };
  }
  if (present.length === 0 && alarm.treatMissingData === 'ignore') {
    return { state: previous, reason: 'no datapoints in the evaluation range; the state is kept (ignore)' };
  }
  return { state: 'OK', reason: `Threshold Crossed: ${crossed}` };
}

interface Transition {
  at: Date;
  from: Evaluation;
  to: Evaluation;
}

const PAGE = 100;

/**
 * The local CloudWatch: alarms over the simulated fleet's metrics, evaluated on the virtual clock,
 * answering the two calls Stepwise makes, `DescribeAlarms` and `DescribeAlarmHistory`, as CloudWatch
 * does (see `answeredInProcess`). So locally, too, alarms are read by the CloudWatch adapter.
 */
export class SimulatedCloudWatch {
  private readonly fleet: SimulatedFleet;
  private readonly clock: Clock;
  private readonly alarms: Map<string, SimulatedAlarmDefinition>;
  private readonly since: Date;
  private readonly firingBeforeStart: boolean;
  private readonly onInjectedRead: (() => void) | undefined;
  /** The alarms a deployment created (PutMetricAlarm), which were not there before it. */
  private readonly created = new Set<string>();

  /** `since`: when the simulated metrics begin; alarms have no history before it. */
  constructor(
    fleet: SimulatedFleet,
    clock: Clock,
    alarms: SimulatedAlarmDefinition[],
    since: Date,
    /**
     * Every alarm is already in ALARM when the metrics begin (a burning service whose fix is being
     * shipped, `--inject alarms=firing`), until its first evaluation over the fleet.
     */
    firingBeforeStart = false,
    /** Told when an alarm is read in the ALARM state the rehearsal injected. */
    onInjectedRead?: () => void,
  ) {
    this.firingBeforeStart = firingBeforeStart;
    this.onInjectedRead = onInjectedRead;
    this.fleet = fleet;
    this.clock = clock;
    this.alarms = new Map(alarms.map((a) => [a.name, a]));
    this.since = since;
  }

  /** The CloudWatch API operations this simulation answers. */
  readonly handle = async (operation: string, input: Record<string, unknown>): Promise<object> => {
    if (operation === 'DescribeAlarms') return this.describeAlarms(input);
    if (operation === 'DescribeAlarmHistory') return this.describeAlarmHistory(input);
    if (operation === 'GetMetricData') return this.getMetricData(input);
    if (operation === 'PutMetricAlarm') return this.putMetricAlarm(input);
    if (operation === 'DeleteAlarms') {
      for (const name of (input.AlarmNames as string[] | undefined) ?? []) this.alarms.delete(name);
      return {};
    }
    throw unsupported('CloudWatch', operation);
  };

  /**
   * A deployment's comparison alarm, as Stepwise creates it (`putMetricAlarmInput`): the versions
   * from its sums' `Version` dimensions, the request floor from its expression.
   */
  private putMetricAlarm(input: Record<string, unknown>): object {
    const metrics = (input.Metrics ?? []) as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric?: { Dimensions?: { Name?: string; Value?: string }[] }; Period?: number };
    }[];
    const versionOf = (id: string) =>
      metrics.find((m) => m.Id === id)?.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'Version')
        ?.Value;
    const candidate = versionOf('cr');
    const baseline = versionOf('br');
    if (!candidate || !baseline)
      throw unsupported('CloudWatch', 'PutMetricAlarm of an alarm Stepwise does not make');
    const floor = /FILL\(cr, 0\) >= (\d+)/.exec(metrics.find((m) => m.Expression)?.Expression ?? '')?.[1];
    // A new alarm starts without data, whatever the service's alarms were doing before the deployment.
    this.created.add(String(input.AlarmName));
    this.alarms.set(String(input.AlarmName), {
      name: String(input.AlarmName),
      metric: 'ErrorRateDelta',
      version: candidate,
      baseline,
      minRequests: Number(floor ?? 0),
      threshold: Number(input.Threshold),
      comparison: input.ComparisonOperator as Comparison,
      periodSeconds: metrics.find((m) => m.MetricStat)?.MetricStat?.Period ?? 60,
      evaluationPeriods: Number(input.EvaluationPeriods),
      datapointsToAlarm: Number(input.DatapointsToAlarm ?? input.EvaluationPeriods),
      treatMissingData: (input.TreatMissingData as TreatMissingData | undefined) ?? 'missing',
    });
    return {};
  }

  /**
   * The fleet's per-version metrics in the simulated namespace (`Requests`, `Errors`, `Latency` by
   * `Version`), one datapoint per query over [StartTime, EndTime): `Sum`, `SampleCount`, a
   * percentile `pNN`, and a percentile rank `PR(:t)`, as CloudWatch computes them. A metric of
   * another namespace has no data here, as on AWS a metric nobody publishes has none.
   */
  private getMetricData(input: Record<string, unknown>): object {
    const start = new Date(input.StartTime as Date);
    const end = new Date(Math.min(new Date(input.EndTime as Date).getTime(), this.clock.now().getTime()));
    const queries = (input.MetricDataQueries ?? []) as {
      Id: string;
      MetricStat?: {
        Metric?: {
          Namespace?: string;
          MetricName?: string;
          Dimensions?: { Name?: string; Value?: string }[];
        };
        Stat?: string;
      };
    }[];
    const MetricDataResults = queries.map((query) => {
      const metric = query.MetricStat?.Metric;
      const version = metric?.Dimensions?.find((d) => d.Name === 'Version')?.Value;
      const stat = query.MetricStat?.Stat ?? '';
      const empty = {
        Id: query.Id,
        Label: metric?.MetricName,
        StatusCode: 'Complete',
        Timestamps: [],
        Values: [],
      };
      if (metric?.Namespace !== SIMULATED_NAMESPACE || !version) return empty;
      const percentile = /^p(\d+(?:\.\d+)?)$/.exec(stat);
      const rank = /^PR\(:(\d+(?:\.\d+)?)\)$/.exec(stat);
      const reading = this.fleet.reading(
        version,
        start,
        end,
        percentile ? { q: Number(percentile[1]) / 100 } : {},
        rank ? { t: Number(rank[1]) } : {},
      );
      let value: number | undefined;
      if (metric.MetricName === 'Requests') value = reading.requests;
      else if (metric.MetricName === 'Errors') value = reading.errors;
      else if (metric.MetricName === 'Latency') {
        if (stat === 'SampleCount') value = reading.latencySamples;
        else if (percentile) value = reading.quantiles.q;
        else if (rank && reading.latencySamples > 0) {
          value = (100 * (reading.latencySamples - (reading.slower.t ?? 0))) / reading.latencySamples;
        }
      }
      // No datapoint in a window without requests, as CloudWatch has none.
      if (value === undefined || reading.requests === 0) return empty;
      return { ...empty, Timestamps: [start], Values: [value] };
    });
    return { MetricDataResults, Messages: [] };
  }

  private describeAlarms(input: Record<string, unknown>): object {
    const now = this.clock.now();
    const names = (input.AlarmNames as string[] | undefined) ?? [...this.alarms.keys()];
    const start = Number(input.NextToken ?? 0);
    const page = names.slice(start, start + PAGE);
    const MetricAlarms = page.flatMap((name) => {
      const alarm = this.alarms.get(name);
      if (!alarm) return [];
      const { state, since } = this.timeline(alarm, now);
      if (this.firingBeforeStart && state.state === 'ALARM' && since.getTime() === this.since.getTime()) {
        this.onInjectedRead?.();
      }
      return [
        {
          AlarmName: name,
          ActionsEnabled: true,
          StateValue: state.state,
          StateReason: state.reason,
          StateUpdatedTimestamp: since,
          MetricName: alarm.metric,
          Threshold: alarm.threshold,
          ComparisonOperator: alarm.comparison,
          Period: alarm.periodSeconds,
          EvaluationPeriods: alarm.evaluationPeriods,
          DatapointsToAlarm: alarm.datapointsToAlarm,
          TreatMissingData: alarm.treatMissingData,
        },
      ];
    });
    return {
      MetricAlarms,
      CompositeAlarms: [],
      ...(start + PAGE < names.length ? { NextToken: String(start + PAGE) } : {}),
    };
  }

  /** State updates of one alarm between StartDate and EndDate (default: now), newest first. */
  private describeAlarmHistory(input: Record<string, unknown>): object {
    const now = this.clock.now();
    const alarm = this.alarms.get(String(input.AlarmName ?? ''));
    if (!alarm || (input.HistoryItemType && input.HistoryItemType !== 'StateUpdate')) {
      return { AlarmHistoryItems: [] };
    }
    const from = input.StartDate ? new Date(input.StartDate as Date).getTime() : -Infinity;
    const to = input.EndDate ? new Date(input.EndDate as Date).getTime() : now.getTime();
    const AlarmHistoryItems = this.timeline(alarm, now)
      .transitions.filter((t) => t.at.getTime() >= from && t.at.getTime() <= to)
      .reverse()
      .map((t) => ({
        AlarmName: alarm.name,
        AlarmType: 'MetricAlarm',
        Timestamp: t.at,
        HistoryItemType: 'StateUpdate',
        HistorySummary: `Alarm updated from ${t.from.state} to ${t.to.state}`,
        HistoryData: JSON.stringify({
          version: '1.0',
          oldState: { stateValue: t.from.state, stateReason: t.from.reason },
          newState: { stateValue: t.to.state, stateReason: t.to.reason },
        }),
      }));
    return { AlarmHistoryItems };
  }

  /**
   * The first of `names` to go into ALARM after `from` and by `to`, as the routes stand now: when
   * CloudWatch would send its `CloudWatch Alarm State Change` event. Undefined when none does.
   */
  nextAlarm(names: string[], from: Date, to: Date): { name: string; at: Date; reason: string } | undefined {
    let first: { name: string; at: Date; reason: string } | undefined;
    for (const name of names) {
      const alarm = this.alarms.get(name);
      if (!alarm) continue;
      const fired = this.timeline(alarm, to).transitions.find(
        (t) => t.to.state === 'ALARM' && t.at.getTime() > from.getTime(),
      );
      if (fired && (!first || fired.at < first.at)) first = { name, at: fired.at, reason: fired.to.reason };
    }
    return first;
  }

  /** Evaluates the alarm at every period boundary up to now, as CloudWatch would have: its state now and every change. */
  private timeline(
    alarm: SimulatedAlarmDefinition,
    now: Date,
  ): { state: Evaluation; since: Date; transitions: Transition[] } {
    const periodMs = alarm.periodSeconds * 1000;
    let current: Evaluation =
      this.firingBeforeStart && !this.created.has(alarm.name)
        ? { state: 'ALARM', reason: 'injected: firing before the deployment' }
        : { state: 'INSUFFICIENT_DATA', reason: 'Unchecked: the alarm has not been evaluated yet' };
    let since = this.since;
    const transitions: Transition[] = [];
    for (
      let boundary = Math.floor(this.since.getTime() / periodMs) * periodMs + periodMs;
      boundary <= now.getTime();
      boundary += periodMs
    ) {
      const next = evaluateAlarm(alarm, this.fleet, new Date(boundary), current.state);
      if (next.state !== current.state) {
        since = new Date(boundary);
        transitions.push({ at: since, from: current, to: next });
      }
      current = next;
    }
    return { state: current, since, transitions };
  }
}

/**
 * A CloudWatch where every alarm exists with its actions enabled, in ALARM when `firing` says so
 * and OK otherwise: what the local control plane's pre-flight reads (it has no fleet of its own).
 */
export function steadyCloudWatch(firing: () => boolean) {
  return async (operation: string, input: Record<string, unknown>): Promise<object> => {
    if (operation === 'DescribeAlarmHistory') return { AlarmHistoryItems: [] };
    // The reconciler deleting a deployment's alarm: that alarm lived in its run's own CloudWatch.
    if (operation === 'DeleteAlarms') return {};
    if (operation !== 'DescribeAlarms') throw unsupported('CloudWatch', operation);
    const state = firing() ? 'ALARM' : 'OK';
    return {
      MetricAlarms: ((input.AlarmNames as string[] | undefined) ?? []).map((name) => ({
        AlarmName: name,
        ActionsEnabled: true,
        StateValue: state,
        StateReason: state === 'ALARM' ? 'injected: firing before the deployment' : 'simulated',
      })),
      CompositeAlarms: [],
    };
  };
}
