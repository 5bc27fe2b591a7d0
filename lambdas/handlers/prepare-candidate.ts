import type { Logger } from '@aws-lambda-powertools/logger';
import { auditEvent } from '../domain/events.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

/** Prepare candidate: bring the new version up beside the stable one, with no traffic. */
export function makePrepareCandidateHandler(deps: TaskDeps, logger?: Logger) {
  return taskHandler(
    { name: 'prepare-candidate', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment } = state;
      const provider = deps.providers(deployment.provider);
      await provider.prepare(targetOf(deployment));
      const weights = await provider.getWeights(targetOf(deployment));
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'CandidatePrepared', 'prepared', deps.clock.now(), { detail: { weights } }),
      );
      return { ...state, progress: { ...state.progress, weights } };
    },
  );
}
