import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { DynamoDbStore } from '../lambdas/adapters/dynamodb/dynamodb-store.ts';
import { makeProviderFactory } from '../lambdas/adapters/traffic/providers.ts';
import { verifyChain } from '../lambdas/domain/audit.ts';
import { validatePlan } from '../lambdas/domain/plan.ts';
import type {
  AlarmObservation,
  DeploymentRequest,
  InsufficientDataPolicy,
  Plan,
  ServiceConfig,
  TaskState,
  Weights,
} from '../lambdas/domain/types.ts';
import { BASELINE_VERSION } from '../lambdas/handlers/start-deployment.ts';
import type { TrafficProvider, TrafficTarget } from '../lambdas/ports/traffic.ts';
import { TASKS, type TaskDefinition } from '../lambdas/tasks.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from './dynamodb-server.ts';
import { type EngineEvent, loadDefinition, runExecution } from './engine.ts';
import type { Faults } from './faults.ts';
import {
  type SimulatedAlarmDefinition,
  SimulatedCloudWatch,
  type TreatMissingData,
} from './simulated-cloudwatch.ts';
import { SimulatedFleet } from './simulated-fleet.ts';
import { VirtualClock } from './virtual-clock.ts';

/** Task names as `--inject` and the docs spell them: the entry file without `.ts`. */
export const TASK_NAMES = TASKS.map((t) => taskName(t));

function taskName(task: TaskDefinition): string {
  return task.entry.replace(/\.ts$/, '');
}

/** The two alarms a local service gets, on the candidate's error rate and p99 latency. */
export interface LocalAlarmSettings {
  /** ErrorRate alarm threshold, percent. */
  errorRatePercent: number;
  /** LatencyP99 alarm threshold, milliseconds. */
  latencyMs: number;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: TreatMissingData;
}

export const DEFAULT_ALARMS: LocalAlarmSettings = {
  errorRatePercent: 5,
  latencyMs: 500,
  periodSeconds: 60,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  treatMissingData: 'notBreaching',
};

export interface LocalDeployOptions {
  service: string;
  image: string;
  digest?: string;
  commitSha?: string;
  plan: Plan;
  alarms: LocalAlarmSettings;
  insufficientData: InsufficientDataPolicy;
  faults: Faults;
  requestsPerMinute: number;
  /** Who started it, for the audit trail. */
  principal: string;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { kind: 'started'; deploymentId: string; stableVersion: string; candidateVersion: string; plan: Plan }
  | { kind: 'shifted'; step: number; stepCount: number; weights: Weights; bakeSeconds: number }
  | { kind: 'checked'; step: number; healthy: boolean; alarms: AlarmObservation[]; reasons: string[] }
  | { kind: 'retrying'; state: string; error: string }
  | { kind: 'failed-task'; state: string; error: string }
  | { kind: 'promoted'; weights: Weights }
  | { kind: 'rolled-back'; reason: string; weights: Weights };

export interface StepReport {
  step: number;
  weight: number;
  weights: Weights;
  verdict: 'healthy' | 'unhealthy' | 'not checked';
  alarms: Record<string, string>;
  reasons: string[];
}

export type DeploymentOutcome = 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED';

export interface DeploymentReport {
  deploymentId: string;
  status: DeploymentOutcome;
  strategy: 'canary';
  service: string;
  stableVersion: string;
  candidateVersion: string;
  /** True when the service had no history and started from the simulated baseline version. */
  fromBaseline: boolean;
  steps: StepReport[];
  finalWeights: Weights;
  reason?: string;
  error?: string;
  auditEvents: number;
  auditChainIntact: boolean;
  stateTransitions: number;
  simulatedSeconds: number;
  wallMs: number;
}

const silentLogger = () => new Logger({ serviceName: 'stepwise-local', logLevel: 'SILENT' });

function lambdaContext(task: TaskDefinition): Context {
  const functionName = `stepwise-local-${taskName(task)}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomBytes(8).toString('hex'),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 120_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** `dep-20261123-101502-3f9a1c`: sortable by start, unique without coordination. */
export function newDeploymentId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `dep-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The step a task works on, for `--inject …@step=N`: a shift moves into the next step. */
function stepOf(task: string, payload: unknown): number {
  const p = payload as { progress?: { stepIndex?: number }; state?: { progress?: { stepIndex?: number } } };
  const index = p?.progress?.stepIndex ?? p?.state?.progress?.stepIndex ?? -1;
  return task === 'shift-traffic' ? index + 2 : index + 1;
}

class InjectedFault extends Error {}

/**
 * The embedded control plane: dynalite for the store, aws-local-stepfunctions running the same
 * ASL file, the same task handlers wired to local adapters, a simulated fleet and CloudWatch on a
 * virtual clock.
 */
export class LocalRuntime {
  readonly store: DynamoDbStore;
  private readonly db: LocalDynamoDb;

  private constructor(db: LocalDynamoDb) {
    this.db = db;
    this.store = new DynamoDbStore(db.client, db.tableName);
  }

  /** Opens the local state under `dir` (in memory when undefined). */
  static async open(dir: string | undefined): Promise<LocalRuntime> {
    return new LocalRuntime(await startLocalDynamoDb(dir));
  }

  get endpoint(): string {
    return this.db.endpoint;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async deploy(options: LocalDeployOptions): Promise<DeploymentReport> {
    const wallStart = Date.now();
    const plan = validatePlan(options.plan);
    const clock = new VirtualClock(new Date());
    const startedAt = clock.now();
    const deploymentId = newDeploymentId(startedAt);
    const alarmNames = [`${options.service}-error-rate`, `${options.service}-p99-latency`];
    const config: ServiceConfig = {
      service: options.service,
      environment: 'local',
      provider: 'simulated',
      alarms: alarmNames,
      insufficientData: options.insufficientData,
      plan,
    };
    await this.store.putServiceConfig(config);

    const status = await this.store.getServiceStatus(options.service);
    const stableVersion = status?.liveVersion ?? BASELINE_VERSION;
    const fleet = new SimulatedFleet({
      stableVersion,
      candidateVersion: options.image,
      requestsPerMinute: options.requestsPerMinute,
      stepWeights: plan.steps.map((s) => s.weight),
      faults: options.faults.behaviour,
      startedAt,
    });
    const alarm = (
      name: string,
      metric: 'ErrorRate' | 'LatencyP99',
      threshold: number,
    ): SimulatedAlarmDefinition => ({
      name,
      metric,
      version: options.image,
      threshold,
      comparison: 'GreaterThanThreshold',
      periodSeconds: options.alarms.periodSeconds,
      evaluationPeriods: options.alarms.evaluationPeriods,
      datapointsToAlarm: options.alarms.datapointsToAlarm,
      treatMissingData: options.alarms.treatMissingData,
    });
    const cloudwatch = new SimulatedCloudWatch(
      fleet,
      clock,
      [
        alarm(alarmNames[0] as string, 'ErrorRate', options.alarms.errorRatePercent),
        alarm(alarmNames[1] as string, 'LatencyP99', options.alarms.latencyMs),
      ],
      startedAt,
    );
    const storeProviders = makeProviderFactory({ store: this.store, clock });
    const providers = (kind: string) => routedThroughFleet(storeProviders(kind), fleet, clock);
    const deps = { store: this.store, clock, alarms: cloudwatch, providers };
    const handlers = new Map(
      TASKS.map((t) => [`\${${t.placeholder}}`, { task: t, run: t.make(deps, silentLogger()) }]),
    );

    const fired = new Set<string>();
    const invoke = async (functionName: string, payload: unknown) => {
      const entry = handlers.get(functionName);
      if (!entry) throw new Error(`no local handler for ${functionName}`);
      const name = taskName(entry.task);
      const due = (payload as { progress?: { checkAt?: string } })?.progress?.checkAt;
      if (due) clock.advanceTo(new Date(due));
      const step = stepOf(name, payload);
      for (const fault of options.faults.tasks) {
        if (fault.task !== name || (fault.step !== undefined && fault.step !== step)) continue;
        const key = `${fault.kind}:${name}:${step}`;
        if (fault.kind === 'throttle' && !fired.has(key)) {
          fired.add(key);
          throw Object.assign(new InjectedFault(`injected throttle in ${name} at step ${step}`), {
            name: 'Lambda.TooManyRequestsException',
          });
        }
        if (fault.kind === 'fail') {
          throw Object.assign(new InjectedFault(`injected failure in ${name} at step ${step}`), {
            name: 'Stepwise.InjectedFault',
          });
        }
      }
      return entry.run(payload, lambdaContext(entry.task));
    };

    const request: DeploymentRequest = {
      deploymentId,
      service: options.service,
      artifact: { image: options.image, ...(options.digest ? { digest: options.digest } : {}) },
      strategy: 'canary',
      plan,
      trigger: { source: 'cli', principal: options.principal },
      ...(options.commitSha ? { commitSha: options.commitSha } : {}),
    };
    const steps: StepReport[] = [];
    const onEvent = (event: EngineEvent) => {
      const progress = toProgress(event);
      if (!progress) return;
      if (progress.kind === 'shifted') {
        steps.push({
          step: progress.step,
          weight: progress.weights[options.image] ?? 0,
          weights: progress.weights,
          verdict: 'not checked',
          alarms: {},
          reasons: [],
        });
      }
      if (progress.kind === 'checked') {
        const report = steps.find((s) => s.step === progress.step);
        if (report) {
          report.verdict = progress.healthy ? 'healthy' : 'unhealthy';
          report.alarms = Object.fromEntries(progress.alarms.map((a) => [a.name, a.state]));
          report.reasons = progress.reasons;
        }
      }
      options.onProgress?.(progress);
    };

    const execution = await runExecution(loadDefinition('canary'), request, invoke, onEvent);
    const summary = await this.store.getDeployment(deploymentId);
    const events = await this.store.listAuditEvents(deploymentId);
    const target: TrafficTarget = {
      service: options.service,
      stableVersion,
      candidateVersion: options.image,
    };
    const routed = await storeProviders('simulated').getWeights(target);
    const finalWeights = {
      [stableVersion]: routed[stableVersion] ?? 0,
      [options.image]: routed[options.image] ?? 0,
    };
    const outcome: DeploymentOutcome =
      execution.status === 'SUCCEEDED'
        ? 'SUCCEEDED'
        : execution.error === 'Stepwise.RolledBack'
          ? 'ROLLED_BACK'
          : 'FAILED';
    return {
      deploymentId,
      status: outcome,
      strategy: 'canary',
      service: options.service,
      stableVersion,
      candidateVersion: options.image,
      fromBaseline: stableVersion === BASELINE_VERSION,
      steps,
      finalWeights,
      ...(summary?.reason || execution.cause ? { reason: summary?.reason ?? execution.cause } : {}),
      ...(outcome === 'FAILED' && execution.error ? { error: execution.error } : {}),
      auditEvents: events.length,
      auditChainIntact: verifyChain(events).intact,
      stateTransitions: execution.stateTransitions,
      simulatedSeconds: Math.round((clock.now().getTime() - startedAt.getTime()) / 1000),
      wallMs: Date.now() - wallStart,
    };
  }
}

/** Tells the fleet about every route change, so simulated requests follow the weights. */
function routedThroughFleet(
  inner: TrafficProvider,
  fleet: SimulatedFleet,
  clock: VirtualClock,
): TrafficProvider {
  const after = async (target: TrafficTarget) => fleet.route(clock.now(), await inner.getWeights(target));
  return {
    prepare: (t) => inner.prepare(t).then(() => after(t)),
    setWeights: (t, w) => inner.setWeights(t, w).then(() => after(t)),
    getWeights: (t) => inner.getWeights(t),
    promote: (t) => inner.promote(t).then(() => after(t)),
    rollback: (t) => inner.rollback(t).then(() => after(t)),
  };
}

/** What a person watching the run wants to know, from the engine's event log. */
function toProgress(event: EngineEvent): ProgressEvent | undefined {
  if (event.type === 'StateFailed' && event.stateType === 'Task') {
    return { kind: 'failed-task', state: event.stateName ?? '', error: event.error ?? 'unknown' };
  }
  if (event.type === 'StateRetried') return { kind: 'retrying', state: event.stateName ?? '', error: '' };
  if (event.type !== 'StateExited') return undefined;
  const state = event.output as TaskState | undefined;
  if (!state?.progress) return undefined;
  const step = state.progress.stepIndex + 1;
  switch (event.stateName) {
    case 'Start deployment':
      return {
        kind: 'started',
        deploymentId: state.deployment.deploymentId,
        stableVersion: state.deployment.stableVersion,
        candidateVersion: state.deployment.candidateVersion,
        plan: state.deployment.plan,
      };
    case 'Shift traffic':
      return {
        kind: 'shifted',
        step,
        stepCount: state.progress.stepCount,
        weights: state.progress.weights,
        bakeSeconds: state.deployment.plan.steps[state.progress.stepIndex]?.bakeSeconds ?? 0,
      };
    case 'Check alarms':
      return state.check
        ? {
            kind: 'checked',
            step,
            healthy: state.check.healthy,
            alarms: state.check.alarms,
            reasons: state.check.reasons,
          }
        : undefined;
    case 'Promote':
      return { kind: 'promoted', weights: state.progress.weights };
    case 'Roll back':
      return { kind: 'rolled-back', reason: state.outcome?.cause ?? '', weights: state.progress.weights };
    default:
      return undefined;
  }
}
