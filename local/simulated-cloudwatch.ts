import type { AlarmDescription } from '../lambdas/domain/preflight.ts';
import type { AlarmObservation, AlarmState } from '../lambdas/domain/types.ts';
import type { AlarmSource } from '../lambdas/ports/alarms.ts';
import type { Clock } from '../lambdas/ports/clock.ts';
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
  metric: FleetMetric;
  /** The version whose metric the alarm watches (the deployment's candidate). */
  version: string;
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
    values.push(fleet.datapoint(alarm.metric, alarm.version, start, alarm.periodSeconds));
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

/** The AlarmSource port over simulated metrics: the local stand-in for CloudWatch. */
export class SimulatedCloudWatch implements AlarmSource {
  private readonly fleet: SimulatedFleet;
  private readonly clock: Clock;
  private readonly alarms: Map<string, SimulatedAlarmDefinition>;
  private readonly since: Date;
  private readonly firingBeforeStart: boolean;

  /** `since`: when the simulated metrics begin; alarms have no history before it. */
  constructor(
    fleet: SimulatedFleet,
    clock: Clock,
    alarms: SimulatedAlarmDefinition[],
    since: Date,
    /** Pre-flight finds every alarm already in ALARM (a burning service whose fix is being shipped). */
    firingBeforeStart = false,
  ) {
    this.firingBeforeStart = firingBeforeStart;
    this.fleet = fleet;
    this.clock = clock;
    this.alarms = new Map(alarms.map((a) => [a.name, a]));
    this.since = since;
  }

  async observe(names: string[], since: Date): Promise<AlarmObservation[]> {
    const now = this.clock.now();
    return names.map((name) => {
      const alarm = this.alarms.get(name);
      if (!alarm) return { name, state: 'NOT_FOUND', firedDuringWindow: false };
      return this.replay(alarm, since, now);
    });
  }

  /**
   * Every simulated alarm exists with its actions enabled; an alarm the rehearsal says is already
   * firing (`--inject preflight=firing`) is in ALARM before any traffic moves.
   */
  async describe(names: string[]): Promise<AlarmDescription[]> {
    const now = this.clock.now();
    return names.map((name) => {
      const alarm = this.alarms.get(name);
      if (!alarm) return { name, exists: false };
      if (this.firingBeforeStart) {
        return {
          name,
          exists: true,
          actionsEnabled: true,
          state: 'ALARM',
          reason: 'injected: firing before the deployment',
        };
      }
      const { state, reason } = this.replay(alarm, now, now);
      return { name, exists: true, actionsEnabled: true, state, ...(reason ? { reason } : {}) };
    });
  }

  /** Evaluates the alarm at every period boundary up to now, as CloudWatch would have. */
  private replay(alarm: SimulatedAlarmDefinition, windowStart: Date, now: Date): AlarmObservation {
    const periodMs = alarm.periodSeconds * 1000;
    let boundary = Math.ceil(this.since.getTime() / periodMs) * periodMs;
    let current: Evaluation = {
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: the alarm has not been evaluated yet',
    };
    let fired = false;
    for (; boundary <= now.getTime(); boundary += periodMs) {
      current = evaluateAlarm(alarm, this.fleet, new Date(boundary), current.state);
      // The evaluation in force when the window began counts too: an alarm already firing then fired during it.
      if (boundary > windowStart.getTime() - periodMs && current.state === 'ALARM') fired = true;
    }
    return { name: alarm.name, state: current.state, firedDuringWindow: fired, reason: current.reason };
  }
}
