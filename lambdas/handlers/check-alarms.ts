import type { Logger } from '@aws-lambda-powertools/logger';
import { auditEvent } from '../domain/events.ts';
import type { TaskState } from '../domain/types.ts';
import { judgeHealth } from '../domain/verdict.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';
import { parseTaskState } from './state.ts';

/** Check alarms: judge the step from the service's alarms over the bake, and record the verdict. */
export function makeCheckAlarmsHandler(deps: TaskDeps, logger?: Logger) {
  return taskHandler(
    { name: 'check-alarms', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment, progress } = state;
      const now = deps.clock.now();
      const since = new Date(progress.stepStartedAt ?? deployment.startedAt);
      const excused = new Set(deployment.alarmsFiringAtStart ?? []);
      const gating = deployment.alarms.filter((name) => !excused.has(name));
      const observations = await deps.alarms.observe(gating, since);
      const judged = judgeHealth(observations, deployment.insufficientData, now);
      const check =
        excused.size > 0
          ? {
              ...judged,
              reasons: [
                ...judged.reasons.filter((r) => !r.startsWith('no alarms are configured')),
                `left out, firing before the deployment started (allowed): ${[...excused].join(', ')}`,
              ],
            }
          : judged;
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'HealthChecked', `step-${progress.stepIndex + 1}#checked`, now, {
          detail: {
            step: progress.trafficStep,
            healthy: check.healthy,
            alarms: observations,
            reasons: check.reasons,
          },
        }),
      );
      return { ...state, check };
    },
  );
}
