import type { Logger } from '@aws-lambda-powertools/logger';
import { CandidateNotReadyError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { comparisonAlarmFor } from '../domain/judge/comparison-alarm.ts';
import { customVersionMetrics } from '../domain/judge/metric-specs.ts';
import { DEFAULT_READY_TIMEOUT_SECONDS, READY_POLL_SECONDS } from '../domain/quotas.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

export { DEFAULT_READY_TIMEOUT_SECONDS, READY_POLL_SECONDS };

/**
 * Prepare candidate: bring the new version up beside the stable one, with no traffic; once it is
 * up, ask the provider where each version's metrics are (for a service with an analysis), so
 * that Check alarms reads CloudWatch alone, without the provider's permissions. A provider
 * that needs time (new tasks starting, a function update) answers `ready: false`; the state
 * machine waits until `progress.checkAt` and asks again, until the provider config's
 * `readyTimeoutSeconds` (default 900) runs out, which rolls back.
 */
export function makePrepareCandidateHandler(
  deps: Pick<TaskDeps, 'clock' | 'deploymentAlarms' | 'providers' | 'store'>,
  logger?: Logger,
) {
  return taskHandler(
    { name: 'prepare-candidate', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment, progress } = state;
      const provider = deps.providers(deployment.provider, deployment.providerConfig);
      const now = deps.clock.now();
      const since = progress.preparing?.since ?? now.toISOString();
      const result = await provider.prepare(targetOf(deployment));
      if (!result.ready) {
        const timeout = Number(
          deployment.providerConfig?.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS,
        );
        const waited = (now.getTime() - new Date(since).getTime()) / 1000;
        if (waited >= timeout) {
          throw new CandidateNotReadyError(
            `${deployment.candidateVersion} was not ready after ${Math.round(waited)}s: ${result.detail ?? 'no detail'}`,
          );
        }
        const checkAt = new Date(now.getTime() + READY_POLL_SECONDS * 1000).toISOString();
        return {
          ...state,
          progress: { ...progress, checkAt, preparing: { since, ready: false, detail: result.detail } },
        };
      }
      const weights = await provider.getWeights(targetOf(deployment));
      // Where each version's own metrics are, for the baseline comparison: known once the candidate is up.
      const versionMetrics = deployment.analysis?.metrics
        ? customVersionMetrics(deployment.analysis.metrics, deployment)
        : deployment.analysis && provider.versionMetrics
          ? await provider.versionMetrics(targetOf(deployment))
          : undefined;
      // The comparison's tripwire: an alarm for this deployment, watched in every bake, deleted at its end.
      const alarm =
        versionMetrics && deployment.analysis && deps.deploymentAlarms
          ? comparisonAlarmFor(deployment.deploymentId, versionMetrics, deployment.analysis)
          : undefined;
      if (alarm) {
        await deps.deploymentAlarms?.put(alarm);
        await deps.store.updateDeployment(deployment.deploymentId, { comparisonAlarms: [alarm.name] });
      }
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'CandidatePrepared', 'prepared', now, {
          detail: {
            weights,
            detail: result.detail,
            waitedSeconds: Math.round((now.getTime() - new Date(since).getTime()) / 1000),
            ...(versionMetrics ? { versionMetrics } : {}),
            ...(alarm ? { comparisonAlarm: alarm.name } : {}),
          },
        }),
      );
      const { checkAt: _checkAt, ...rest } = progress;
      return {
        ...state,
        progress: {
          ...rest,
          weights,
          preparing: { since, ready: true, detail: result.detail },
          ...(versionMetrics ? { versionMetrics } : {}),
          ...(alarm ? { comparisonAlarms: [alarm.name] } : {}),
        },
      };
    },
  );
}
