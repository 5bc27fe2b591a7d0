import type { Logger } from '@aws-lambda-powertools/logger';
import * as compiled from '../domain/compiled-schemas.js';
import { auditEvent } from '../domain/events.ts';
import { validator } from '../domain/schemas.ts';
import type { DeploymentStatus, TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';
import { rollbackReason } from './roll-back.ts';

type ClosingEvent = 'DeploymentSucceeded' | 'DeploymentRolledBack' | 'DeploymentFailed';

const STATUS: Record<ClosingEvent, DeploymentStatus> = {
  DeploymentSucceeded: 'SUCCEEDED',
  DeploymentRolledBack: 'ROLLED_BACK',
  DeploymentFailed: 'FAILED',
};

const parse = validator<{ type: ClosingEvent; state: TaskState }>(compiled.recordEvent, 'input');

/**
 * Record event: close the deployment with its final event. The audit trail gets exactly one
 * closing event (keyed `closed`), the summary its status and end time, and the lock is released.
 */
export function makeRecordEventHandler(
  deps: Pick<TaskDeps, 'clock' | 'deploymentAlarms' | 'store'>,
  logger?: Logger,
) {
  return taskHandler({ name: 'record-event', parse, logger }, async ({ type, state }): Promise<TaskState> => {
    const { deployment } = state;
    const status = STATUS[type];
    const now = deps.clock.now();
    // A rollout that did not succeed always says why: its Fail state's CausePath ($.outcome.cause)
    // must resolve to a string on every path, or the execution fails States.Runtime on AWS.
    const cause =
      state.outcome?.cause ?? (state.error || status !== 'SUCCEEDED' ? rollbackReason(state) : undefined);
    const step = state.progress.step;
    const promoted = deployment.promotes || (step?.kind === 'done' && Boolean(step.promotedBy));
    const liveVersion =
      status === 'SUCCEEDED' && promoted ? deployment.candidateVersion : deployment.stableVersion;
    await deps.store.appendAuditEvent(
      deployment.deploymentId,
      auditEvent(deployment, type, 'closed', now, {
        status,
        rollback: status === 'ROLLED_BACK',
        detail: { weights: state.progress.weights, reason: cause, liveVersion },
      }),
    );
    // The alarms made for the deployment go with it (before the summary says so: a retry deletes them again).
    const made = state.progress.comparisonAlarms ?? [];
    if (made.length > 0 && deps.deploymentAlarms) await deps.deploymentAlarms.remove(made);
    await deps.store.updateDeployment(deployment.deploymentId, {
      status,
      endedAt: now.toISOString(),
      weights: state.progress.weights,
      reason: cause,
      ...(made.length > 0 && deps.deploymentAlarms ? { comparisonAlarms: [] } : {}),
    });
    await deps.store.releaseLock(deployment.service, deployment.deploymentId);
    return { ...state, outcome: { status, error: state.outcome?.error, cause } };
  });
}
