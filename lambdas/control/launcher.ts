import { PROVIDER_LIMITS } from '../adapters/traffic/providers.ts';
import * as compiled from '../domain/compiled-schemas.js';
import { InvalidInputError, LockHeldError, TransientError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { checkHookHosts } from '../domain/hooks.ts';
import { assertPlanWithinQuotas } from '../domain/quotas.ts';
import {
  BASELINE_VERSION,
  checkCandidate,
  checkProviderFits,
  chooseStrategy,
  requireService,
  resolveRings,
} from '../domain/requests.ts';
import { validator } from '../domain/schemas.ts';
import { hooksOf, type Step } from '../domain/steps.ts';
import { expandPlan } from '../domain/strategies/index.ts';
import type { StrategyName } from '../domain/strategy-names.ts';
import { deploymentName } from '../domain/triggers.ts';
import type {
  ApprovalGate,
  AuditEventType,
  DeploymentRequest,
  DeploymentStatus,
  DeploymentSummary,
  ServiceConfig,
  Trigger,
} from '../domain/types.ts';
import type { QueueEntry } from '../ports/store.ts';
import type { ControlDeps } from './deps.ts';

/**
 * How long the launcher holds a lock for an execution it just started: Start deployment then
 * extends it to the plan's length. A start that never runs frees the service after this.
 */
const START_LOCK_SECONDS = 900;

/** Start deployment's own check of its input, run before the request is recorded. */
const checkExecutionInput = validator<DeploymentRequest>(compiled.deploymentRequest, 'deployment');

/** A deployment someone asked for: by image push (dispatch), the API or the CLI. */
export interface SubmitRequest {
  service: string;
  artifact: { image: string; digest?: string };
  strategy?: StrategyName;
  plan?: unknown;
  gate?: ApprovalGate;
  reason?: string;
  allowFiringAlarms?: boolean;
  commitSha?: string;
  trigger: Trigger;
  /**
   * What makes this request itself: the same value names the same deployment, so a second
   * delivery of it starts nothing (dispatch: service and image digest; the API: the
   * Idempotency-Key, or a fresh id).
   */
  unique: string;
}

export interface Submitted {
  deployment: DeploymentSummary;
  /** True when a deployment with this name already existed: nothing new was started. */
  duplicate: boolean;
}

/** What checkSubmission found: the request is sound, and this is what it deploys with. */
export interface CheckedSubmission {
  config: ServiceConfig;
  strategy: StrategyName;
  deploymentId: string;
  /** The deployment this request already recorded (a second delivery), if any. */
  existing?: DeploymentSummary;
  /** The service's live version before this deployment. */
  live?: string;
}

/**
 * Refuses a plan whose HTTP hooks call a host their service does not register: the service's
 * own hooks against its `allowedHosts`, a ring's own plan against its ring service's.
 */
async function checkPlanHosts(deps: ControlDeps, config: ServiceConfig, steps: Step[]): Promise<void> {
  checkHookHosts(hooksOf(steps), config.allowedHosts, 'plan', config.service);
  for (const step of steps) {
    if (step.kind !== 'ring' || !step.ring.strategy || step.ring.plan === undefined) continue;
    const ringConfig = await deps.store.getServiceConfig(step.ring.service);
    if (!ringConfig) continue;
    checkHookHosts(
      hooksOf(expandPlan(step.ring.strategy as StrategyName, step.ring.plan)),
      ringConfig.allowedHosts,
      `plan ring ${step.ring.name}`,
      ringConfig.service,
    );
  }
}

/**
 * Every refusal a deployment request can meet before it is recorded, so that nothing is written
 * (not a summary, not a queue entry, not a digest claim) for a request that Start deployment
 * would refuse: the service is registered, the version is an image reference (or an S3 .zip),
 * the plan fits its strategy and the strategy its provider, each ring names another registered
 * service that is not a ring rollout, the execution input passes Start deployment's schema, and
 * the version is not already live (unless this very request was recorded before).
 */
export async function checkSubmission(deps: ControlDeps, input: SubmitRequest): Promise<CheckedSubmission> {
  const { store } = deps;
  const lookup = (service: string) => store.getServiceConfig(service);
  const config = await requireService(input.service, lookup);
  checkCandidate(input.artifact.image, 'artifact.image', { baselineOn: config.provider });
  const { strategy, rawPlan } = chooseStrategy(config, input);
  checkProviderFits(config, strategy, PROVIDER_LIMITS, 'strategy');
  const steps = expandPlan(strategy, rawPlan, input.gate ? { approvalGate: input.gate } : {});
  await resolveRings(input.service, steps, lookup, PROVIDER_LIMITS);
  await checkPlanHosts(deps, config, steps);
  assertPlanWithinQuotas(config, strategy, steps);
  const deploymentId = deploymentName(
    input.service,
    input.artifact.image,
    input.unique,
    input.artifact.digest,
  );
  checkExecutionInput(executionInput(deploymentId, input));
  const existing = await store.getDeployment(deploymentId);
  const live = (await store.getServiceStatus(input.service))?.liveVersion;
  if (!existing && live === input.artifact.image) {
    throw new InvalidInputError(`artifact.image ${input.artifact.image} is already live on ${input.service}`);
  }
  return { config, strategy, deploymentId, ...(existing ? { existing } : {}), ...(live ? { live } : {}) };
}

/** The execution input of a request: what Start deployment receives. */
function executionInput(deploymentId: string, input: SubmitRequest): DeploymentRequest {
  return {
    deploymentId,
    service: input.service,
    artifact: input.artifact,
    ...(input.strategy ? { strategy: input.strategy } : {}),
    ...(input.plan !== undefined ? { plan: input.plan } : {}),
    ...(input.gate ? { gate: input.gate } : {}),
    trigger: input.trigger,
    ...(input.commitSha ? { commitSha: input.commitSha } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.allowFiringAlarms ? { allowFiringAlarms: true } : {}),
  };
}

/**
 * Accepts a deployment: checks it (checkSubmission), records it (QUEUED) unless the same request
 * was already recorded, queues it, and starts the head of the service's queue if the lock is
 * free. Nothing is written when the request is refused.
 */
export async function submitDeployment(deps: ControlDeps, input: SubmitRequest): Promise<Submitted> {
  const { store, clock } = deps;
  const { config, strategy, deploymentId, existing, live } = await checkSubmission(deps, input);
  if (existing) return { deployment: await resumeRequest(deps, existing), duplicate: true };

  const now = clock.now().toISOString();
  const request = executionInput(deploymentId, input);
  const stableVersion = live ?? BASELINE_VERSION;
  const summary: DeploymentSummary = {
    deploymentId,
    service: input.service,
    environment: config.environment,
    strategy,
    artifact: input.artifact,
    stableVersion,
    candidateVersion: input.artifact.image,
    status: 'QUEUED',
    currentStep: 0,
    stepCount: 0,
    weights: { [stableVersion]: 100 },
    trigger: input.trigger,
    ...(input.commitSha ? { commitSha: input.commitSha } : {}),
    ...(input.reason ? { requestReason: input.reason } : {}),
    startedAt: now,
    requestedAt: now,
    request,
  };
  if (!(await store.requestDeployment(summary))) {
    const first = await store.getDeployment(deploymentId);
    if (first) return { deployment: first, duplicate: true };
  }
  await store.appendAuditEvent(
    deploymentId,
    auditEvent(summary, 'DeploymentRequested', 'requested', clock.now(), {
      status: 'QUEUED',
      detail: {
        strategy,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.allowFiringAlarms ? { allowFiringAlarms: true } : {}),
      },
    }),
  );
  await store.enqueue(input.service, { deploymentId, requestedAt: now });
  await pumpQueue(deps, input.service);
  return { deployment: (await store.getDeployment(deploymentId)) ?? summary, duplicate: false };
}

/**
 * A second delivery of a request that was recorded but never started (the first delivery stopped
 * between recording and queueing): queue it again (the same item) and pump, so it is not stranded.
 */
async function resumeRequest(deps: ControlDeps, existing: DeploymentSummary): Promise<DeploymentSummary> {
  if (existing.status !== 'QUEUED' || existing.executionArn || !existing.requestedAt) return existing;
  await deps.store.enqueue(existing.service, {
    deploymentId: existing.deploymentId,
    requestedAt: existing.requestedAt,
  });
  await pumpQueue(deps, existing.service);
  return (await deps.store.getDeployment(existing.deploymentId)) ?? existing;
}

const CLOSING_EVENT: Record<Exclude<DeploymentStatus, 'QUEUED' | 'IN_PROGRESS'>, AuditEventType> = {
  SUCCEEDED: 'DeploymentSucceeded',
  ROLLED_BACK: 'DeploymentRolledBack',
  FAILED: 'DeploymentFailed',
  CANCELLED: 'DeploymentCancelled',
};

/**
 * Closes a deployment from the control plane: its one closing event (keyed `closed`, so a repeat
 * finds the first), then its summary's status, reason and end.
 */
export async function closeDeployment(
  deps: ControlDeps,
  summary: DeploymentSummary,
  close: {
    status: keyof typeof CLOSING_EVENT;
    reason: string;
    weights?: DeploymentSummary['weights'];
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  const now = deps.clock.now();
  const { status, reason, weights } = close;
  await deps.store.appendAuditEvent(
    summary.deploymentId,
    auditEvent(summary, CLOSING_EVENT[status], 'closed', now, {
      status,
      rollback: status === 'ROLLED_BACK',
      detail: { reason, ...close.detail },
    }),
  );
  await deps.store.updateDeployment(summary.deploymentId, {
    status,
    reason,
    ...(weights ? { weights } : {}),
    endedAt: now.toISOString(),
  });
}

/** Ends a deployment that never started: CANCELLED (or FAILED), its trail closed, out of the queue. */
export async function closeUnstarted(
  deps: ControlDeps,
  summary: DeploymentSummary,
  status: 'CANCELLED' | 'FAILED',
  reason: string,
): Promise<void> {
  await closeDeployment(deps, summary, { status, reason, detail: { liveVersion: summary.stableVersion } });
  if (summary.requestedAt) {
    await deps.store.dequeue(summary.service, {
      deploymentId: summary.deploymentId,
      requestedAt: summary.requestedAt,
    });
  }
}

/**
 * Asks the deployment holding the lock to stop for a newer one (the `supersede` policy): records
 * why on it, then stops its execution. The reconciler rolls it back, frees the lock and pumps
 * the queue again, which starts the newer one.
 */
async function supersede(deps: ControlDeps, holderId: string, newest: QueueEntry): Promise<boolean> {
  const holder = await deps.store.getDeployment(holderId);
  if (!holder?.executionArn || (holder.status !== 'IN_PROGRESS' && holder.status !== 'QUEUED')) return false;
  const by = `superseded by ${newest.deploymentId}`;
  const asked = await deps.store.requestControl(holderId, {
    action: 'abort',
    by,
    at: deps.clock.now().toISOString(),
  });
  if (asked) {
    await deps.store.appendAuditEvent(
      holderId,
      auditEvent(holder, 'DeploymentSuperseded', 'superseded', deps.clock.now(), {
        detail: { by: newest.deploymentId },
      }),
    );
  }
  await deps.executions.stop(holder.executionArn, 'Stepwise.Superseded', by);
  return true;
}

/**
 * Starts the oldest queued deployment of a service if nobody holds its lock (under `supersede`,
 * the newest, and the older ones are cancelled). Safe to call any number of times, from
 * anywhere: the lock's conditional write lets one caller start it, and Step Functions'
 * execution names make a repeated start a no-op.
 */
export async function pumpQueue(deps: ControlDeps, service: string): Promise<void> {
  const { store, clock, executions } = deps;
  for (;;) {
    const queue = await store.listQueue(service);
    if (queue.length === 0) return;
    const config = await store.getServiceConfig(service);
    const supersedes = config?.concurrency === 'supersede';
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    const lock = await store.getLock(service);
    const held = lock && lock.expiresAt > nowSeconds && !queue.some((q) => q.deploymentId === lock.holder);
    if (held) {
      const newest = queue.at(-1) as QueueEntry;
      if (supersedes) await supersede(deps, lock.holder, newest);
      await noteQueued(deps, queue, lock.holder, supersedes);
      return;
    }
    if (supersedes && queue.length > 1) {
      const newest = queue.at(-1) as QueueEntry;
      for (const older of queue.slice(0, -1)) {
        const summary = await store.getDeployment(older.deploymentId);
        if (summary?.status === 'QUEUED' && !summary.executionArn) {
          await closeUnstarted(
            deps,
            summary,
            'CANCELLED',
            `superseded by ${newest.deploymentId} before it started`,
          );
        } else await store.dequeue(service, older);
      }
      continue;
    }
    const head = queue[0] as QueueEntry;
    const summary = await store.getDeployment(head.deploymentId);
    if (summary?.status !== 'QUEUED' || !summary.request) {
      await store.dequeue(service, head);
      continue;
    }
    if (summary.control?.action === 'abort') {
      await closeUnstarted(deps, summary, 'CANCELLED', `aborted by ${summary.control.by} before it started`);
      continue;
    }
    try {
      await store.acquireLock(service, head.deploymentId, clock.now(), START_LOCK_SECONDS);
    } catch (error) {
      if (error instanceof LockHeldError) return;
      throw error;
    }
    const strategy = (summary.request.strategy ?? summary.strategy) as StrategyName;
    try {
      const { executionArn } = await executions.start(strategy, summary.request);
      await store.updateDeployment(head.deploymentId, { executionArn });
      await store.dequeue(service, head);
      deps.logger?.info('deployment started', { deploymentId: head.deploymentId, service, executionArn });
      return;
    } catch (error) {
      await store.releaseLock(service, head.deploymentId);
      if (error instanceof TransientError) throw error;
      await closeUnstarted(deps, summary, 'FAILED', `could not start: ${(error as Error).message}`);
    }
  }
}

/** The trail of each queued deployment says once what it waits for. */
async function noteQueued(
  deps: ControlDeps,
  queue: QueueEntry[],
  holder: string,
  supersedes: boolean,
): Promise<void> {
  for (const entry of queue) {
    const summary = await deps.store.getDeployment(entry.deploymentId);
    if (summary?.status !== 'QUEUED') continue;
    await deps.store.appendAuditEvent(
      entry.deploymentId,
      auditEvent(summary, 'DeploymentQueued', 'queued', deps.clock.now(), {
        status: 'QUEUED',
        detail: {
          behind: holder,
          policy: supersedes ? 'supersede' : 'queue',
          reason: supersedes
            ? `${holder} is being stopped for it; it starts once ${holder} has rolled back`
            : `${holder} holds the service; it starts when ${holder} ends`,
        },
      }),
    );
  }
}
