import type { Step } from './steps.ts';
import { isTrafficStep } from './steps.ts';
import type { Bake, Deployment, Progress } from './types.ts';

/** The error a bake ends with when one of its alarms goes into ALARM: its Catch goes to _Alarm fired_. */
export const ALARM_FIRED_ERROR = 'Stepwise.AlarmFired';

/**
 * The cause a bake ends with when an alarm fires, in words: `alarm NAME went into ALARM at
 * ISO-TIME: REASON`. The alarm-changed function writes it; the rollback's reason, its audit and the
 * local report read the alarm and the time back with `readAlarmFiredCause`.
 */
export function alarmFiredCause(alarm: { name: string; at?: string; reason?: string }): string {
  return `alarm ${alarm.name} went into ALARM${alarm.at ? ` at ${alarm.at}` : ''}${alarm.reason ? `: ${alarm.reason}` : ''}`;
}

/** The alarm and when it fired, from a cause `alarmFiredCause` wrote. */
export function readAlarmFiredCause(cause: string): { name?: string; at?: string } {
  const match = /^alarm (\S+) went into ALARM(?: at (\d{4}-\d\d-\d\dT[\d:.]+Z))?/.exec(cause);
  return { ...(match?.[1] ? { name: match[1] } : {}), ...(match?.[2] ? { at: match[2] } : {}) };
}

/** How long a bake's record stays in the table after its bake ends, for whoever reads the trail of it. */
const BAKE_RECORD_SECONDS = 86_400;

/**
 * The bake the state machine waits out watching the alarms (the _Bake_ task, whose token an alarm
 * going into ALARM fails at once), for a pause that follows a traffic move; undefined for a pause
 * that is merely waited (_Pause_): before any traffic moved, recreate's startup (nothing serves),
 * under a second, or with no alarm left to watch (none configured, or all firing before the start).
 */
export function bakeFor(
  step: Step,
  progress: Pick<Progress, 'trafficStep' | 'comparisonAlarms'>,
  deployment: Pick<Deployment, 'alarms' | 'alarmsFiringAtStart'>,
  now: Date,
): Bake | undefined {
  if (step.kind !== 'pause' || step.label === 'startup' || step.seconds < 1 || progress.trafficStep === 0) {
    return undefined;
  }
  const excused = new Set(deployment.alarmsFiringAtStart ?? []);
  // The deployment's own comparison alarm is watched as the service's are.
  const alarms = [
    ...deployment.alarms.filter((name) => !excused.has(name)),
    ...(progress.comparisonAlarms ?? []),
  ];
  if (alarms.length === 0) return undefined;
  const until = now.getTime() + step.seconds * 1000;
  return {
    seconds: Math.ceil(step.seconds),
    until: new Date(until).toISOString(),
    alarms: JSON.stringify(alarms),
    expiresAt: String(Math.ceil(until / 1000) + BAKE_RECORD_SECONDS),
  };
}

/** A bake made longer so that the check after it judges data, not silence. */
export interface BakeExtension {
  /** The check's position in the plan as written (0-based). */
  check: number;
  /** Seconds of pause between the traffic move and the check, as written, and now. */
  from: number;
  to: number;
}

/**
 * The time an alarm needs to leave INSUFFICIENT_DATA on new data: `Period × DatapointsToAlarm`
 * (CloudWatch evaluates `EvaluationPeriods` complete periods and alarms when `DatapointsToAlarm`
 * of them breach; https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation).
 */
export function evaluationWindowSeconds(periodSeconds: number, datapointsToAlarm: number): number {
  return periodSeconds * Math.max(1, datapointsToAlarm);
}

/**
 * Makes every check that follows a traffic move wait at least `minimumSeconds` after that move,
 * so that it never passes on alarms that could not yet have seen the candidate. The last pause
 * before the check grows by what is missing; a check with no pause before it gets one (a bake).
 * Checks before any traffic moved, and plans where nothing falls short, are left as they are. Pure.
 */
export function extendBakes(
  steps: readonly Step[],
  minimumSeconds: number,
): { steps: Step[]; extended: BakeExtension[] } {
  const out: Step[] = [];
  const extended: BakeExtension[] = [];
  let moved = false;
  let waited = 0;
  /** Where in `out` the last pause since the move is. */
  let lastPause: number | undefined;
  steps.forEach((step, i) => {
    if (isTrafficStep(step)) {
      moved = true;
      waited = 0;
      lastPause = undefined;
    } else if (step.kind === 'pause') {
      waited += step.seconds;
      lastPause = out.length;
    } else if (step.kind === 'check' && moved && waited < minimumSeconds) {
      const missing = minimumSeconds - waited;
      const at = lastPause;
      if (at === undefined) {
        lastPause = out.length;
        out.push({ kind: 'pause', seconds: missing, label: 'bake' });
      } else {
        const pause = out[at] as Extract<Step, { kind: 'pause' }>;
        out[at] = { ...pause, seconds: pause.seconds + missing };
      }
      extended.push({ check: i, from: waited, to: minimumSeconds });
      waited = minimumSeconds;
    }
    out.push(step);
  });
  return { steps: out, extended };
}
