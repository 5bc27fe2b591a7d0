import type { Logger } from '@aws-lambda-powertools/logger';
import { InvalidInputError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { capabilityOf, type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

/**
 * Recreate: stop the stable version (downtime begins), or start the candidate with all traffic
 * (downtime ends, and how long it lasted goes to the audit trail and the summary).
 */
export function makeRecreateStepHandler(
  deps: Pick<TaskDeps, 'clock' | 'providers' | 'store'>,
  logger?: Logger,
) {
  return taskHandler(
    { name: 'recreate-step', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment, progress } = state;
      const step = progress.step;
      const target = targetOf(deployment);
      const provider = deps.providers(deployment.provider, deployment.providerConfig);
      const now = deps.clock.now();
      const key = `step-${progress.stepIndex + 1}#${step?.kind}`;
      if (step?.kind === 'stopStable') {
        await capabilityOf(provider, 'stopStart', deployment).stopVersion(target, deployment.stableVersion);
        // On a retry the stored event wins: downtime counts from the first stop, not the retry.
        const stopped = await deps.store.appendAuditEvent(
          deployment.deploymentId,
          auditEvent(deployment, 'VersionStopped', key, now, {
            version: deployment.stableVersion,
            detail: { downSince: progress.downSince ?? now.toISOString() },
          }),
        );
        const downSince = String(stopped.detail?.downSince ?? now.toISOString());
        return { ...state, progress: { ...progress, downSince } };
      }
      if (step?.kind === 'startCandidate') {
        await capabilityOf(provider, 'stopStart', deployment).startVersion(
          target,
          deployment.candidateVersion,
        );
        const weights = await provider.getWeights(target);
        const downtimeSeconds = progress.downSince
          ? Math.round((now.getTime() - new Date(progress.downSince).getTime()) / 1000)
          : 0;
        const trafficStep = progress.trafficStep + 1;
        await deps.store.appendAuditEvent(
          deployment.deploymentId,
          auditEvent(deployment, 'VersionStarted', key, now, {
            detail: { step: trafficStep, weights, downtimeSeconds },
          }),
        );
        await deps.store.updateDeployment(deployment.deploymentId, {
          currentStep: trafficStep,
          weights,
          downtimeSeconds,
        });
        return {
          ...state,
          progress: { ...progress, trafficStep, weights, downtimeSeconds, stepStartedAt: now.toISOString() },
        };
      }
      throw new InvalidInputError(
        `progress.step must be stopStable or startCandidate, got ${step?.kind ?? 'none'}`,
      );
    },
  );
}
