import type { Analysis } from './criteria.ts';
import type { VersionMetricSpec, VersionMetricSpecs } from './metric-specs.ts';

/** Every alarm Stepwise creates for a deployment is named so: the only alarms its roles may create or delete. */
export const DEPLOYMENT_ALARM_PREFIX = 'stepwise-';

/**
 * A CloudWatch alarm that exists for one deployment: the candidate's error rate minus the stable
 * version's, per minute, in percentage points. It makes the comparison event-driven: in ALARM,
 * it ends a bake at once, as the service's own alarms do. It is a tripwire for a large
 * difference, not the judge: a minute is noisy, so it needs `datapoints` minutes in a row above
 * `abovePoints`, each with at least `minCandidateRequests` candidate requests.
 */
export interface ComparisonAlarm {
  name: string;
  description: string;
  abovePoints: number;
  minCandidateRequests: number;
  periodSeconds: number;
  datapoints: number;
  candidate: VersionMetricSpec;
  baseline: VersionMetricSpec;
}

/** Candidate requests a minute below which a minute's difference says nothing (the alarm reads 0). */
export const ALARM_MIN_REQUESTS_PER_MINUTE = 50;

/**
 * The comparison alarm of a deployment, or undefined when its analysis has none
 * (`alarmAbovePoints: 0`) or judges no error rate. Pure.
 */
export function comparisonAlarmFor(
  deploymentId: string,
  specs: VersionMetricSpecs,
  analysis: Pick<Analysis, 'alarmAbovePoints' | 'criteria'>,
): ComparisonAlarm | undefined {
  const errors = analysis.criteria.find((c) => c.metric === 'errorRate' && c.direction === 'increase');
  if (!errors || !analysis.alarmAbovePoints) return undefined;
  return {
    name: `${DEPLOYMENT_ALARM_PREFIX}${deploymentId}-error-rate-vs-stable`,
    description: `Stepwise deployment ${deploymentId}: the candidate's error rate more than ${analysis.alarmAbovePoints} points above the stable version's, two minutes in a row. Created for the deployment and deleted when it ends.`,
    abovePoints: analysis.alarmAbovePoints,
    minCandidateRequests: ALARM_MIN_REQUESTS_PER_MINUTE,
    periodSeconds: 60,
    datapoints: 2,
    candidate: specs.candidate,
    baseline: specs.baseline,
  };
}
