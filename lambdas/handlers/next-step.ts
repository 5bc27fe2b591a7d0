import type { Logger } from '@aws-lambda-powertools/logger';
import { advance } from '../domain/plan.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';
import { parseTaskState } from './state.ts';

/**
 * Next step: move the plan's cursor. The state machine's Choice then routes on
 * `$.progress.step.kind`; a pause carries its due time in `$.progress.checkAt` for the Wait.
 * A promote-now or abort asked for on the deployment (`control`) is honoured here, between
 * steps: promote jumps to the end (`done`), abort goes to the rollback path (`abort`).
 */
export function makeNextStepHandler(deps: TaskDeps, logger?: Logger) {
  return taskHandler(
    { name: 'next-step', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { check: _check, hook: _hook, approval: _approval, ...rest } = state;
      const control = (await deps.store.getDeployment(state.deployment.deploymentId))?.control;
      if (control?.action === 'abort') {
        return { ...rest, progress: { ...state.progress, step: { kind: 'abort', by: control.by } } };
      }
      if (control?.action === 'promote') {
        return { ...rest, progress: { ...state.progress, step: { kind: 'done', promotedBy: control.by } } };
      }
      return { ...rest, progress: advance(state.deployment.plan, state.progress, deps.clock.now()) };
    },
  );
}
