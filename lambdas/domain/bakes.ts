import type { Step } from './steps.ts';
import { isTrafficStep } from './steps.ts';

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
