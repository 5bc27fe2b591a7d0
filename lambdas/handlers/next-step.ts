import type { Logger } from '@aws-lambda-powertools/logger';
import { bakeFor } from '../domain/bakes.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { auditEvent } from '../domain/events.ts';
import { extensionSoFar } from '../domain/judge/extension.ts';
import { advance } from '../domain/plan.ts';
import type { Step } from '../domain/steps.ts';
import type { Progress, TaskState } from '../domain/types.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';
import { parseTaskState } from './state.ts';

/** A ring whose child execution just succeeded joins the completed rings (once, even on a retry). */
function recordRing(state: TaskState): TaskState['progress'] {
  const { progress, ringResult } = state;
  const step = progress.step;
  if (!ringResult || step?.kind !== 'ring') return progress;
  const completed = progress.completedRings ?? [];
  if (completed.some((r) => r.deploymentId === ringResult.deploymentId)) return progress;
  return { ...progress, completedRings: [...completed, { name: step.ring.name, ...ringResult }] };
}

/**
 * An approval whose timeout passed with `onTimeout: continue` reaches Next step (through _Approval
 * timed out_) with `States.Timeout` in `$.error`: the gate was skipped without a decision, which
 * the trail must say (with its reason), and the summary must stop showing it as pending.
 */
async function recordApprovalTimeout(
  deps: Pick<TaskDeps, 'clock' | 'store'>,
  state: TaskState,
): Promise<void> {
  const { deployment, progress, error } = state;
  const step = progress.step;
  if (error?.Error !== 'States.Timeout' || step?.kind !== 'approval') return;
  const id = deployment.deploymentId;
  const pending = (await deps.store.getDeployment(id))?.pendingApproval;
  await deps.store.appendAuditEvent(
    id,
    auditEvent(
      deployment,
      'ApprovalTimedOut',
      pending?.decisionKey ?? `step-${progress.stepIndex + 1}#decision`,
      deps.clock.now(),
      {
        detail: {
          onTimeout: step.onTimeout,
          timeoutSeconds: step.timeoutSeconds,
          ...(pending ? { requestedAt: pending.requestedAt, timeoutAt: pending.timeoutAt } : {}),
          reason: `no decision within ${step.timeoutSeconds}s; the plan says onTimeout: ${step.onTimeout}, so the rollout goes on without approval`,
        },
      },
    ),
  );
  if (pending) await deps.store.clearPendingApproval(id, pending.taskToken);
}

/**
 * The bake again, `check.extendBakeSeconds` long, with the cursor just before the check it came
 * from (so that Next step after it lands on that check again), watched as any bake is.
 */
function extendedBake(state: TaskState, now: Date): Progress | undefined {
  const seconds = state.check?.extendBakeSeconds;
  if (!seconds) return undefined;
  const { settling: _settling, ...current } = state.progress;
  const soFar = extensionSoFar(current);
  const step: Step = { kind: 'pause', seconds, label: 'bake (longer, for requests)' };
  const bake = bakeFor(step, current, state.deployment, now);
  return {
    ...current,
    stepIndex: current.stepIndex - 1,
    step,
    checkAt: new Date(now.getTime() + seconds * 1000).toISOString(),
    ...(bake ? { bake } : {}),
    bakeExtension: {
      step: current.trafficStep,
      rounds: (soFar?.rounds ?? 0) + 1,
      seconds: (soFar?.seconds ?? 0) + seconds,
    },
  };
}

/** The approval an inconclusive verdict holds the rollout with, with the analysis's timeout action. */
function holdFor(state: TaskState): Step | undefined {
  const judgment = state.check?.analysis;
  const hold = state.deployment.analysis?.hold;
  if (judgment?.verdict !== 'inconclusive' || !hold) return undefined;
  return {
    kind: 'approval',
    timeoutSeconds: hold.timeoutSeconds,
    onTimeout: hold.onTimeout,
    held: judgment.reasons,
  };
}

/**
 * Next step: move the plan's cursor. The state machine's Choice then routes on
 * `$.progress.step.kind`; a pause carries its due time in `$.progress.checkAt` for the Wait, and
 * a pause after a traffic move its bake (`$.progress.bake`) for the Bake task that watches the alarms.
 * A promote-now or abort asked for on the deployment (`control`) is honoured here, between
 * steps: promote jumps to the end (`done`), abort goes to the rollback path (`abort`). A shift
 * still settling (`progress.settling`) keeps the cursor where it is. An approval that timed out
 * and continues is recorded first (ApprovalTimedOut).
 */
export function makeNextStepHandler(deps: Pick<TaskDeps, 'clock' | 'store'>, logger?: Logger) {
  return taskHandler({ name: 'next-step', parse: parseTaskState, logger }, (state) =>
    nextStepOf(deps, state),
  );
}

/**
 * What Next step does, for the tasks that end their step by moving the cursor themselves (Shift
 * traffic, Check alarms: the step loop's two invocations, docs/adr/0005). `ran` and `checked`,
 * which those tasks leave for whoever reads the execution, are done with here like the rest.
 */
export async function nextStepOf(
  deps: Pick<TaskDeps, 'clock' | 'store'>,
  state: TaskState,
): Promise<TaskState> {
  // What the last step left behind (a verdict, a hook result, an approval, a timeout that was let through) is done with.
  const {
    check: _check,
    hook: _hook,
    approval: _approval,
    error: _error,
    ran: _ran,
    checked: _checked,
    ...rest
  } = state;
  await recordApprovalTimeout(deps, state);
  const control = (await deps.store.getDeployment(state.deployment.deploymentId))?.control;
  // An abort or promote-now ends a shift that is still settling.
  const { settling: _settling, ...current } = state.progress;
  if (control?.action === 'abort') {
    return { ...rest, progress: { ...current, step: { kind: 'abort', by: control.by } } };
  }
  if (control?.action === 'promote') {
    return { ...rest, progress: { ...current, step: { kind: 'done', promotedBy: control.by } } };
  }
  // A shift the provider has not finished stays the current step: Which step? waits and runs it again.
  if (state.progress.settling) return { ...rest, progress: state.progress };
  // Too few candidate requests yet: the bake goes on, and the same check runs again after it.
  const extended = state.check?.healthy ? extendedBake(state, deps.clock.now()) : undefined;
  if (extended) return { ...rest, progress: extended };
  // An inconclusive comparison holds the rollout where it is, for a person: an approval not in the plan.
  const held = state.check?.healthy ? holdFor(state) : undefined;
  if (held) return { ...rest, progress: { ...current, step: held } };
  const now = deps.clock.now();
  const advanced = advance(state.deployment.plan, recordRing(state), now);
  const bake = advanced.step && bakeFor(advanced.step as Step, advanced, state.deployment, now);
  const progress = bake ? { ...advanced, bake } : advanced;
  const { ringResult: _done, ...next } = rest;
  if (progress.step?.kind === 'ring') {
    const strategy = progress.step.ring.strategy ?? '';
    const arn = state.stateMachines?.[strategy];
    if (!arn)
      throw new InvalidInputError(
        `no state machine for ring ${progress.step.ring.name}'s strategy ${strategy}`,
      );
    return { ...next, progress: { ...progress, childStateMachineArn: arn } };
  }
  return { ...next, progress };
}
