import type { Logger } from '@aws-lambda-powertools/logger';
import { InvalidInputError, ServiceNotFoundError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { initialProgress, validatePlan } from '../domain/plan.ts';
import { deploymentRequestSchema, validator } from '../domain/schemas.ts';
import type { Deployment, DeploymentRequest, TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';

/** The version that holds traffic for a service that has never been deployed by Stepwise. */
export const BASELINE_VERSION = 'baseline (simulated)';
/** The lock outlives the longest plan by this much, so a crashed run cannot block the service forever. */
const LOCK_MARGIN_SECONDS = 3600;

const parse = validator<DeploymentRequest>(deploymentRequestSchema, 'deployment');

/**
 * Start deployment: validate the request, snapshot the service's config into the execution, take
 * the service lock, create the summary and open the audit trail. Re-running it for the same
 * deployment id changes nothing.
 */
export function makeStartDeploymentHandler(deps: TaskDeps, logger?: Logger) {
  return taskHandler({ name: 'start-deployment', parse, logger }, async (request): Promise<TaskState> => {
    const config = await deps.store.getServiceConfig(request.service);
    if (!config) throw new ServiceNotFoundError(`service ${request.service} is not registered`);
    const plan = validatePlan(request.plan ?? config.plan, request.plan ? 'deployment.plan' : 'service.plan');
    deps.providers(config.provider);
    const status = await deps.store.getServiceStatus(request.service);
    const stableVersion = status?.liveVersion ?? BASELINE_VERSION;
    if (stableVersion === request.artifact.image) {
      throw new InvalidInputError(
        `artifact.image ${request.artifact.image} is already live on ${request.service}`,
      );
    }

    const existing = await deps.store.getDeployment(request.deploymentId);
    if (existing && existing.status !== 'IN_PROGRESS') {
      throw new InvalidInputError(`deployment ${request.deploymentId} already ended (${existing.status})`);
    }
    const now = deps.clock.now();
    const planSeconds = plan.steps.reduce((sum, s) => sum + s.bakeSeconds, 0);
    await deps.store.acquireLock(
      request.service,
      request.deploymentId,
      now,
      planSeconds + LOCK_MARGIN_SECONDS,
    );
    try {
      const deployment: Deployment = {
        ...request,
        environment: config.environment,
        provider: config.provider,
        plan,
        alarms: config.alarms,
        insufficientData: config.insufficientData,
        stableVersion: existing?.stableVersion ?? stableVersion,
        candidateVersion: request.artifact.image,
        startedAt: existing?.startedAt ?? now.toISOString(),
      };
      const progress = initialProgress(plan, deployment.stableVersion);
      await deps.store.createDeployment({
        deploymentId: deployment.deploymentId,
        service: deployment.service,
        environment: deployment.environment,
        strategy: deployment.strategy,
        artifact: deployment.artifact,
        stableVersion: deployment.stableVersion,
        candidateVersion: deployment.candidateVersion,
        status: 'IN_PROGRESS',
        currentStep: 0,
        stepCount: progress.stepCount,
        weights: progress.weights,
        trigger: deployment.trigger,
        commitSha: deployment.commitSha,
        startedAt: deployment.startedAt,
      });
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'DeploymentStarted', 'started', now, {
          detail: { strategy: deployment.strategy, plan, stableVersion: deployment.stableVersion },
        }),
      );
      return { deployment, progress };
    } catch (error) {
      await deps.store.releaseLock(request.service, request.deploymentId).catch(() => undefined);
      throw error;
    }
  });
}
