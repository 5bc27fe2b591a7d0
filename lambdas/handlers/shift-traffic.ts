import type { Logger } from '@aws-lambda-powertools/logger';
import {
  InvalidInputError,
  NotReadyYetError,
  ProviderError,
  WeightsMismatchError,
} from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { sameWeights, splitWeights } from '../domain/plan.ts';
import { DEFAULT_ROLLOUT_TIMEOUT_SECONDS, settlePollSeconds } from '../domain/quotas.ts';
import type { TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import { type TaskDeps, targetOf } from './deps.ts';
import { parseTaskState } from './state.ts';

/**
 * The provider is on its way (ECS still replacing tasks): the state machine waits until
 * `progress.checkAt` and runs the step again, 15 s, 30 s, then every 60 s, until the provider
 * config's `rolloutTimeoutSeconds` (default 600) runs out, which fails the step.
 */
function settling(state: TaskState, error: NotReadyYetError, now: Date): TaskState {
  const { deployment, progress } = state;
  const since = progress.settling?.since ?? now.toISOString();
  const polls = progress.settling?.polls ?? 0;
  const timeout = Number(deployment.providerConfig?.rolloutTimeoutSeconds ?? DEFAULT_ROLLOUT_TIMEOUT_SECONDS);
  const waited = (now.getTime() - new Date(since).getTime()) / 1000;
  if (waited >= timeout) {
    throw new ProviderError(
      `traffic did not reach the step's weight within ${timeout}s (providerConfig.rolloutTimeoutSeconds): ${error.message}`,
      { cause: error },
    );
  }
  const checkAt = new Date(now.getTime() + settlePollSeconds(polls) * 1000).toISOString();
  return {
    ...state,
    progress: { ...progress, checkAt, settling: { since, polls: polls + 1, detail: error.message } },
  };
}

/**
 * Shift traffic: apply the current setWeight step, read it back, and note when traffic moved
 * (alarms are judged from then). The weight comes from the input alone, so a retry writes nothing new.
 */
export function makeShiftTrafficHandler(deps: TaskDeps, logger?: Logger) {
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
        return settling(state, error, deps.clock.now());
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
      const { settling: _settled, checkAt: _due, ...rest } = progress;
      return {
        ...state,
        progress: { ...rest, trafficStep, weights: actual, stepStartedAt: now.toISOString() },
      };
    },
  );
}
