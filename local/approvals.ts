import { auditEvent } from '../lambdas/domain/events.ts';
import { expandPlan, type StrategyName } from '../lambdas/domain/strategies/index.ts';
import type { ApprovalGate, TaskState } from '../lambdas/domain/types.ts';
import type { Store } from '../lambdas/ports/store.ts';
import type { TaskTime } from './engine.ts';
import { asFunction } from './function-scope.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** Whether the plan holds an approval step (a ring's rings are their own plans). */
export function hasApproval(strategy: StrategyName, plan: unknown): boolean {
  return expandPlan(strategy, plan).some((step) => step.kind === 'approval');
}

/** How local runs decide approvals: `auto` approves, `deny` denies, `after` approves after a delay. */
export type ApprovalMode = { mode: 'auto' } | { mode: 'deny' } | { mode: 'after'; seconds: number };

/** The gate `--approve` puts before the first production traffic, when the plan has no approval of its own. */
export const APPROVE_GATE: ApprovalGate = { timeoutSeconds: 3600, onTimeout: 'rollback' };

/**
 * Who answers an approval when the run does not decide it itself (`approve`): the local control
 * plane, which waits for the API's approve call. Given the callback task's payload; returns what
 * SendTaskSuccess would send, or throws `States.Timeout`.
 */
export type Approver = (
  payload: { state: TaskState; taskToken: string },
  /** The callback task's time: its timeout is what the ASL's TimeoutSecondsPath resolved to. */
  time: TaskTime,
  /** Request approval's invocation: its result says the gate's timeoutAt; its failure fails the task. */
  invocation: Promise<unknown>,
) => Promise<{ approved: boolean; by?: string }>;

/**
 * Answers an approval the way the local run was told to, as an approver calling
 * SendTaskSuccess would, and records the decision. Without `--approve` nobody answers: the
 * gate waits out its timeout in simulated time and its onTimeout decides.
 */
export async function decideApproval(
  store: Pick<Store, 'appendAuditEvent'>,
  payload: { state: TaskState },
  approve: ApprovalMode | undefined,
  clock: VirtualClock,
  time: TaskTime,
) {
  const { deployment, progress } = payload.state;
  // Nobody answering waits out the task's timeout: the one the ASL's TimeoutSecondsPath resolved to.
  const asked = !approve ? time.leftSeconds() : approve.mode === 'after' ? approve.seconds : 0;
  const waited = Math.min(asked, time.leftSeconds());
  clock.advanceBy(waited);
  // Throws States.Timeout once the wait has used up the task's time.
  time.pass(waited);
  const approved = approve?.mode !== 'deny';
  const by = `local:--approve ${approve?.mode ?? ''}`.trim();
  // What the API's approve writes on AWS.
  await asFunction('control:api', () =>
    store.appendAuditEvent(
      deployment.deploymentId,
      auditEvent(deployment, 'ApprovalDecided', `step-${progress.stepIndex + 1}#decision`, clock.now(), {
        detail: { approved, by, waitedSeconds: waited },
      }),
    ),
  );
  return { approved, by };
}
