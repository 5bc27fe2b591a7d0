import type { AlarmState } from './types.ts';

/** An alarm as pre-flight sees it before any traffic moves. */
export interface AlarmDescription {
  name: string;
  exists: boolean;
  /** Whether the alarm's actions are enabled (an alarm with actions disabled pages nobody). */
  actionsEnabled?: boolean;
  state?: AlarmState;
  reason?: string;
}

export interface PreflightVerdict {
  /** Problems that stop the deployment: missing alarms, disabled actions, firing alarms not allowed. */
  blocking: string[];
  /** Alarms in ALARM that the deployment goes ahead despite (allowed by config or by the caller). */
  firingAllowed: string[];
}

/**
 * Pre-flight: every alarm the service names must exist and have its actions enabled; an alarm
 * already in ALARM blocks the deployment unless firing alarms are allowed, because a fix for a
 * burning service must still be shippable.
 */
export function judgePreflight(
  alarms: string[],
  described: AlarmDescription[],
  allowFiring: boolean,
): PreflightVerdict {
  const byName = new Map(described.map((d) => [d.name, d]));
  const blocking: string[] = [];
  const firingAllowed: string[] = [];
  for (const name of alarms) {
    const alarm = byName.get(name);
    if (!alarm?.exists) {
      blocking.push(`alarm ${name} does not exist`);
      continue;
    }
    if (alarm.actionsEnabled === false) blocking.push(`alarm ${name} has its actions disabled`);
    if (alarm.state === 'ALARM') {
      if (allowFiring) firingAllowed.push(name);
      else
        blocking.push(
          `alarm ${name} is already in ALARM${alarm.reason ? ` (${alarm.reason})` : ''}; allow firing alarms to ship a fix`,
        );
    }
  }
  return { blocking, firingAllowed };
}
