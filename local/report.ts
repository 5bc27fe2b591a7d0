import { readAlarmFiredCause } from '../lambdas/domain/bakes.ts';
import type { Judgment, MetricEvidence } from '../lambdas/domain/judge/analysis.ts';
import { describeStep, type Step } from '../lambdas/domain/steps.ts';
import type { StrategyName } from '../lambdas/domain/strategies/index.ts';
import type { AlarmObservation, HealthCheck, TaskState, Weights } from '../lambdas/domain/types.ts';
import type { TaskRequest } from './engine.ts';

export type ProgressEvent =
  | {
      kind: 'started';
      deploymentId: string;
      stableVersion: string;
      candidateVersion: string;
      steps: Step[];
      /** Bakes made longer to the alarms' evaluation window, in seconds. */
      bakesExtendedTo?: number;
    }
  | { kind: 'shifted'; step: number; label?: string; weights: Weights }
  | { kind: 'paused'; label: string; seconds: number }
  | {
      kind: 'checked';
      step: number;
      healthy: boolean;
      alarms: AlarmObservation[];
      reasons: string[];
      /** The baseline comparison's verdict and evidence, when the service has one. */
      analysis?: Judgment;
      /** Too few candidate requests yet: the bake goes on this long before the step is judged again. */
      extendBakeSeconds?: number;
    }
  | { kind: 'hook'; name: string; phase: string; attempt: number; passed: boolean; detail: string }
  | { kind: 'approval'; verdict: 'approved' | 'denied' | 'timed out'; by?: string }
  | { kind: 'segment'; step: number; description: string }
  | { kind: 'stopped'; version: string }
  | { kind: 'started-version'; step: number; version: string; downtimeSeconds: number }
  | { kind: 'retrying'; state: string }
  | { kind: 'failed-task'; state: string; error: string }
  /** An alarm went into ALARM during a bake: the bake ended there and the rollback starts. */
  | { kind: 'alarm-fired'; step: number; cause: string; afterSeconds?: number }
  | { kind: 'promoted'; weights: Weights }
  | {
      kind: 'rolled-back';
      reason: string;
      weights: Weights;
      timing?: { detectedAfterSeconds: number; revertedAfterSeconds: number };
    }
  | { kind: 'concluded'; reason: string }
  /** Something that happened in a ring's child execution. */
  | { kind: 'ring'; name: string; service: string; event: ProgressEvent }
  | { kind: 'ring-ended'; name: string; service: string; status: RingReport['status']; reason?: string };

/** How one ring of a ring rollout ended, and where its service's traffic is now. */
export interface RingReport {
  name: string;
  service: string;
  status: 'running' | 'succeeded' | 'failed' | 'rolled back' | 'rollback failed';
  reason?: string;
  candidateVersion: string;
  liveVersion: string;
  finalWeights: Weights;
}

export interface StepReport {
  step: number;
  weight: number;
  weights: Weights;
  verdict: 'healthy' | 'unhealthy' | 'inconclusive' | 'not checked';
  alarms: Record<string, string>;
  reasons: string[];
  /** The baseline comparison's evidence per criterion, when the service has one. */
  evidence?: MetricEvidence[];
}

/** One step of the plan that ran, in order, with how it went. */
export interface PhaseReport {
  kind: Step['kind'] | 'abort' | 'promote';
  phase: string;
  verdict: string;
}

export type DeploymentOutcome = 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED';

export interface DeploymentReport {
  deploymentId: string;
  status: DeploymentOutcome;
  strategy: StrategyName;
  service: string;
  stableVersion: string;
  candidateVersion: string;
  /** True when the service had no history and started from the simulated baseline version. */
  fromBaseline: boolean;
  steps: StepReport[];
  phases: PhaseReport[];
  finalWeights: Weights;
  /** Recreate: seconds no version served between stopping the old and starting the new. */
  downtimeSeconds?: number;
  /** Ring: each ring, in order. */
  rings?: RingReport[];
  reason?: string;
  error?: string;
  /**
   * What the reconciler did after the execution ended without cleaning up after itself (a failed
   * rollback or closing write, a stopped run): as on AWS, where the status-change event runs it.
   */
  reconciled: string[];
  /** Each `--inject` and whether it ever took effect: one that never fired tested nothing. */
  injections: { inject: string; fired: boolean }[];
  auditEvents: number;
  auditChainIntact: boolean;
  stateTransitions: number;
  /** Lambda invocations of the task functions, retries included (a ring's child executions too): what Lambda bills. */
  taskInvocations: number;
  simulatedSeconds: number;
  wallMs: number;
}

/** The state a task was given: a Lambda's payload, or the `state` in it (an approval's, a closing record's). */
function stateIn(task: TaskRequest): TaskState | undefined {
  if (task.kind !== 'lambda' && task.kind !== 'callback') return undefined;
  const payload = task.payload as (TaskState & { state?: undefined }) | { state?: TaskState } | undefined;
  if (payload && 'progress' in payload) return payload as TaskState;
  return payload?.state?.progress ? payload.state : undefined;
}

/** A task's request, less its time: the same again is a retry of it. */
function requestOf(task: TaskRequest): string {
  const { time: _time, ...request } = task;
  return JSON.stringify(request);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Turns the tasks an execution runs (what each was given, and what it returned or failed with)
 * into what a person watching wants to know, and the JSON report.
 */
export class ReportBuilder {
  readonly steps: StepReport[] = [];
  readonly phases: PhaseReport[] = [];
  readonly rings: Omit<RingReport, 'finalWeights' | 'liveVersion' | 'candidateVersion'>[] = [];
  private nextRing: { name: string; service: string } | undefined;
  private restoring = new Set<string>();
  private readonly candidate: string;
  private readonly emit: (event: ProgressEvent) => void;

  constructor(candidate: string, emit: ((event: ProgressEvent) => void) | undefined) {
    this.candidate = candidate;
    this.emit = emit ?? (() => undefined);
  }

  /** A report for a child execution of `service`, whose progress shows under its ring. */
  child(service: string): ReportBuilder {
    // A restore of a finished ring, or another attempt at one that failed.
    const done = this.rings.find(
      (r) => r.service === service && (r.status === 'succeeded' || r.status === 'rollback failed'),
    );
    if (done) this.restoring.add(service);
    else this.rings.push({ name: this.nextRing?.name ?? service, service, status: 'running' });
    const ring = this.rings.find((r) => r.service === service) ?? { name: service };
    return new ReportBuilder(this.candidate, (event) =>
      this.emit({ kind: 'ring', name: ring.name, service, event }),
    );
  }

  childEnded(service: string, succeeded: boolean, cause: string | undefined): void {
    const ring = this.rings.findLast((r) => r.service === service);
    if (!ring) return;
    if (this.restoring.delete(service)) ring.status = succeeded ? 'rolled back' : 'rollback failed';
    else {
      ring.status = succeeded ? 'succeeded' : 'failed';
      if (!succeeded && cause) ring.reason = cause;
      this.verdict(ring.status);
    }
    this.emit({ kind: 'ring-ended', name: ring.name, service, status: ring.status, reason: ring.reason });
  }

  private verdict(verdict: string): void {
    const last = this.phases.at(-1);
    if (last) last.verdict = verdict;
  }

  /** The step the state machine is on, as the last task's output left it (a failed task has none). */
  private current: TaskState['progress'] | undefined;

  /** A Bake ends by timing out (it went the whole way) or by an alarm going into ALARM. */
  private bakeEnded(error: string | undefined, cause: unknown): void {
    const step = this.current?.step;
    if (step?.kind !== 'pause') return;
    if (error === 'States.Timeout') {
      this.emit({ kind: 'paused', label: step.label ?? 'pause', seconds: step.seconds });
      this.verdict('done');
      return;
    }
    const text = typeof cause === 'string' ? cause : String(error);
    const report = this.steps.at(-1);
    if (report) {
      report.verdict = 'unhealthy';
      report.reasons = [text];
      const { name } = readAlarmFiredCause(text);
      if (name) report.alarms = { ...report.alarms, [name]: 'ALARM' };
    }
    this.verdict('alarm fired');
    const started = this.current?.stepStartedAt;
    const { at } = readAlarmFiredCause(text);
    const afterSeconds =
      started && at ? Math.round((new Date(at).getTime() - new Date(started).getTime()) / 1000) : undefined;
    this.emit({
      kind: 'alarm-fired',
      step: this.current?.trafficStep ?? 0,
      cause: text,
      ...(afterSeconds !== undefined && afterSeconds >= 0 ? { afterSeconds } : {}),
    });
  }

  /** The request of the last task that failed, while it may yet be retried. */
  private lastFailed: string | undefined;
  /** The last pause reported as over, to report each once. */
  private lastPaused: string | undefined;

  /**
   * A task is about to run. The same request again after it failed is its retry. A pause nobody
   * watched (a Wait: no bake) is over once a task runs with the cursor still on it.
   */
  taskStarted(task: TaskRequest): void {
    const request = requestOf(task);
    if (request === this.lastFailed) this.emit({ kind: 'retrying', state: task.stateName });
    this.lastFailed = undefined;
    const progress = stateIn(task)?.progress;
    const step = progress?.step;
    if (!progress || step?.kind !== 'pause' || progress.bake || progress.rollingBack) return;
    const pause = JSON.stringify([progress.stepIndex, progress.checkAt]);
    if (pause === this.lastPaused) return;
    this.lastPaused = pause;
    this.emit({ kind: 'paused', label: step.label ?? 'pause', seconds: step.seconds });
    this.verdict('done');
  }

  /** A task failed: a bake an alarm or its end stopped, an approval nobody answered in time, or a task that failed. */
  taskFailed(task: TaskRequest, error: string, cause: unknown): void {
    this.lastFailed = requestOf(task);
    if (task.kind === 'sdk') {
      this.bakeEnded(error, cause);
      return;
    }
    if (task.kind === 'callback' && error === 'States.Timeout') {
      this.verdict('timed out');
      this.emit({ kind: 'approval', verdict: 'timed out' });
      return;
    }
    this.emit({ kind: 'failed-task', state: task.stateName, error });
  }

  /** A task ended: what its output says happened, against what it was given. */
  taskEnded(task: TaskRequest, output: unknown): void {
    if (task.kind === 'callback') {
      // What SendTaskSuccess sent.
      const approval = output as NonNullable<TaskState['approval']>;
      this.verdict(approval.approved ? 'approved' : 'denied');
      this.emit({ kind: 'approval', verdict: approval.approved ? 'approved' : 'denied', by: approval.by });
      return;
    }
    // A bake's end is its failure; a child execution reports under its ring.
    if (task.kind !== 'lambda') return;
    const state = output as TaskState | undefined;
    const progress = state?.progress;
    if (!progress) return;
    this.current = progress;
    const given = stateIn(task);
    if (!given) {
      // Given a request, not a state: the task that started the deployment.
      this.emit({
        kind: 'started',
        deploymentId: state.deployment.deploymentId,
        stableVersion: state.deployment.stableVersion,
        candidateVersion: state.deployment.candidateVersion,
        steps: state.deployment.plan.steps,
        ...(state.deployment.bakesExtendedTo ? { bakesExtendedTo: state.deployment.bakesExtendedTo } : {}),
      });
      return;
    }
    // The closing record (Record event's `{ type, state }`): how it ended was told by the task before it.
    if (given !== task.payload) return;
    const step = progress.step;
    if (state.ran) {
      this.ranThenEntered(state as TaskState & { ran: Step[] }, progress);
      return;
    }
    if (state.check && !same(state.check, given.check)) {
      this.checkedWith(state.check, progress);
      return;
    }
    if (state.hook && !same(state.hook, given.hook)) {
      const hook = state.hook;
      if (step?.kind !== 'hook') return;
      this.verdict(
        hook.passed ? 'passed' : hook.retriesLeft > 0 ? `failed attempt ${hook.attempt}, retrying` : 'failed',
      );
      this.emit({ kind: 'hook', name: step.hook.name, phase: step.hook.phase, ...hook });
      return;
    }
    if (!same([progress.stepIndex, step], [given.progress.stepIndex, given.progress.step])) {
      this.entered(progress);
      return;
    }
    // Promote or Roll back found the provider still on its way: the state machine waits and runs it again.
    if (progress.rollingBack || (progress.promoting && !state.outcome)) return;
    if (state.outcome) {
      if (state.outcome.status === 'SUCCEEDED') {
        this.emit({ kind: 'concluded', reason: state.outcome.cause ?? '' });
        this.phases.push({ kind: 'segment', phase: 'end experiment', verdict: 'concluded' });
      } else if (state.outcome.status === 'ROLLED_BACK') {
        this.emit({
          kind: 'rolled-back',
          reason: state.outcome.cause ?? '',
          weights: progress.weights,
          ...(state.outcome.timing ? { timing: state.outcome.timing } : {}),
        });
      }
      return;
    }
    if (step?.kind === 'done') {
      this.emit({ kind: 'promoted', weights: progress.weights });
      return;
    }
    // A shift the provider has not finished yet: the state machine waits and runs it again.
    if (progress.settling) return;
    if (step && step.kind !== 'abort') this.afterStep(step, state, progress);
  }

  /** The step the cursor moved to (Next step's output, or a task's that moved it on itself). */
  private entered(progress: TaskState['progress']): void {
    if (progress.settling) return;
    const step = progress.step;
    if (step?.kind === 'abort')
      this.phases.push({ kind: 'abort', phase: 'abort', verdict: `aborted by ${step.by}` });
    else if (step?.kind === 'done' && step.promotedBy) {
      this.phases.push({
        kind: 'promote',
        phase: 'promote now',
        verdict: `promoted by ${step.promotedBy}`,
      });
    } else if (step && step.kind !== 'done') {
      if (step.kind === 'ring') this.nextRing = { name: step.ring.name, service: step.ring.service };
      this.phases.push({ kind: step.kind, phase: describeStep(step), verdict: 'started' });
    }
  }

  /** A check's verdict, on the step it judged. */
  private checkedWith(check: HealthCheck, progress: TaskState['progress']): void {
    const report = this.steps.at(-1);
    const held = check.healthy && check.analysis?.verdict === 'inconclusive' && !check.extendBakeSeconds;
    const verdict = held ? 'inconclusive' : check.healthy ? 'healthy' : 'unhealthy';
    if (report) {
      report.verdict = verdict;
      report.alarms = Object.fromEntries(check.alarms.map((a) => [a.name, a.state]));
      report.reasons = check.reasons;
      if (check.analysis) report.evidence = check.analysis.metrics;
    }
    this.verdict(
      check.extendBakeSeconds
        ? `too few requests: bake ${check.extendBakeSeconds}s more`
        : held
          ? 'inconclusive: held for a decision'
          : verdict,
    );
    this.emit({ kind: 'checked', step: progress.trafficStep, ...check });
  }

  /**
   * A task that ran its step and moved the cursor on itself (`ran`): each step it ran, as if Next
   * step had entered it (unless it had), with what it did; then the step it moved to.
   */
  private ranThenEntered(state: TaskState & { ran: Step[] }, progress: TaskState['progress']): void {
    for (const ran of state.ran) {
      const last = this.phases.at(-1);
      const phase = describeStep(ran);
      if (!(last && last.kind === ran.kind && last.phase === phase && last.verdict === 'started')) {
        this.phases.push({ kind: ran.kind, phase, verdict: 'started' });
      }
      if (ran.kind === 'check') {
        if (state.checked) this.checkedWith(state.checked, progress);
      } else this.afterStep(ran, state, progress);
    }
    this.entered(progress);
  }

  /** What a step that moves traffic did, from the task's output. */
  private afterStep(step: Step, state: TaskState, progress: TaskState['progress']): void {
    if (step.kind === 'setWeight') {
      this.steps.push({
        step: progress.trafficStep,
        weight: progress.weights[this.candidate] ?? 0,
        weights: progress.weights,
        verdict: 'not checked',
        alarms: {},
        reasons: [],
      });
      this.verdict('done');
      this.emit({
        kind: 'shifted',
        step: progress.trafficStep,
        label: step.label,
        weights: progress.weights,
      });
    } else if (step.kind === 'segment') {
      this.steps.push({
        step: progress.trafficStep,
        weight: 0,
        weights: progress.weights,
        verdict: 'not checked',
        alarms: {},
        reasons: [],
      });
      this.verdict('done');
      this.emit({ kind: 'segment', step: progress.trafficStep, description: describeStep(step) });
    } else if (step.kind === 'stopStable') {
      this.verdict('done');
      this.emit({ kind: 'stopped', version: state.deployment.stableVersion });
    } else if (step.kind === 'startCandidate') {
      this.steps.push({
        step: progress.trafficStep,
        weight: 100,
        weights: progress.weights,
        verdict: 'not checked',
        alarms: {},
        reasons: [],
      });
      this.verdict(`done, downtime ${progress.downtimeSeconds ?? 0}s`);
      this.emit({
        kind: 'started-version',
        step: progress.trafficStep,
        version: state.deployment.candidateVersion,
        downtimeSeconds: progress.downtimeSeconds ?? 0,
      });
    }
  }
}
