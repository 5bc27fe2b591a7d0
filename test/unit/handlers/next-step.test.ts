import { describe, expect, it } from 'vitest';
import { initialProgress } from '../../../lambdas/domain/plan.ts';
import { expandPlan, type StrategyName } from '../../../lambdas/domain/strategies/index.ts';
import type { Deployment, TaskState } from '../../../lambdas/domain/types.ts';
import { makeNextStepHandler } from '../../../lambdas/handlers/next-step.ts';
import {
  canaryPlan,
  deploymentRequest,
  deploymentSummary,
  invoke,
  silentLogger,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();

/** The state a Next step receives right after Prepare candidate. */
function started(strategy: StrategyName, plan: unknown, gate?: Deployment['gate']): TaskState {
  const steps = expandPlan(strategy, plan, gate ? { approvalGate: gate } : {});
  const deployment: Deployment = {
    ...deploymentRequest({ service: unique('svc'), deploymentId: unique('dep') }),
    strategy,
    environment: 'prod',
    provider: 'simulated',
    plan: { steps },
    alarms: [],
    insufficientData: 'healthy',
    stableVersion: 'shop:1.0',
    candidateVersion: 'shop:2.0',
    startedAt: T0.toISOString(),
    promotes: true,
  };
  return { deployment, progress: initialProgress(deployment.plan, deployment.stableVersion) };
}

const next = (state: TaskState) =>
  invoke(makeNextStepHandler(taskDeps(local.store()), silentLogger()), state);

/** Records a promote-now or abort request on the deployment's summary, as the CLI does. */
async function control(state: TaskState, action: 'promote' | 'abort', by = 'alice@ops') {
  const { deploymentId, service } = state.deployment;
  await local.store().createDeployment(deploymentSummary({ deploymentId, service }));
  await local.store().updateDeployment(deploymentId, { control: { action, by, at: T0.toISOString() } });
}

describe('next-step', () => {
  it('keeps the cursor on a shift the provider has not finished, and lets an abort end it', async () => {
    const first = await next(started('canary', canaryPlan(10, 100)));
    expect(first.progress.step).toMatchObject({ kind: 'setWeight', weight: 10 });
    const settling = {
      ...first,
      progress: {
        ...first.progress,
        checkAt: '2026-01-01T00:00:15.000Z',
        settling: { since: T0.toISOString(), polls: 1 },
      },
    };

    expect((await next(settling)).progress).toEqual(settling.progress);
    await control(settling, 'abort');
    const aborted = await next(settling);
    expect(aborted.progress.step).toEqual({ kind: 'abort', by: 'alice@ops' });
    expect(aborted.progress.settling).toBeUndefined();
  });

  it('puts the cursor on the first step of the plan', async () => {
    const state = started('canary', canaryPlan(10, 100));
    expect((await next(state)).progress).toEqual({
      ...state.progress,
      stepIndex: 0,
      step: { kind: 'setWeight', weight: 10 },
    });
  });

  it('gives a pause the time it is due, from the clock', async () => {
    const atPause = await next(await next(started('canary', canaryPlan(10, 100))));
    expect(atPause.progress).toMatchObject({
      stepIndex: 1,
      step: { kind: 'pause', seconds: 300, label: 'bake' },
      checkAt: new Date(T0.getTime() + 300_000).toISOString(),
    });
  });

  it('walks every step of the plan in order, then says done', async () => {
    let state = started('recreate', { startupSeconds: 5, bakeSeconds: 60 });
    const kinds: string[] = [];
    do {
      state = await next(state);
      kinds.push(state.progress.step?.kind ?? 'none');
    } while (state.progress.step?.kind !== 'done');
    expect(kinds).toEqual(['stopStable', 'pause', 'startCandidate', 'pause', 'check', 'done']);
  });

  it('drops the verdicts of the step it leaves: check, hook and approval', async () => {
    const state = await next(started('canary', canaryPlan(10, 100)));
    const verdicts: TaskState = {
      ...state,
      check: { healthy: true, checkedAt: T0.toISOString(), alarms: [], reasons: [] },
      hook: { passed: true, attempt: 2, retriesLeft: 0, detail: 'smoke: answered 200' },
      approval: { approved: true, by: 'alice' },
      progress: { ...state.progress, hookAttempt: 2 },
    };
    const moved = await next(verdicts);
    expect(moved).not.toHaveProperty('check');
    expect(moved).not.toHaveProperty('hook');
    expect(moved).not.toHaveProperty('approval');
    expect(moved.progress).not.toHaveProperty('hookAttempt');
    expect(moved.deployment).toEqual(state.deployment);
  });

  it('lands on the same step when retried with the same input', async () => {
    const state = await next(started('linear', { stepPercent: 50, intervalSeconds: 60 }));
    const [first, retried] = [await next(state), await next(state)];
    expect(retried).toEqual(first);
  });

  it('refuses a state without progress, naming the field', async () => {
    const { progress: _, ...noProgress } = started('canary', canaryPlan(100));
    await expect(next(noProgress as TaskState)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: 'progress is required',
    });
  });

  it('goes to the end at once when someone asked to promote now, and says who', async () => {
    const state = await next(await next(started('canary', canaryPlan(10, 50, 100))));
    await control(state, 'promote');
    const moved = await next(state);
    expect(moved.progress).toEqual({ ...state.progress, step: { kind: 'done', promotedBy: 'alice@ops' } });
  });

  it('turns to the rollback path when someone asked to abort, and says who', async () => {
    const state = await next(started('canary', canaryPlan(10, 50, 100)));
    await control(state, 'abort', 'bob@ops');
    const moved = await next(state);
    expect(moved.progress.step).toEqual({ kind: 'abort', by: 'bob@ops' });
    expect(moved.progress.stepIndex).toBe(state.progress.stepIndex);
  });

  it('clears the error of an approval that timed out and continued, so the plan goes on as if approved', async () => {
    const gate = { timeoutSeconds: 600, onTimeout: 'continue' as const };
    const waiting = await next(started('canary', canaryPlan(10, 100), gate));
    expect(waiting.progress.step?.kind).toBe('approval');
    // What the Wait for approval Catch leaves before the Approval timed out Choice continues.
    const timedOut = { ...waiting, error: { Error: 'States.Timeout', Cause: 'task timed out' } };

    const moved = await next(timedOut);

    expect(moved.progress.step?.kind).toBe('setWeight');
    expect(moved).not.toHaveProperty('error');
  });

  it('records an approval that timed out and continued, once, and clears it from the summary', async () => {
    const gate = { timeoutSeconds: 600, onTimeout: 'continue' as const };
    const waiting = await next(started('canary', canaryPlan(10, 100), gate));
    const id = waiting.deployment.deploymentId;
    await local
      .store()
      .createDeployment(deploymentSummary({ deploymentId: id, service: waiting.deployment.service }));
    await local.store().updateDeployment(id, {
      pendingApproval: {
        taskToken: 'token-1',
        requestedAt: T0.toISOString(),
        timeoutAt: '2026-03-01T12:10:00.000Z',
        onTimeout: 'continue',
        decisionKey: 'step-1#decision',
      },
    });
    const timedOut = { ...waiting, error: { Error: 'States.Timeout', Cause: 'task timed out' } };

    await next(timedOut);
    await next(timedOut);

    const trail = await local.store().listAuditEvents(id);
    expect(trail.map((e) => [e.type, e.key])).toEqual([['ApprovalTimedOut', 'step-1#decision']]);
    expect(trail[0]?.detail).toMatchObject({ onTimeout: 'continue', timeoutSeconds: 600 });
    expect(await local.store().getDeployment(id)).not.toHaveProperty('pendingApproval');
  });

  it('records nothing when an approval step has no timeout error', async () => {
    const gate = { timeoutSeconds: 600, onTimeout: 'continue' as const };
    const waiting = await next(started('canary', canaryPlan(10, 100), gate));
    await next({ ...waiting, approval: { approved: true, by: 'alice' } } as TaskState);
    expect(await local.store().listAuditEvents(waiting.deployment.deploymentId)).toEqual([]);
  });
});
