import type { Logger } from '@aws-lambda-powertools/logger';
import { InvalidInputError, WeightsMismatchError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { capabilityOf, type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

/** Route segment: only requests that match the header or cookie rule reach the candidate. */
export function makeRouteSegmentHandler(
  deps: Pick<TaskDeps, 'clock' | 'providers' | 'store'>,
  logger?: Logger,
) {
  return taskHandler(
    { name: 'route-segment', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment, progress } = state;
      const step = progress.step;
      if (step?.kind !== 'segment') {
        throw new InvalidInputError(`progress.step must be a segment step, got ${step?.kind ?? 'none'}`);
      }
      const target = targetOf(deployment);
      const provider = deps.providers(deployment.provider, deployment.providerConfig);
      const segments = capabilityOf(provider, 'segments', deployment);
      await segments.setSegment(target, step.match);
      const actual = await segments.getSegment(target);
      if (JSON.stringify(actual) !== JSON.stringify(step.match)) {
        throw new WeightsMismatchError(
          `routed segment ${JSON.stringify(step.match)} but read back ${JSON.stringify(actual)}`,
        );
      }
      const now = deps.clock.now();
      const trafficStep = progress.trafficStep + 1;
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'SegmentRouted', `step-${progress.stepIndex + 1}#segment`, now, {
          detail: { step: trafficStep, match: step.match },
        }),
      );
      await deps.store.updateDeployment(deployment.deploymentId, { currentStep: trafficStep });
      return { ...state, progress: { ...progress, trafficStep, stepStartedAt: now.toISOString() } };
    },
  );
}
