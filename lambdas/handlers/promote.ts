import type { Logger } from '@aws-lambda-powertools/logger';
import { NotReadyYetError, WeightsMismatchError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { sameWeights } from '../domain/plan.ts';
import { settled, settleLater } from '../domain/settle.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

/**
 * Promote: the candidate takes all traffic and becomes the service's live version. A provider
 * still finishing (ECS draining the old version) answers not yet: the state machine goes round
 * _Wait for promotion to settle_ until `rolloutTimeoutSeconds`, and nothing is recorded until
 * the candidate holds all traffic.
 */
export function makePromoteHandler(deps: Pick<TaskDeps, 'clock' | 'providers' | 'store'>, logger?: Logger) {
  return taskHandler(
    { name: 'promote', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment } = state;
      const target = targetOf(deployment);
      const provider = deps.providers(deployment.provider, deployment.providerConfig);
      try {
        await provider.promote(target);
      } catch (error) {
        if (!(error instanceof NotReadyYetError)) throw error;
        return settleLater(state, 'promoting', error, deps.clock.now());
      }
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
      return { ...state, progress: { ...settled(state.progress, 'promoting'), weights } };
    },
  );
}
