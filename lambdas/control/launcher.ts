import { InvalidInputError, LockHeldError, ServiceNotFoundError, TransientError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { assertWithinQuotas } from '../domain/quotas.ts';
import { chooseStrategy } from '../domain/requests.ts';
import { expandPlan } from '../domain/strategies.ts';
import type { StrategyName } from '../domain/strategy-names.ts';
import { deploymentName } from '../domain/triggers.ts';
import type {
  ApprovalGate,
  AuditEventType,
  DeploymentRequest,
  DeploymentStatus,
  DeploymentSummary,
  Trigger,
} from '../domain/types.ts';
import { BASELINE_VERSION } from '../handlers/start-deployment.ts';
import type { QueueEntry } from '../ports/store.ts';
import type { ControlDeps } from './deps.ts';

/**
 * How long the launcher holds a lock for an execution it just started: Start deployment then
 * extends it to the plan's length. A start that never runs frees the service after this.
 */
const START_LOCK_SECONDS = 900;

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

/**
 * Accepts a deployment: validates it against the service's config, records it (QUEUED) unless
 * the same request was already recorded, queues it, and starts the head of the service's queue
 * if the lock is free. Nothing is written when the request is refused.
 */
export async function submitDeployment(deps: ControlDeps, input: SubmitRequest): Promise<Submitted> {
  const { store, clock } = deps;
  const config = await store.getServiceConfig(input.service);
  if (!config) throw new ServiceNotFoundError(`service ${input.service} is not registered`);
  const { strategy, rawPlan } = chooseStrategy(config, input);
  assertWithinQuotas({
    strategy,
    steps: expandPlan(strategy, rawPlan, input.gate ? { approvalGate: input.gate } : {}),
    provider: config.provider,
    ...(config.providerConfig ? { providerConfig: config.providerConfig } : {}),
    alarms: config.alarms,
  });
  const deploymentId = deploymentName(
    input.service,
    input.artifact.image,
    input.unique,
    input.artifact.digest,
  );
  const existing = await store.getDeployment(deploymentId);
  if (existing) return { deployment: await resumeRequest(deps, existing), duplicate: true };
  const live = (await store.getServiceStatus(input.service))?.liveVersion;
  if (live === input.artifact.image) {
    throw new InvalidInputError(`artifact.image ${input.artifact.image} is already live on ${input.service}`);
  }

  const now = clock.now().toISOString();
  const request: DeploymentRequest = {
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
