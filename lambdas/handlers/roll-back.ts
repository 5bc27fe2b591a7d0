import type { Logger } from '@aws-lambda-powertools/logger';
import { ALARM_FIRED_ERROR, readAlarmFiredCause } from '../domain/bakes.ts';
import { NotReadyYetError, WeightsMismatchError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { sameWeights } from '../domain/plan.ts';
import { settled, settleLater } from '../domain/settle.ts';
import type { TaskState } from '../domain/types.ts';
import { lastVerdictOf } from '../domain/verdict.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

/** Why the execution came to the rollback path: a failed check, a task error, or a request. */
export function rollbackReason(state: TaskState): string {
  const step = state.progress.trafficStep;
  const current = state.progress.step;
  if (current?.kind === 'abort') return `aborted by ${current.by}`;
  if (current?.kind === 'ring' && state.error) {
    return `ring ${current.ring.name} (${current.ring.service}) failed: ${childCause(state.error.Cause)}`;
  }
  if (state.approval && !state.approval.approved) {
    return `approval denied${state.approval.by ? ` by ${state.approval.by}` : ''}${state.approval.reason ? `: ${state.approval.reason}` : ''}`;
  }
  if (state.error?.Error === 'States.Timeout' && current?.kind === 'approval') {
    return `approval timed out after ${current.timeoutSeconds}s`;
  }
  if (state.hook && !state.hook.passed) {
    return `hook failed after ${state.hook.attempt} attempt${state.hook.attempt === 1 ? '' : 's'}: ${state.hook.detail}`;
  }
  if (state.check && !state.check.healthy) {
    return `step ${step} unhealthy: ${state.check.reasons.join('; ')}`;
  }
  if (state.error?.Error === ALARM_FIRED_ERROR) {
    return `step ${step} unhealthy: ${state.error.Cause ?? 'an alarm went into ALARM'} (the bake ended there)`;
  }
  if (state.error) {
    const cause = state.error.Cause ? `: ${summarizeCause(state.error.Cause)}` : '';
    const where = step === 0 ? 'before any traffic moved' : `with traffic at step ${step}`;
    return `task failed with ${state.error.Error}${cause} (${where})`;
  }
  return `rollback requested at step ${step}`;
}

/** A child execution's failure Cause is its DescribeExecution output: its own error and cause are what matter. */
function childCause(cause: string | undefined): string {
  try {
    const parsed = JSON.parse(cause ?? '') as { Error?: string; Cause?: string };
    return [parsed.Error, parsed.Cause].filter(Boolean).join(': ') || (cause ?? 'unknown');
  } catch {
    return cause ?? 'unknown';
  }
}

/** A Lambda error's Cause is a JSON document; its message is what a reader wants. */
function summarizeCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}

/**
 * How fast a health verdict took traffic away: seconds from the traffic move to the verdict (the
 * alarm's transition into ALARM that ended the bake, or the check), and from the verdict to
 * traffic back on stable. Only for rollbacks a health verdict caused.
 */
export function rollbackTiming(
  state: TaskState,
  revertedAt: Date,
): { timing?: { detectedAfterSeconds: number; revertedAfterSeconds: number } } {
  const movedAt = state.progress.stepStartedAt;
  const alarmAt =
    state.error?.Error === ALARM_FIRED_ERROR ? readAlarmFiredCause(state.error.Cause ?? '').at : undefined;
  const detectedAt = alarmAt ?? (state.check && !state.check.healthy ? state.check.checkedAt : undefined);
  if (!movedAt || !detectedAt) return {};
  const seconds = (from: string, to: Date) =>
    Math.max(0, Math.round((to.getTime() - new Date(from).getTime()) / 1000));
  return {
    timing: {
      detectedAfterSeconds: seconds(movedAt, new Date(detectedAt)),
      revertedAfterSeconds: seconds(detectedAt, revertedAt),
    },
  };
}

/**
 * A bake that an alarm ended (`Stepwise.AlarmFired`) ran no check: its verdict goes in the trail
 * here, as a check's would (once: the key is the step's), with the alarm, when and why.
 */
async function recordAlarmVerdict(
  deps: Pick<TaskDeps, 'clock' | 'providers' | 'store'>,
  state: TaskState,
): Promise<void> {
  const { deployment, progress, error } = state;
  if (error?.Error !== ALARM_FIRED_ERROR) return;
  const cause = error.Cause ?? 'an alarm went into ALARM';
  const { name } = readAlarmFiredCause(cause);
  const recorded = await deps.store.appendAuditEvent(
    deployment.deploymentId,
    auditEvent(deployment, 'HealthChecked', `step-${progress.stepIndex + 1}#checked`, deps.clock.now(), {
      detail: {
        step: progress.trafficStep,
        healthy: false,
        endedBake: true,
        alarms: name ? [{ name, state: 'ALARM', firedDuringWindow: true }] : [],
        reasons: [cause],
      },
    }),
  );
  await deps.store.updateDeployment(deployment.deploymentId, { lastVerdict: lastVerdictOf(recorded) });
}

/**
 * Roll back: all traffic back to the stable version (any segment removed, a stopped stable
 * version started again), read back to be sure, and say why. Also ends an A/B analysis that
 * never promotes: the same traffic move, recorded as the experiment's conclusion. A provider
 * still finishing (ECS replacing the candidate's tasks) answers not yet: the state machine goes
 * round _Wait for rollback to settle_ until `rolloutTimeoutSeconds`, then _Rollback failed_ leaves
 * the rest to the reconciler.
 */
export function makeRollBackHandler(deps: Pick<TaskDeps, 'clock' | 'providers' | 'store'>, logger?: Logger) {
  return taskHandler(
    { name: 'roll-back', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment } = state;
      const target = targetOf(deployment);
      const provider = deps.providers(deployment.provider, deployment.providerConfig);
      const concluding =
        state.progress.step?.kind === 'done' && !state.error && state.check?.healthy !== false;
      const reason = concluding
        ? `analysis complete after ${state.progress.trafficStep} step(s): ${deployment.stableVersion} keeps all traffic`
        : rollbackReason(state);
      await recordAlarmVerdict(deps, state);
      try {
        await provider.rollback(target);
      } catch (error) {
        if (!(error instanceof NotReadyYetError)) throw error;
        return settleLater(state, 'rollingBack', error, deps.clock.now());
      }
      const weights = await provider.getWeights(target);
      if (!sameWeights(weights, { [deployment.stableVersion]: 100 })) {
        throw new WeightsMismatchError(
          `rolled back to ${deployment.stableVersion} but read back ${JSON.stringify(weights)}`,
        );
      }
      const { timing } = concluding ? {} : rollbackTiming(state, deps.clock.now());
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(
          deployment,
          concluding ? 'ExperimentConcluded' : 'RolledBack',
          'rolled-back',
          deps.clock.now(),
          {
            rollback: !concluding,
            detail: {
              reason,
              fromStep: state.progress.trafficStep,
              weights,
              ...(timing ? { timing } : {}),
            },
          },
        ),
      );
      await deps.store.updateDeployment(deployment.deploymentId, { weights, reason });
      return {
        ...state,
        progress: { ...settled(state.progress, 'rollingBack'), weights },
        outcome: concluding
          ? { status: 'SUCCEEDED', cause: reason }
          : {
              status: 'ROLLED_BACK',
              error: 'Stepwise.RolledBack',
              cause: reason,
              ...(timing ? { timing } : {}),
            },
      };
    },
  );
}
