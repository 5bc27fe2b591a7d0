import type { Logger } from '@aws-lambda-powertools/logger';
import { InvalidInputError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';
import { parseTaskState } from './state.ts';

/**
 * Run hook: one attempt of the current hook step. The state machine loops back through a Wait
 * (until `progress.checkAt`) while `hook.retriesLeft` allows, and rolls back when it does not.
 */
export function makeRunHookHandler(deps: Pick<TaskDeps, 'clock' | 'hooks' | 'store'>, logger?: Logger) {
  return taskHandler(
    { name: 'run-hook', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment, progress } = state;
      const step = progress.step;
      if (step?.kind !== 'hook')
        throw new InvalidInputError(`progress.step must be a hook step, got ${step?.kind ?? 'none'}`);
      const { hook } = step;
      const attempt = (progress.hookAttempt ?? 0) + 1;
      const result = await deps.hooks.run(hook, {
        deploymentId: deployment.deploymentId,
        service: deployment.service,
        candidateVersion: deployment.candidateVersion,
        phase: hook.phase,
        attempt,
      });
      const now = deps.clock.now();
      const retriesLeft = result.passed ? 0 : Math.max(0, hook.retries + 1 - attempt);
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'HookRan', `step-${progress.stepIndex + 1}#hook#${attempt}`, now, {
          detail: {
            hook: hook.name,
            phase: hook.phase,
            attempt,
            passed: result.passed,
            detail: result.detail,
          },
        }),
      );
      return {
        ...state,
        hook: { passed: result.passed, attempt, retriesLeft, detail: `${hook.name}: ${result.detail}` },
        progress: {
          ...progress,
          hookAttempt: attempt,
          // Only a retry waits (until checkAt); a passed or exhausted hook moves on at once.
          checkAt:
            retriesLeft > 0
              ? new Date(now.getTime() + hook.retryIntervalSeconds * 1000).toISOString()
              : undefined,
        },
      };
    },
  );
}
