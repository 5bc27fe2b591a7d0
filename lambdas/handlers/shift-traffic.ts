import type { Logger } from '@aws-lambda-powertools/logger';
import { InvalidInputError, NotReadyYetError, WeightsMismatchError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { sameWeights, splitWeights } from '../domain/plan.ts';
import { settled, settleLater } from '../domain/settle.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { type TaskDeps, targetOf } from './deps.ts';
import { nextStepOf } from './next-step.ts';
import { parseTaskState } from './state.ts';

/**
 * Shift traffic: apply the current setWeight step, read it back, note when traffic moved (alarms
 * are judged from then), and move on to the next step as Next step would. The weight comes from
 * the input alone, so a retry writes nothing new. A shift the provider has not finished keeps the
 * cursor where it is (`progress.settling`).
 */
export function makeShiftTrafficHandler(
  deps: Pick<TaskDeps, 'clock' | 'providers' | 'store'>,
  logger?: Logger,
) {
  return taskHandler(
    { name: 'shift-traffic', parse: parseTaskState, logger },
    async (state): Promise<TaskState> => {
      const { deployment, progress } = state;
      const step = progress.step;
      if (step?.kind !== 'setWeight') {
        throw new InvalidInputError(`progress.step must be a setWeight step, got ${step?.kind ?? 'none'}`);
      }
      const target = targetOf(deployment);
      const provider = deps.providers(deployment.provider, deployment.providerConfig);
      const wanted = splitWeights(deployment.stableVersion, deployment.candidateVersion, step.weight);
      try {
        await provider.setWeights(target, wanted);
      } catch (error) {
        if (!(error instanceof NotReadyYetError)) throw error;
        return settleLater(state, 'settling', error, deps.clock.now());
      }
      const actual = await provider.getWeights(target);
      if (!sameWeights(actual, wanted)) {
        throw new WeightsMismatchError(
          `wrote ${JSON.stringify(wanted)} but read back ${JSON.stringify(actual)} for ${deployment.service}`,
        );
      }
      const now = deps.clock.now();
      const trafficStep = progress.trafficStep + 1;
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'TrafficShifted', `step-${progress.stepIndex + 1}#shifted`, now, {
          detail: { step: trafficStep, label: step.label, weight: step.weight, weights: actual },
        }),
      );
      await deps.store.updateDeployment(deployment.deploymentId, {
        currentStep: trafficStep,
        weights: actual,
      });
      const shifted: TaskState = {
        ...state,
        progress: {
          ...settled(progress, 'settling'),
          trafficStep,
          weights: actual,
          stepStartedAt: now.toISOString(),
        },
      };
      // The step is done: move the cursor here, not in another invocation (the step loop, ADR 5).
      return { ...(await nextStepOf(deps, shifted)), ran: [step] };
    },
  );
}
