import type { Logger } from '@aws-lambda-powertools/logger';
import { WeightsMismatchError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { sameWeights } from '../domain/plan.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

/** Promote: the candidate takes all traffic and becomes the service's live version. */
export function makePromoteHandler(deps: TaskDeps, logger?: Logger) {
  return taskHandler(
    { name: 'promote', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment } = state;
      const target = targetOf(deployment);
      const provider = deps.providers(deployment.provider, deployment.providerConfig);
      await provider.promote(target);
      const weights = await provider.getWeights(target);
      if (!sameWeights(weights, { [deployment.candidateVersion]: 100 })) {
        throw new WeightsMismatchError(
          `promoted ${deployment.candidateVersion} but read back ${JSON.stringify(weights)}`,
        );
      }
      const now = deps.clock.now();
      await deps.store.setLiveVersion({
        service: deployment.service,
        liveVersion: deployment.candidateVersion,
        liveDeploymentId: deployment.deploymentId,
        updatedAt: now.toISOString(),
      });
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'Promoted', 'promoted', now, { detail: { weights } }),
      );
      await deps.store.updateDeployment(deployment.deploymentId, { weights });
      return { ...state, progress: { ...state.progress, weights } };
    },
  );
}
