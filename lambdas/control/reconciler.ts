import { LockHeldError, TransientError, WeightsMismatchError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { sameWeights } from '../domain/plan.ts';
import { defaultStrategyPlan, ringOnFailure } from '../domain/strategies/index.ts';
import type { DeploymentStatus, DeploymentSummary, Weights } from '../domain/types.ts';
import { BASELINE_VERSION } from '../handlers/start-deployment.ts';
import type { ExecutionStatus } from '../ports/executions.ts';
import type { TrafficTarget } from '../ports/traffic.ts';
import type { ControlDeps } from './deps.ts';
import { closeDeployment, closeUnstarted, pumpQueue, submitDeployment } from './launcher.ts';

/** The reconciler holds the service while it restores traffic, so that the queue cannot start the next one meanwhile. */
const RESTORE_LOCK_SECONDS = 900;

/** An execution that ended, as the `Step Functions Execution Status Change` event tells it. */
export interface ExecutionEnded {
  executionArn: string;
  /** The execution's name: the deployment id. */
  name: string;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
  /** The execution input (a JSON string in the event). */
  input?: string;
}

export interface Reconciled {
  deploymentId: string;
  /** What the reconciler did; empty when the deployment had already cleaned up after itself. */
  actions: string[];
}

function endReason(ended: ExecutionEnded, summary: DeploymentSummary): string {
  if (ended.status === 'ABORTED') {
    const control = summary.control?.action === 'abort' ? summary.control.by : undefined;
    if (control?.startsWith('superseded by ')) return control;
    if (control) return `aborted by ${control}`;
    return `execution stopped${ended.cause ? `: ${ended.cause}` : ''}`;
  }
  if (ended.status === 'TIMED_OUT') return 'execution timed out';
  return `execution failed${ended.error ? ` with ${ended.error}` : ''}${ended.cause ? `: ${ended.cause}` : ''}`;
}

/** The execution input's deployment id and service: an execution started by hand may have any name. */
function inputOf(ended: ExecutionEnded): { deploymentId?: string; service?: string } {
  try {
    const input = JSON.parse(ended.input ?? '{}') as { deploymentId?: unknown; service?: unknown };
    return {
      ...(typeof input.deploymentId === 'string' ? { deploymentId: input.deploymentId } : {}),
      ...(typeof input.service === 'string' ? { service: input.service } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Cleans up after an execution ended, however it ended, without depending on its happy path:
 * traffic back to 100 % on the last good version, the audit trail closed with the reason, the
 * lock released, the next queued deployment started. Step Functions runs no Catch when an
 * execution is stopped or times out, and a rollback can fail for good; this is what restores
 * the invariants then. It is idempotent: a deployment that already closed itself is left as it is.
 */
export async function reconcile(deps: ControlDeps, ended: ExecutionEnded): Promise<Reconciled> {
  const { store } = deps;
  const actions: string[] = [];
  const input = inputOf(ended);
  const deploymentId = input.deploymentId ?? ended.name;
  const summary = await store.getDeployment(deploymentId);
  if (!summary) {
    // Started outside Stepwise's API (e.g. from the console) and refused before it recorded anything.
    if (input.service) {
      await store.releaseLock(input.service, deploymentId);
      await pumpQueue(deps, input.service);
    }
    return { deploymentId, actions };
  }
  if (ended.status === 'RUNNING') return { deploymentId, actions };
  const reason = endReason(ended, summary);

  if (summary.status === 'QUEUED') {
    // The execution ended before Start deployment recorded it (refused, or stopped early): nothing moved.
    await closeUnstarted(deps, summary, ended.status === 'ABORTED' ? 'CANCELLED' : 'FAILED', reason);
    actions.push(`closed as ${ended.status === 'ABORTED' ? 'CANCELLED' : 'FAILED'}: ${reason}`);
  } else if (summary.strategy !== 'ring') {
    // A ring's own traffic lives in its rings' executions, each reconciled on its own.
    let unrestorable: string | undefined;
    try {
      const restored = await restoreTraffic(deps, summary, reason);
      if (restored) actions.push(restored);
    } catch (error) {
      // Retried (Lambda, the sweep) while it may pass; a provider that cannot work (its resource is
      // gone, it refuses the call) would hold the service for ever: the deployment closes FAILED saying so.
      if (error instanceof TransientError || summary.status !== 'IN_PROGRESS') throw error;
      unrestorable = `traffic could not be checked or restored: ${(error as Error).message}`;
    }
    if (summary.status === 'IN_PROGRESS') {
      const live = (await store.getServiceStatus(summary.service))?.liveVersion;
      const promoted = live === summary.candidateVersion;
      const status: DeploymentStatus = unrestorable ? 'FAILED' : promoted ? 'SUCCEEDED' : 'ROLLED_BACK';
      const weights = { [promoted ? summary.candidateVersion : summary.stableVersion]: 100 };
      const closing = unrestorable ? `${reason}; ${unrestorable}` : reason;
      await closeDeployment(deps, summary, {
        status,
        reason: closing,
        ...(unrestorable ? {} : { weights }),
        detail: {
          executionStatus: ended.status,
          ...(unrestorable ? { trafficUnverified: true } : { weights }),
          liveVersion: live ?? summary.stableVersion,
          reconciled: true,
        },
      });
      actions.push(`closed as ${status}: ${closing}`);
    }
  } else if (summary.status === 'IN_PROGRESS') {
    const undone = await undoRings(deps, summary, reason);
    const closing = undone.length > 0 ? `${reason}; restoring ${undone.join(', ')}` : reason;
    await closeDeployment(deps, summary, {
      status: 'FAILED',
      reason: closing,
      detail: { executionStatus: ended.status, reconciled: true },
    });
    actions.push(`closed as FAILED: ${closing}`);
  }
  // The alarms made for it go with it, also when its execution ended without closing it.
  if (summary.comparisonAlarms?.length && deps.deploymentAlarms) {
    await deps.deploymentAlarms.remove(summary.comparisonAlarms);
    actions.push(`deleted its alarms: ${summary.comparisonAlarms.join(', ')}`);
  }
  await store.releaseLock(summary.service, summary.deploymentId);
  await pumpQueue(deps, summary.service);
  if (actions.length > 0) deps.logger?.info('reconciled', { deploymentId: summary.deploymentId, actions });
  return { deploymentId: summary.deploymentId, actions };
}

/**
 * A ring rollout cut short (aborted, superseded, timed out) never reached its own _Ring failed_
 * state, so the rings that finished are restored here as it would have: each by a deployment of
 * the version its ring replaced (all at once, still gated by that service's alarms), unless the
 * plan's `onFailure` is `keep`. A ring still on its way is its own execution, reconciled on its own.
 */
async function undoRings(deps: ControlDeps, summary: DeploymentSummary, reason: string): Promise<string[]> {
  const config = await deps.store.getServiceConfig(summary.service);
  const plan = (summary.request?.plan ?? config?.plan) as
    | { rings?: { name: string; service: string }[] }
    | undefined;
  if (!plan?.rings || ringOnFailure('ring', plan) === 'keep') return [];
  const undone: string[] = [];
  for (const ring of plan.rings) {
    const child = await deps.store.getDeployment(`${summary.deploymentId}-${ring.name}`);
    if (child?.status !== 'SUCCEEDED') continue;
    const live = (await deps.store.getServiceStatus(child.service))?.liveVersion;
    if (live !== child.candidateVersion) continue;
    const ringConfig = await deps.store.getServiceConfig(child.service);
    if (child.stableVersion === BASELINE_VERSION && ringConfig?.provider !== 'simulated') continue;
    const { deployment } = await submitDeployment(deps, {
      service: child.service,
      artifact: { image: child.stableVersion },
      strategy: 'all-at-once',
      plan: defaultStrategyPlan('all-at-once'),
      reason: `ring ${ring.name} of ${summary.deploymentId}, which ended: ${reason}`,
      trigger: summary.trigger,
      unique: `undo:${summary.deploymentId}:${ring.name}`,
    });
    undone.push(`ring ${ring.name} (${deployment.deploymentId})`);
  }
  return undone;
}

/**
 * Puts all traffic on the last good version if it is not there: the candidate if the promote
 * finished (the service's live version), the stable version otherwise. Reads back to be sure.
 */
async function restoreTraffic(
  deps: ControlDeps,
  summary: DeploymentSummary,
  reason: string,
): Promise<string | undefined> {
  const { store } = deps;
  const config = await store.getServiceConfig(summary.service);
  const kind = summary.provider ?? config?.provider;
  if (!kind) return undefined;
  const provider = deps.providers(kind, summary.providerConfig ?? config?.providerConfig);
  const target: TrafficTarget = {
    service: summary.service,
    stableVersion: summary.stableVersion,
    candidateVersion: summary.candidateVersion,
  };
  const live = (await store.getServiceStatus(summary.service))?.liveVersion;
  // Traffic is this deployment's to restore only while nothing came after it: a later deployment
  // changed the live version, or holds the service now (a late or replayed event must not undo it).
  if (live !== undefined && live !== summary.stableVersion && live !== summary.candidateVersion)
    return undefined;
  try {
    await store.acquireLock(summary.service, summary.deploymentId, deps.clock.now(), RESTORE_LOCK_SECONDS);
  } catch (error) {
    if (error instanceof LockHeldError) return undefined;
    throw error;
  }
  const good = live === summary.candidateVersion ? summary.candidateVersion : summary.stableVersion;
  const before: Weights = await provider.getWeights(target);
  const settled = sameWeights(before, { [good]: 100 }) && !(await provider.segments?.getSegment(target));
  // A deployment that ended closed had its own rollback or promote; one cut short gets them again,
  // both idempotent, since weights alone do not show a stopped version (recreate) or a half-made change.
  if (settled && summary.status !== 'IN_PROGRESS') return undefined;
  if (good === summary.candidateVersion) await provider.promote(target);
  else await provider.rollback(target);
  const after = await provider.getWeights(target);
  if (settled && sameWeights(after, before)) return undefined;
  if (!sameWeights(after, { [good]: 100 })) {
    throw new WeightsMismatchError(
      `restored ${summary.service} to ${good} but read back ${JSON.stringify(after)}`,
    );
  }
  await store.appendAuditEvent(
    summary.deploymentId,
    auditEvent(summary, 'Reconciled', 'reconciled', deps.clock.now(), {
      rollback: good === summary.stableVersion,
      version: good,
      detail: { reason, from: before, to: after },
    }),
  );
  await store.updateDeployment(summary.deploymentId, { weights: after });
  return `traffic restored to ${good} (was ${JSON.stringify(before)})`;
}
