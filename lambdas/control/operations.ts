import {
  ConflictError,
  DeploymentNotFoundError,
  ResourceNotFoundError,
  ServiceNotFoundError,
} from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { defaultStrategyPlan } from '../domain/strategies/index.ts';
import type { AuditEvent, DeploymentSummary, LastVerdict, Trigger } from '../domain/types.ts';
import { ENDED_STATUSES } from '../domain/types.ts';
import { lastVerdictOf } from '../domain/verdict.ts';
import { BASELINE_VERSION } from '../handlers/start-deployment.ts';
import type { ControlDeps } from './deps.ts';
import { closeUnstarted, type Submitted, submitDeployment } from './launcher.ts';
import { reconcile } from './reconciler.ts';

/** What `GET /deployments/{id}` answers: the summary, where it stands, and why. */
export interface DeploymentView {
  deploymentId: string;
  service: string;
  environment: string;
  strategy: string;
  status: DeploymentSummary['status'];
  /** What it is doing now, in words: queued, at step 2 of 4, waiting for approval, ended. */
  phase: string;
  artifact: DeploymentSummary['artifact'];
  stableVersion: string;
  candidateVersion: string;
  weights: DeploymentSummary['weights'];
  /** Traffic steps run so far, of how many. */
  currentStep: number;
  stepCount: number;
  /** The last health check's verdict, with the alarms it read. */
  lastVerdict?: LastVerdict;
  /** Why it ended (or, while queued, what it waits for). */
  reason?: string;
  requestReason?: string;
  trigger: Trigger;
  requestedAt?: string;
  startedAt: string;
  endedAt?: string;
  pendingApproval?: { requestedAt: string; timeoutAt: string; onTimeout: string };
  control?: DeploymentSummary['control'];
  executionArn?: string;
  /** The execution in the Step Functions console (or the local server). */
  consoleUrl?: string;
}

function phaseOf(summary: DeploymentSummary, now: Date, queuedBehind?: string): string {
  if (summary.status === 'QUEUED') {
    if (summary.executionArn) return 'starting';
    return queuedBehind ? `queued behind ${queuedBehind}` : 'queued';
  }
  if (ENDED_STATUSES.includes(summary.status))
    return `ended: ${summary.status.toLowerCase().replace('_', ' ')}`;
  // A gate whose timeout passed has been decided by its onTimeout, whatever the summary still holds.
  if (summary.pendingApproval && new Date(summary.pendingApproval.timeoutAt) > now)
    return 'waiting for approval';
  if (summary.control) return `${summary.control.action} requested by ${summary.control.by}`;
  return summary.currentStep === 0
    ? 'preparing the candidate'
    : `step ${summary.currentStep} of ${summary.stepCount}`;
}

export async function getDeployment(deps: ControlDeps, deploymentId: string): Promise<DeploymentSummary> {
  const summary = await deps.store.getDeployment(deploymentId);
  if (!summary) throw new DeploymentNotFoundError(`deployment ${deploymentId} does not exist`);
  return summary;
}

/** The view of a deployment, with its last verdict from the audit trail. */
export async function viewDeployment(deps: ControlDeps, summary: DeploymentSummary): Promise<DeploymentView> {
  // The summary keeps the last verdict; one recorded before it did is found in its trail.
  const verdict =
    summary.lastVerdict ??
    (await (async () => {
      const trail: AuditEvent[] = await deps.store.listAuditEvents(summary.deploymentId);
      const check = trail.findLast((e) => e.type === 'HealthChecked');
      return check ? lastVerdictOf(check) : undefined;
    })());
  const lock = summary.status === 'QUEUED' ? await deps.store.getLock(summary.service) : undefined;
  const behind = lock && lock.holder !== summary.deploymentId ? lock.holder : undefined;
  const pending = summary.pendingApproval;
  return {
    deploymentId: summary.deploymentId,
    service: summary.service,
    environment: summary.environment,
    strategy: summary.strategy,
    status: summary.status,
    phase: phaseOf(summary, deps.clock.now(), behind),
    artifact: summary.artifact,
    stableVersion: summary.stableVersion,
    candidateVersion: summary.candidateVersion,
    weights: summary.weights,
    currentStep: summary.currentStep,
    stepCount: summary.stepCount,
    ...(verdict ? { lastVerdict: verdict } : {}),
    ...(summary.reason ? { reason: summary.reason } : {}),
    ...(summary.requestReason ? { requestReason: summary.requestReason } : {}),
    trigger: summary.trigger,
    ...(summary.requestedAt ? { requestedAt: summary.requestedAt } : {}),
    startedAt: summary.startedAt,
    ...(summary.endedAt ? { endedAt: summary.endedAt } : {}),
    ...(pending
      ? {
          pendingApproval: {
            requestedAt: pending.requestedAt,
            timeoutAt: pending.timeoutAt,
            onTimeout: pending.onTimeout,
          },
        }
      : {}),
    ...(summary.control ? { control: summary.control } : {}),
    ...(summary.executionArn
      ? { executionArn: summary.executionArn, consoleUrl: deps.executions.consoleUrl(summary.executionArn) }
      : {}),
  };
}

function assertRunning(summary: DeploymentSummary, verb: string): void {
  if (ENDED_STATUSES.includes(summary.status)) {
    throw new ConflictError(
      `deployment ${summary.deploymentId} already ended (${summary.status}); nothing to ${verb}`,
    );
  }
}

/**
 * Answers the approval a deployment waits for, as SendTaskSuccess with `{ approved, by }`, and
 * records the decision. Only one answer counts: the pending approval is cleared conditionally first.
 */
export async function decideApproval(
  deps: ControlDeps,
  deploymentId: string,
  decision: { approved: boolean; by: string; reason?: string; via?: 'approve' | 'resume' },
): Promise<DeploymentSummary> {
  const summary = await getDeployment(deps, deploymentId);
  assertRunning(summary, 'approve');
  const pending = summary.pendingApproval;
  if (!pending) throw new ConflictError(`deployment ${deploymentId} is not waiting for an approval`);
  const output = {
    approved: decision.approved,
    by: decision.by,
    ...(decision.reason ? { reason: decision.reason } : {}),
  };
  // Answer first: Step Functions takes one answer per token, and a send that fails (throttled,
  // say) leaves the approval pending for a retry. A token that is gone is cleared as well.
  try {
    await deps.executions.sendTaskSuccess(pending.taskToken, output);
  } catch (error) {
    if (error instanceof ConflictError)
      await deps.store.clearPendingApproval(deploymentId, pending.taskToken);
    throw error;
  }
  await deps.store.clearPendingApproval(deploymentId, pending.taskToken);
  await deps.store.appendAuditEvent(
    deploymentId,
    auditEvent(
      summary,
      'ApprovalDecided',
      pending.decisionKey ?? `approval@${pending.requestedAt}#decision`,
      deps.clock.now(),
      {
        detail: { ...output, via: decision.via ?? 'approve' },
      },
    ),
  );
  return getDeployment(deps, deploymentId);
}

/** Records a promote-now or abort on the summary, once: a second request, or one for an ended deployment, is a conflict. */
async function requestControl(
  deps: ControlDeps,
  summary: DeploymentSummary,
  action: 'abort' | 'promote',
  by: string,
  detail: Record<string, unknown>,
): Promise<void> {
  const { deploymentId } = summary;
  const at = deps.clock.now();
  if (!(await deps.store.requestControl(deploymentId, { action, by, at: at.toISOString() }))) {
    const now = await getDeployment(deps, deploymentId);
    assertRunning(now, action);
    throw new ConflictError(
      `deployment ${deploymentId} already has a ${now.control?.action} request from ${now.control?.by}`,
    );
  }
  await deps.store.appendAuditEvent(
    deploymentId,
    auditEvent(summary, 'ControlRequested', 'control', at, { detail }),
  );
}

/**
 * Aborts a deployment: a queued one is cancelled at once; a running one is stopped, and the
 * reconciler rolls it back, closes its trail with who aborted it and why, and frees the service.
 */
export async function abortDeployment(
  deps: ControlDeps,
  deploymentId: string,
  by: string,
  reason?: string,
): Promise<DeploymentSummary> {
  const summary = await getDeployment(deps, deploymentId);
  assertRunning(summary, 'abort');
  const who = reason ? `${by} (${reason})` : by;
  await requestControl(deps, summary, 'abort', who, { action: 'abort', by, ...(reason ? { reason } : {}) });
  if (summary.status === 'QUEUED' && !summary.executionArn) {
    await closeUnstarted(deps, summary, 'CANCELLED', `aborted by ${who} before it started`);
  } else if (summary.executionArn) {
    try {
      await deps.executions.stop(summary.executionArn, 'Stepwise.Aborted', `aborted by ${who}`);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundError)) throw error;
      // Its execution is gone (the server that ran it stopped, or it was never started): nothing
      // will end it, so the abort cleans up at once, as the reconciler would have.
      await reconcile(deps, {
        executionArn: summary.executionArn,
        name: deploymentId,
        status: 'ABORTED',
        cause: `aborted by ${who}; its execution no longer exists`,
      });
    }
  }
  return getDeployment(deps, deploymentId);
}

/**
 * Promote now: the rest of the plan is skipped at the next step boundary and the candidate takes
 * all traffic. A bake under way ends at once (its task token answered), so the boundary is now;
 * a hook's retry wait or an approval still runs to its end.
 */
export async function promoteDeployment(
  deps: ControlDeps,
  deploymentId: string,
  by: string,
): Promise<DeploymentSummary> {
  const summary = await getDeployment(deps, deploymentId);
  assertRunning(summary, 'promote');
  await requestControl(deps, summary, 'promote', by, { action: 'promote', by });
  const bake = await deps.store.getBake(summary.service);
  if (bake?.deploymentId === deploymentId && new Date(bake.until) > deps.clock.now()) {
    try {
      await deps.executions.sendTaskSuccess(bake.taskToken, { endedBy: by, reason: 'promote now' });
    } catch (error) {
      // The bake ended meanwhile: Next step sees the request all the same.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return getDeployment(deps, deploymentId);
}

/**
 * Rolls a service back by deploying an earlier version: the one the live version replaced, or a
 * named one, all at once. A rollback is the fix for a burning service, so alarms already firing do
 * not stop it (the trail says who rolled back while which alarms fired); the others still gate it.
 */
export async function rollbackService(
  deps: ControlDeps,
  service: string,
  options: { version?: string; reason?: string; trigger: Trigger; unique: string },
): Promise<Submitted> {
  const config = await deps.store.getServiceConfig(service);
  if (!config) throw new ServiceNotFoundError(`service ${service} is not registered`);
  const live = (await deps.store.getServiceStatus(service))?.liveVersion;
  let version = options.version;
  if (!version) {
    const history = await deps.store.listDeployments(service, 100);
    version = history.find((d) => d.status === 'SUCCEEDED' && d.candidateVersion === live)?.stableVersion;
    // Before its first Stepwise deployment a real service ran something Stepwise never named.
    if (version === BASELINE_VERSION && config.provider !== 'simulated') version = undefined;
    if (!version) {
      throw new ConflictError(
        `service ${service} has no previous version to roll back to (live: ${live ?? 'none'})`,
      );
    }
  }
  return submitDeployment(deps, {
    service,
    artifact: { image: version },
    strategy: 'all-at-once',
    plan: defaultStrategyPlan('all-at-once'),
    reason: options.reason ?? `rollback to ${version}${live ? ` from ${live}` : ''}`,
    allowFiringAlarms: true,
    trigger: options.trigger,
    unique: options.unique,
  });
}
