import type { Logger } from '@aws-lambda-powertools/logger';
import { WeightsMismatchError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { nextStep, sameWeights, splitWeights } from '../domain/plan.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

/**
 * Shift traffic: move the next step's share to the candidate, read it back, and compute when the
 * bake is over (`checkAt`, which the Bake state waits for). The step comes from the input alone,
 * so a retry lands on the same step and writes nothing new.
 */
export function makeShiftTrafficHandler(deps: TaskDeps, logger?: Logger) {
  return taskHandler(
    { name: 'shift-traffic', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment } = state;
      const { index, step, isFinal } = nextStep(deployment.plan, state.progress);
      const target = targetOf(deployment);
      const provider = deps.providers(deployment.provider);
      const wanted = splitWeights(deployment.stableVersion, deployment.candidateVersion, step.weight);
      await provider.setWeights(target, wanted);
      const actual = await provider.getWeights(target);
      if (!sameWeights(actual, wanted)) {
        throw new WeightsMismatchError(
          `wrote ${JSON.stringify(wanted)} but read back ${JSON.stringify(actual)} for ${deployment.service}`,
        );
      }
      const now = deps.clock.now();
      const checkAt = new Date(now.getTime() + step.bakeSeconds * 1000);
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'TrafficShifted', `step-${index + 1}#shifted`, now, {
          detail: { step: index + 1, weight: step.weight, weights: actual, bakeSeconds: step.bakeSeconds },
        }),
      );
      await deps.store.updateDeployment(deployment.deploymentId, { currentStep: index + 1, weights: actual });
      return {
        deployment,
        progress: {
          stepIndex: index,
          stepCount: deployment.plan.steps.length,
          weights: actual,
          isFinalStep: isFinal,
          stepStartedAt: now.toISOString(),
          checkAt: checkAt.toISOString(),
        },
      };
    },
  );
}
