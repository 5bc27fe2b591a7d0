import { ALARM_FIRED_ERROR, alarmFiredCause } from '../domain/bakes.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { ControlDeps } from './deps.ts';

/** What the handler reads of a `CloudWatch Alarm State Change` event (source `aws.cloudwatch`). */
export interface AlarmStateChange {
  alarmName: string;
  state: string;
  reason?: string;
  /** When the alarm changed state (ISO 8601). */
  at?: string;
}

/**
 * Reads an EventBridge `CloudWatch Alarm State Change` event: `detail.alarmName` and
 * `detail.state.{value,reason,timestamp}`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
 */
export function readAlarmStateChange(event: unknown): AlarmStateChange {
  const detail = (event as { detail?: unknown } | undefined)?.detail as
    | { alarmName?: unknown; state?: { value?: unknown; reason?: unknown; timestamp?: unknown } }
    | undefined;
  if (typeof detail?.alarmName !== 'string' || typeof detail.state?.value !== 'string') {
    throw new InvalidInputError('detail.alarmName and detail.state.value are required');
  }
  return {
    alarmName: detail.alarmName,
    state: detail.state.value,
    ...(typeof detail.state.reason === 'string' ? { reason: detail.state.reason } : {}),
    ...(typeof detail.state.timestamp === 'string' ? { at: detail.state.timestamp } : {}),
  };
}

export interface AlarmChangeHandled {
  alarmName: string;
  /** The deployments whose bake this alarm ended. */
  ended: string[];
}

/**
 * An alarm went into ALARM: every bake under way that watches it ends at once, its task failed
 * with `Stepwise.AlarmFired`, and the state machine rolls back. A bake that already ended (its
 * token no longer waits) is left alone; another state is ignored. The end-of-bake check stays the
 * second line: a lost event delays the rollback to the bake's end, it never skips it.
 */
export async function handleAlarmStateChange(deps: ControlDeps, event: unknown): Promise<AlarmChangeHandled> {
  const change = readAlarmStateChange(event);
  const handled: AlarmChangeHandled = { alarmName: change.alarmName, ended: [] };
  if (change.state !== 'ALARM') return handled;
  const now = deps.clock.now().getTime();
  for (const bake of await deps.store.listBakes()) {
    if (new Date(bake.until).getTime() < now) continue;
    const watched = JSON.parse(bake.alarms) as string[];
    if (!watched.includes(change.alarmName)) continue;
    const cause = alarmFiredCause({
      name: change.alarmName,
      ...(change.at ? { at: change.at } : {}),
      ...(change.reason ? { reason: change.reason } : {}),
    });
    if (await deps.executions.sendTaskFailure(bake.taskToken, ALARM_FIRED_ERROR, cause)) {
      handled.ended.push(bake.deploymentId);
    }
  }
  if (handled.ended.length > 0) deps.logger?.info('bakes ended by an alarm', { ...handled });
  return handled;
}
