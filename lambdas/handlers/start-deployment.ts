import type { Logger } from '@aws-lambda-powertools/logger';
import { PROVIDER_LIMITS } from '../adapters/traffic/providers.ts';
import { extendBakes } from '../domain/bakes.ts';
import * as compiled from '../domain/compiled-schemas.js';
import { InvalidInputError, ServiceNotFoundError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { checkHookHosts, redactHookUrls } from '../domain/hooks.ts';
import { initialProgress } from '../domain/plan.ts';
import { runPreflight } from '../domain/preflight.ts';
import { assertPlanWithinQuotas } from '../domain/quotas.ts';
import {
  BASELINE_VERSION,
  checkCandidate,
  checkProviderFits,
  chooseStrategy,
  resolveRings,
} from '../domain/requests.ts';
import { validator } from '../domain/schemas.ts';
import type { Step } from '../domain/steps.ts';
import { hooksOf, isTrafficStep } from '../domain/steps.ts';
import { expandPlan, promotesCandidate, ringOnFailure } from '../domain/strategies/index.ts';
import type { Deployment, DeploymentRequest, Plan, TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';

export { BASELINE_VERSION };

/** The lock outlives the plan's worst case by this much, so a crashed run cannot block the service forever. */
const LOCK_MARGIN_SECONDS = 3600;

const parse = validator<DeploymentRequest>(compiled.deploymentRequest, 'deployment');

/**
 * Start deployment: validate the request, expand the strategy's plan, snapshot the service's
 * config into the execution, take the service lock, create the summary and open the audit
 * trail. Re-running it for the same deployment id changes nothing.
 */
export function makeStartDeploymentHandler(
  deps: Pick<TaskDeps, 'alarms' | 'clock' | 'providers' | 'store'>,
  logger?: Logger,
) {
  return taskHandler({ name: 'start-deployment', parse, logger }, async (request): Promise<TaskState> => {
    const config = await deps.store.getServiceConfig(request.service);
    if (!config) throw new ServiceNotFoundError(`service ${request.service} is not registered`);
    checkCandidate(request.artifact.image, 'deployment.artifact.image', { baselineOn: config.provider });
    const { strategy, rawPlan } = chooseStrategy(config, request);
    checkProviderFits(config, strategy, PROVIDER_LIMITS, 'deployment.strategy');
    const written: Plan = {
      steps: await resolveRings(
        request.service,
        expandPlan(strategy, rawPlan, request.gate ? { approvalGate: request.gate } : {}),
        (service) => deps.store.getServiceConfig(service),
        PROVIDER_LIMITS,
      ),
    };
    checkHookHosts(hooksOf(written.steps), config.allowedHosts, 'plan', config.service);
    deps.providers(config.provider, config.providerConfig);
    const quotas = (steps: Step[]) => assertPlanWithinQuotas(config, strategy, steps);
    quotas(written.steps);
    const existing = await deps.store.getDeployment(request.deploymentId);
    if (existing && existing.status !== 'IN_PROGRESS' && existing.status !== 'QUEUED') {
      throw new InvalidInputError(`deployment ${request.deploymentId} already ended (${existing.status})`);
    }
    const preflight = await runPreflight(deps.alarms, config, {
      ...(request.allowFiringAlarms ? { allowFiringAlarms: true } : {}),
      principal: request.trigger.principal,
    });
    // A check sooner after a traffic move than the alarms can see would pass on silence: its bake
    // grows to their evaluation window (a ring's rings do this in their own executions).
    const bakes =
      strategy === 'ring' || !preflight.windowSeconds
        ? { steps: written.steps, extended: [] }
        : extendBakes(written.steps, preflight.windowSeconds);
    const plan: Plan = { steps: bakes.steps };
    // The lock lasts the worst case: every pause, approval timeout, hook retry, readiness and provider wait.
    const worst = quotas(plan.steps);
    const status = await deps.store.getServiceStatus(request.service);
    const stableVersion =
      (existing?.status === 'IN_PROGRESS' ? existing.stableVersion : undefined) ??
      status?.liveVersion ??
      BASELINE_VERSION;
    if (stableVersion === request.artifact.image) {
      throw new InvalidInputError(
        `artifact.image ${request.artifact.image} is already live on ${request.service}`,
      );
    }

    const now = deps.clock.now();
    await deps.store.acquireLock(
      request.service,
      request.deploymentId,
      now,
      worst.seconds + LOCK_MARGIN_SECONDS,
    );
    try {
      const { plan: _requested, ...rest } = request;
      const deployment: Deployment = {
        ...rest,
        strategy,
        environment: config.environment,
        provider: config.provider,
        ...(config.providerConfig ? { providerConfig: config.providerConfig } : {}),
        plan,
        alarms: config.alarms,
        ...(preflight.firingAllowed ? { alarmsFiringAtStart: preflight.firingAllowed } : {}),
        insufficientData: config.insufficientData,
        ...(bakes.extended.length > 0 ? { bakesExtendedTo: preflight.windowSeconds } : {}),
        stableVersion,
        candidateVersion: request.artifact.image,
        startedAt: existing?.startedAt ?? now.toISOString(),
        promotes: promotesCandidate(plan.steps),
        ...(strategy === 'ring' ? { ringOnFailure: ringOnFailure(strategy, rawPlan) } : {}),
        ...(config.analysis && strategy !== 'ring' ? { analysis: config.analysis } : {}),
      };
      const progress = {
        ...initialProgress(plan, deployment.stableVersion),
        ...(strategy === 'ring' ? { completedRings: [] } : {}),
      };
      await deps.store.createDeployment({
        ...(existing?.requestedAt ? { requestedAt: existing.requestedAt } : {}),
        ...(existing?.executionArn ? { executionArn: existing.executionArn } : {}),
        ...(request.reason ? { requestReason: request.reason } : {}),
        provider: config.provider,
        ...(config.providerConfig ? { providerConfig: config.providerConfig } : {}),
        deploymentId: deployment.deploymentId,
        service: deployment.service,
        environment: deployment.environment,
        strategy: deployment.strategy,
        artifact: deployment.artifact,
        stableVersion: deployment.stableVersion,
        candidateVersion: deployment.candidateVersion,
        status: 'IN_PROGRESS',
        currentStep: 0,
        stepCount: plan.steps.filter(isTrafficStep).length,
        weights: progress.weights,
        trigger: deployment.trigger,
        commitSha: deployment.commitSha,
        startedAt: deployment.startedAt,
      });
      await deps.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'DeploymentStarted', 'started', now, {
          detail: {
            strategy,
            plan: redactHookUrls(request.plan ?? config.plan),
            steps: plan.steps.length,
            stableVersion,
            preflight,
            ...(bakes.extended.length > 0
              ? { bakesExtended: { toSeconds: preflight.windowSeconds, checks: bakes.extended } }
              : {}),
            ...(request.reason ? { reason: request.reason } : {}),
          },
        }),
      );
      return { deployment, progress };
    } catch (error) {
      await deps.store.releaseLock(request.service, request.deploymentId).catch(() => undefined);
      throw error;
    }
  });
}
