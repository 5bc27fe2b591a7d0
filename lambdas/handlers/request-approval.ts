import type { Logger } from '@aws-lambda-powertools/logger';
import * as compiled from '../domain/compiled-schemas.js';
import { InvalidInputError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { validator } from '../domain/schemas.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';

const parse = validator<{ state: TaskState; taskToken: string }>(compiled.approvalRequest, 'input');

/**
 * Request approval: called with `.waitForTaskToken`; it records who may answer (the task token
 * on the deployment summary) and returns. The execution waits until someone calls
 * SendTaskSuccess with `{ "approved": true | false, "by": ... }` or the step's timeout passes.
 */
export function makeRequestApprovalHandler(deps: Pick<TaskDeps, 'clock' | 'store'>, logger?: Logger) {
  return taskHandler({ name: 'request-approval', parse, logger }, async ({ state, taskToken }) => {
    const { deployment, progress } = state;
    const step = progress.step;
    if (step?.kind !== 'approval') {
      throw new InvalidInputError(`progress.step must be an approval step, got ${step?.kind ?? 'none'}`);
    }
    const now = deps.clock.now();
    const timeoutAt = new Date(now.getTime() + step.timeoutSeconds * 1000).toISOString();
    await deps.store.updateDeployment(deployment.deploymentId, {
      pendingApproval: {
        taskToken,
        requestedAt: now.toISOString(),
        timeoutAt,
        onTimeout: step.onTimeout,
        decisionKey: `step-${progress.stepIndex + 1}#decision`,
      },
    });
    await deps.store.appendAuditEvent(
      deployment.deploymentId,
      auditEvent(deployment, 'ApprovalRequested', `step-${progress.stepIndex + 1}#approval`, now, {
        detail: {
          timeoutAt,
          onTimeout: step.onTimeout,
          ...(step.held ? { heldAsInconclusive: step.held } : {}),
        },
      }),
    );
    return { requested: true, timeoutAt };
  });
}
