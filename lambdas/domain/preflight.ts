import type { AlarmDescription, AlarmSource } from '../ports/alarms.ts';
import { PreflightFailedError } from './errors.ts';
import type { ServiceConfig } from './types.ts';

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

/**
 * Pre-flight, before the lock and before any traffic, for Start deployment and for the API (which
 * runs it too, so that the caller hears at once and nothing is recorded). Firing alarms are allowed
 * by the caller (recorded as `allowedBy`: their principal) or by the service's config; a blocking
 * problem throws PreflightFailedError. Returns what the audit trail records.
 */
export async function runPreflight(
  alarms: AlarmSource,
  config: Pick<ServiceConfig, 'alarms' | 'firingAlarms'>,
  caller: { allowFiringAlarms?: boolean; principal: string },
) {
  const described = await alarms.describe(config.alarms);
  const allowedBy = caller.allowFiringAlarms
    ? caller.principal
    : config.firingAlarms === 'proceed'
      ? 'service config (firingAlarms: proceed)'
      : undefined;
  const verdict = judgePreflight(config.alarms, described, allowedBy !== undefined);
  if (verdict.blocking.length > 0) {
    throw new PreflightFailedError(`pre-flight: ${verdict.blocking.join('; ')}`);
  }
  const windows = described.flatMap((d) => (d.windowSeconds ? [d.windowSeconds] : []));
  return {
    alarms: Object.fromEntries(described.map((d) => [d.name, d.state ?? 'NOT_FOUND'])),
    ...(verdict.firingAllowed.length > 0 ? { firingAllowed: verdict.firingAllowed, allowedBy } : {}),
    /** The longest evaluation window of the service's metric alarms: a check must not come sooner after traffic moves. */
    ...(windows.length > 0 ? { windowSeconds: Math.max(...windows) } : {}),
  };
}
