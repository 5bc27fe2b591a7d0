import type {
  AlarmObservation,
  AuditEvent,
  HealthCheck,
  InsufficientDataPolicy,
  LastVerdict,
} from './types.ts';

/** What a HealthChecked event says, as the summary keeps it (`lastVerdict`) and the API shows it. */
export function lastVerdictOf(check: AuditEvent): LastVerdict {
  return {
    healthy: Boolean(check.detail?.healthy),
    at: check.at,
    ...(typeof check.detail?.step === 'number' ? { step: check.detail.step } : {}),
    ...(check.detail?.alarms !== undefined ? { alarms: check.detail.alarms } : {}),
    ...(check.detail?.reasons !== undefined ? { reasons: check.detail.reasons } : {}),
    ...(check.detail?.analysis ? { analysis: check.detail.analysis } : {}),
  };
}

/**
 * Judges a step from the alarms that gate it. Any alarm in ALARM now, or at any moment since the
 * step started, is unhealthy; an alarm that does not exist is unhealthy (a gate that cannot be read
 * must not pass); INSUFFICIENT_DATA follows the service's policy, and the reasons say so either way.
 */
export function judgeHealth(
  alarms: AlarmObservation[],
  policy: InsufficientDataPolicy,
  checkedAt: Date,
): HealthCheck {
  const reasons: string[] = [];
  let healthy = true;
  for (const alarm of alarms) {
    if (alarm.state === 'ALARM') {
      healthy = false;
      reasons.push(`alarm ${alarm.name} is in ALARM${alarm.reason ? `: ${alarm.reason}` : ''}`);
    } else if (alarm.firedDuringWindow) {
      healthy = false;
      reasons.push(`alarm ${alarm.name} fired during the bake (now ${alarm.state})`);
    } else if (alarm.state === 'NOT_FOUND') {
      healthy = false;
      reasons.push(`alarm ${alarm.name} does not exist`);
    } else if (alarm.state === 'INSUFFICIENT_DATA') {
      if (policy === 'unhealthy') healthy = false;
      reasons.push(
        `alarm ${alarm.name} has insufficient data; treated as ${policy} by the service's insufficientData policy`,
      );
    }
  }
  if (alarms.length === 0)
    reasons.push('no alarms are configured for this service; the step passes unchecked');
  return { healthy, checkedAt: checkedAt.toISOString(), alarms, reasons };
}
