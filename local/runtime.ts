import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { CloudWatchAlarmSource } from '../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import { CloudWatchVersionMetrics } from '../lambdas/adapters/cloudwatch/cloudwatch-metrics.ts';
import { CloudWatchDeploymentAlarms } from '../lambdas/adapters/cloudwatch/deployment-alarms.ts';
import { DynamoDbStore } from '../lambdas/adapters/dynamodb/dynamodb-store.ts';
import { DefaultHookRunner } from '../lambdas/adapters/hooks/hook-runner.ts';
import { type AwsProviderClients, makeProviderFactory } from '../lambdas/adapters/traffic/providers.ts';
import { simulatedVersionMetrics } from '../lambdas/adapters/traffic/simulated/simulated-provider.ts';
import type { ControlDeps } from '../lambdas/control/deps.ts';
import { type ExecutionEnded, type Reconciled, reconcile } from '../lambdas/control/reconciler.ts';
import { SWEEP_INTERVAL_MINUTES } from '../lambdas/control/sweeper.ts';
import { verifyChain } from '../lambdas/domain/audit.ts';
import { readAlarmFiredCause } from '../lambdas/domain/bakes.ts';
import { ConflictError, ResourceNotFoundError, TransientError } from '../lambdas/domain/errors.ts';
import { auditEvent } from '../lambdas/domain/events.ts';
import { hookHost } from '../lambdas/domain/hooks.ts';
import type { Judgment, MetricEvidence } from '../lambdas/domain/judge/analysis.ts';
import { type AnalysisInput, resolveAnalysis } from '../lambdas/domain/judge/criteria.ts';
import { describeStep, type Step } from '../lambdas/domain/steps.ts';
import {
  defaultStrategyPlan,
  expandPlan,
  isStrategy,
  type StrategyName,
  withSmokeTests,
} from '../lambdas/domain/strategies/index.ts';
import { deploymentName } from '../lambdas/domain/triggers.ts';
import type {
  AlarmObservation,
  ApprovalGate,
  DeploymentRequest,
  HealthCheck,
  InsufficientDataPolicy,
  ServiceConfig,
  TaskState,
  Weights,
} from '../lambdas/domain/types.ts';
import { HANDLER_FACTORIES } from '../lambdas/handlers/index.ts';
import { BASELINE_VERSION } from '../lambdas/handlers/start-deployment.ts';
import type { ExecutionDescription, Executions } from '../lambdas/ports/executions.ts';
import type { TrafficProvider, TrafficTarget } from '../lambdas/ports/traffic.ts';
import { TASK_FUNCTION_TIMEOUT_SECONDS, TASKS, type TaskDefinition } from '../lambdas/tasks.ts';
import { LocalBakes } from './bakes.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from './dynamodb-server.ts';
import {
  type EngineEvent,
  ExecutionAlreadyExistsError,
  ExecutionNames,
  type ExecutionResult,
  loadDefinition,
  runExecution,
  type TaskRequest,
  type TaskTime,
} from './engine.ts';
import { allFaults, type Faults, faultsFor } from './faults.ts';
import { asFunction, asRuntime } from './function-scope.ts';
import { answeredInProcess, IN_PROCESS_CLIENT_CONFIG, namedError } from './in-process-aws.ts';
import {
  type SimulatedAlarmDefinition,
  SimulatedCloudWatch,
  steadyCloudWatch,
  type TreatMissingData,
} from './simulated-cloudwatch.ts';
import { SimulatedFleet } from './simulated-fleet.ts';
import { startTestRoute } from './test-route.ts';
import { VirtualClock } from './virtual-clock.ts';

/** Task names as `--inject` and the docs spell them: the entry file without `.ts`. */
/** The Bake state's name for `--inject fail=bake` / `throttle=bake`: its own DynamoDB write, no Lambda. */
export const BAKE_TASK = 'bake';
export const TASK_NAMES = [...TASKS.map((t) => taskName(t)), BAKE_TASK];

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

/** Whether the plan holds an approval step (a ring's rings are their own plans). */
function hasApproval(strategy: StrategyName, plan: unknown): boolean {
  return expandPlan(strategy, plan).some((step) => step.kind === 'approval');
}

/** How local runs decide approvals: `auto` approves, `deny` denies, `after` approves after a delay. */
export type ApprovalMode = { mode: 'auto' } | { mode: 'deny' } | { mode: 'after'; seconds: number };

/** The tasks that move the plan's cursor on, and so honour a promote-now or abort asked for meanwhile. */
const CURSOR_TASKS = new Set(['next-step', 'shift-traffic', 'check-alarms']);

/** The gate `--approve` puts before the first production traffic, when the plan has no approval of its own. */
export const APPROVE_GATE: ApprovalGate = { timeoutSeconds: 3600, onTimeout: 'rollback' };

export interface LocalDeployOptions {
  service: string;
  image: string;
  digest?: string;
  commitSha?: string;
  strategy: StrategyName;
  /** The strategy's plan, in its schema (see PLAN_SCHEMAS). */
  plan: unknown;
  /** Adds a gate before first traffic and decides every approval this way; without it, approvals time out. */
  approve?: ApprovalMode;
  alarms: LocalAlarmSettings;
  insufficientData: InsufficientDataPolicy;
  faults: Faults;
  requestsPerMinute: number;
  /** Who started it, for the audit trail. */
  principal: string;
  /** Why, for the audit trail. */
  reason?: string;
  /** Go ahead although an alarm is already in ALARM (recorded with the principal). */
  allowFiringAlarms?: boolean;
  /** A real provider and its identifiers (needs the runtime opened with AWS clients); `simulated` by default. */
  provider?: { kind: string } & Record<string, unknown>;
  /** Judge each step against the baseline too (the registry's `analysis`; `{}` for the defaults); alarms only without it. */
  analysis?: AnalysisInput;
  /** Seeds the simulated per-version metrics: the same seed, the same run (default 1). */
  seed?: number;
  /** When simulated time starts; default half a minute into the last minute that began. */
  startAt?: Date;
  onProgress?: (event: ProgressEvent) => void;
  /** Stops the run as StopExecution would (Ctrl-C, closed output); the reconciler then cleans up. */
  signal?: AbortSignal;
}

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

const silentLogger = () => new Logger({ serviceName: 'stepwise-local', logLevel: 'SILENT' });

/**
 * A task function's Lambda context: its remaining time is the function's timeout on AWS less the
 * virtual time the task has taken, never wall time, so a loaded machine does not run it out.
 */
export function taskLambdaContext(task: TaskDefinition, time: TaskTime): Context {
  return localLambdaContext(`stepwise-local-${taskName(task)}`, () =>
    Math.max(0, TASK_FUNCTION_TIMEOUT_SECONDS * 1000 - time.elapsedSeconds * 1000),
  );
}

/** The Lambda context a handler gets when the local runtime or server calls it in-process. */
export function localLambdaContext(functionName: string, remainingMs: number | (() => number)): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomBytes(8).toString('hex'),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: typeof remainingMs === 'number' ? () => remainingMs : remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Named as the API and dispatch name them (`checkout-1.1-5e0c9a7d`), unique without coordination. */
export function newDeploymentId(service: string, image: string): string {
  return deploymentName(service, image, `local:${randomBytes(8).toString('hex')}`);
}

/**
 * Who answers an approval when the run does not decide it itself (`approve`): the local control
 * plane, which waits for the API's approve call. Given the callback task's payload; returns what
 * SendTaskSuccess would send, or throws `States.Timeout`.
 */
export type Approver = (
  payload: { state: TaskState; taskToken: string },
  /** The callback task's time: its timeout is what the ASL's TimeoutSecondsPath resolved to. */
  time: TaskTime,
  /** Aborted when the task ends without an answer: its Lambda invocation failed. */
  ended: AbortSignal,
) => Promise<{ approved: boolean; by?: string }>;

/** One run's shared pieces: a ring's child executions run in the same context. */
/** How many sweeps an in-process run waits for a reconcile its provider is not ready for: a day's. */
const IN_PROCESS_SWEEPS = (24 * 60) / SWEEP_INTERVAL_MINUTES;

interface RunContext {
  options: LocalDeployOptions;
  clock: VirtualClock;
  fired: Set<string>;
  /** The injected faults that took effect at least once (a rehearsal says which never did). */
  firedFaults: Set<object>;
  approver?: Approver;
  signal?: AbortSignal;
  /** Waits take real time: the run sleeps until each due time instead of jumping the clock there. */
  realTime?: boolean;
  /** Cleans up after an execution ended, as the reconcile function does on AWS on its status-change event. */
  reconcile: (ended: ExecutionEnded) => Promise<Reconciled>;
  /** Task function invocations so far, the run's child executions' too. */
  invocations: { count: number };
}

type Progressed = { progress?: TaskState['progress']; state?: { progress?: TaskState['progress'] } };

/** The traffic step a task works on, for `--inject …@step=N`: a shift moves into the next one. */
/** The strategy a child execution runs: its state machine ARN (or, locally, its placeholder) names it. */
function strategyOfArn(arn: string): StrategyName {
  const placeholder = /^\$\{(\w+)StateMachineArn\}$/.exec(arn)?.[1];
  const name = placeholder
    ? placeholder.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()
    : (arn.split(':').at(-1)?.replace(/^.*?-/, '') ?? '');
  if (!isStrategy(name)) throw new Error(`no local state machine for ${arn}`);
  return name;
}

function stepOf(task: string, payload: unknown): number {
  const p = payload as Progressed;
  const done = p?.progress?.trafficStep ?? p?.state?.progress?.trafficStep ?? 0;
  return ['shift-traffic', 'route-segment', 'recreate-step'].includes(task) ? done + 1 : done;
}

/** A failure the rehearsal asked for, named like the real one so Retry and Catch treat it alike. */
const injected = namedError;

const LOCAL_EXECUTIONS = 'arn:aws:states:local:000000000000:execution:Stepwise-';

/** The DynamoDB operations that read items. */
const TABLE_READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

/** An execution's end as its status-change event tells it to the reconciler. */
function endedOf(request: DeploymentRequest, execution: ExecutionResult, arnSuffix?: string): ExecutionEnded {
  return {
    executionArn: `${LOCAL_EXECUTIONS}${arnSuffix ?? request.deploymentId}`,
    name: request.deploymentId,
    status: execution.status,
    ...(execution.error ? { error: execution.error } : {}),
    ...(execution.cause ? { cause: execution.cause } : {}),
    input: JSON.stringify(request),
  };
}

/** The host of every hook URL in a raw plan (a ring's own plans included). */
function urlHosts(plan: unknown): string[] {
  if (Array.isArray(plan)) return plan.flatMap(urlHosts);
  if (typeof plan !== 'object' || plan === null) return [];
  return Object.entries(plan).flatMap(([key, value]) => {
    if (key !== 'url' || typeof value !== 'string') return urlHosts(value);
    try {
      return [hookHost(value)];
    } catch {
      return [];
    }
  });
}

/**
 * The embedded control plane: dynalite for the store, aws-local-stepfunctions running the same
 * ASL files, the same task handlers wired to local adapters, a simulated fleet and CloudWatch on
 * a virtual clock, and a real HTTP test route for smoke-test hooks.
 */
export class LocalRuntime {
  readonly store: DynamoDbStore;
  private readonly db: LocalDynamoDb;

  private readonly aws: (() => AwsProviderClients) | undefined;
  /** The weights each service's provider last read back: what a report says traffic ended on. */
  private readonly lastWeights = new Map<string, Weights>();
  /** The simulated fleet of each running execution, by deployment: the test route answers as its candidate. */
  private readonly fleets = new Map<string, SimulatedFleet>();
  /** For the test route: whether a request to the deployment's candidate fails now. */
  readonly candidateFails = (deploymentId: string): boolean | undefined =>
    this.fleets.get(deploymentId)?.probeFails();
  /**
   * The execution names each strategy's state machine holds, whoever started them: the local
   * control plane, a ring's `startExecution.sync:2` tasks, an in-process run's reconciler.
   */
  readonly executionNames = new ExecutionNames();
  /** The bakes waiting for their task token, which an alarm going into ALARM fails. */
  private readonly bakes: LocalBakes;
  /** DynamoDB read requests to the table so far, whoever sent them (what `npm run bench` counts per deployment). */
  tableReads = 0;
  /** Items those reads returned (a query's `ScannedCount`): what DynamoDB bills read capacity for. */
  tableItemsRead = 0;

  private constructor(db: LocalDynamoDb, aws: (() => AwsProviderClients) | undefined) {
    this.db = db;
    db.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!TABLE_READS.has(String(context.commandName))) return next(args);
        this.tableReads += 1;
        const result = await next(args);
        const out = result.output as {
          Item?: unknown;
          ScannedCount?: number;
          Responses?: Record<string, unknown[]>;
        };
        this.tableItemsRead +=
          out.ScannedCount ??
          (out.Responses
            ? Object.values(out.Responses).reduce((n, items) => n + items.length, 0)
            : out.Item
              ? 1
              : 0);
        return result;
      },
      { step: 'initialize', name: 'stepwiseTableReads' },
    );
    this.store = new DynamoDbStore(db.client, db.tableName);
    this.aws = aws;
    this.bakes = new LocalBakes(db, this.store);
  }

  /** Opens the local state under `dir` (in memory when undefined). */
  static async open(
    dir: string | undefined,
    /** AWS clients for real providers (tests hand in mocked ones); without them only `simulated` runs. */
    options: { aws?: () => AwsProviderClients } = {},
  ): Promise<LocalRuntime> {
    return new LocalRuntime(await startLocalDynamoDb(dir), options.aws);
  }

  get endpoint(): string {
    return this.db.endpoint;
  }

  /** The DynamoDB client on dynalite, and the table: what the API's idempotency records use. */
  get client() {
    return this.db.client;
  }

  get tableName(): string {
    return this.db.tableName;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async deploy(options: LocalDeployOptions): Promise<DeploymentReport> {
    const firedFaults = new Set<object>();
    const testRoute = await startTestRoute(
      options.faults.hooks,
      (fault) => firedFaults.add(fault),
      this.candidateFails,
    );
    try {
      return await asRuntime(() => this.run(options, testRoute.url, firedFaults));
    } finally {
      await testRoute.close();
    }
  }

  private async run(
    options: LocalDeployOptions,
    testRouteUrl: string,
    firedFaults: Set<object>,
  ): Promise<DeploymentReport> {
    const wallStart = Date.now();
    // Simulated time starts half a minute into one (the metrics are per minute), always at the same
    // point of it: with the same --seed, the same run.
    const clock = new VirtualClock(
      options.startAt ?? new Date(Math.floor(wallStart / 60_000) * 60_000 - 30_000),
    );
    const startedAt = clock.now();
    const deploymentId = newDeploymentId(options.service, options.image);
    await this.register(options.service, options.strategy, options.plan, options, testRouteUrl);
    if (options.strategy === 'ring') await this.registerRings(options, testRouteUrl);

    const request: DeploymentRequest = {
      deploymentId,
      service: options.service,
      artifact: { image: options.image, ...(options.digest ? { digest: options.digest } : {}) },
      strategy: options.strategy,
      // A plan with approvals of its own gets no second one: --approve decides the plan's.
      ...(options.approve && !hasApproval(options.strategy, options.plan) ? { gate: APPROVE_GATE } : {}),
      trigger: { source: 'cli', principal: options.principal },
      ...(options.commitSha ? { commitSha: options.commitSha } : {}),
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.allowFiringAlarms ? { allowFiringAlarms: true } : {}),
    };
    const report = new ReportBuilder(options.image, options.onProgress);
    const ctx: RunContext = {
      options,
      clock,
      fired: new Set(),
      firedFaults,
      ...(options.signal ? { signal: options.signal } : {}),
      reconcile: (ended) => this.reconcileInProcess(ended, ctx),
      invocations: { count: 0 },
    };
    // The execution holds its name, as StartExecution gives it: nothing can start another under it.
    const run = await this.executionNames
      .claim(options.strategy, deploymentId, JSON.stringify(request), () =>
        this.execute(ctx, options.strategy, request, report),
      )
      .execution.finally(() => this.executionNames.close(options.strategy, deploymentId));
    const { execution, stableVersion } = run;
    const { actions } = await ctx.reconcile(endedOf(request, execution));
    const summary = await this.store.getDeployment(deploymentId);
    const events = await this.store.listAuditEvents(deploymentId);
    const routed = this.lastWeights.get(options.service) ??
      (await this.store.getRoutes(options.service))?.weights ?? { [stableVersion]: 100 };
    const finalWeights =
      options.strategy === 'ring'
        ? {}
        : { [stableVersion]: routed[stableVersion] ?? 0, [options.image]: routed[options.image] ?? 0 };
    // How the deployment ended once the reconciler has run: a failed rollback it completed is rolled back.
    const outcome: DeploymentOutcome =
      summary?.status === 'SUCCEEDED' || summary?.status === 'ROLLED_BACK'
        ? summary.status
        : execution.status === 'SUCCEEDED'
          ? 'SUCCEEDED'
          : 'FAILED';
    const reason = summary?.reason ?? execution.cause;
    return {
      deploymentId,
      status: outcome,
      strategy: options.strategy,
      service: options.service,
      stableVersion,
      candidateVersion: options.image,
      fromBaseline: stableVersion === BASELINE_VERSION,
      steps: report.steps,
      phases: report.phases,
      finalWeights,
      ...(options.strategy === 'ring' ? { rings: await this.ringReports(options, report) } : {}),
      ...(summary?.downtimeSeconds !== undefined ? { downtimeSeconds: summary.downtimeSeconds } : {}),
      ...(reason ? { reason } : {}),
      ...(execution.status !== 'SUCCEEDED' && execution.error !== 'Stepwise.RolledBack' && execution.error
        ? { error: execution.error }
        : {}),
      reconciled: actions,
      injections: allFaults(options.faults).map((fault) => ({
        inject: fault.spec ?? '',
        fired: firedFaults.has(fault),
      })),
      auditEvents: events.length,
      auditChainIntact: verifyChain(events).intact,
      stateTransitions: run.stateTransitions,
      taskInvocations: ctx.invocations.count,
      simulatedSeconds: Math.round((clock.now().getTime() - startedAt.getTime()) / 1000),
      wallMs: Date.now() - wallStart,
    };
  }

  /**
   * Runs one deployment request as an execution of its strategy's state machine, in the
   * background of the local control plane: approvals go to `approver`, `signal` stops it
   * (as StopExecution does: no Catch runs), and `realTime` makes its waits take wall time.
   */
  async runRequest(
    strategy: StrategyName,
    request: DeploymentRequest,
    run: {
      options: LocalDeployOptions;
      approver: Approver;
      signal: AbortSignal;
      realTime: boolean;
      /** How the plane reconciles an execution that ended: a ring's child executions end here. */
      reconcile: (ended: ExecutionEnded) => Promise<Reconciled>;
      /** The plane's one clock, shared by its executions and its API. */
      clock: VirtualClock;
      /** Where the faults that took effect are noted. */
      firedFaults: Set<object>;
    },
  ): Promise<ExecutionResult> {
    const context: RunContext = {
      options: run.options,
      clock: run.clock,
      fired: new Set(),
      firedFaults: run.firedFaults,
      approver: run.approver,
      signal: run.signal,
      realTime: run.realTime,
      reconcile: run.reconcile,
      invocations: { count: 0 },
    };
    const { execution } = await asRuntime(() =>
      this.execute(context, strategy, request, new ReportBuilder(request.artifact.image, undefined)),
    );
    return execution;
  }

  /**
   * The reconciler of an in-process run (no `serve`): the same code the reconcile function runs on
   * AWS, over this runtime's store and providers. A deployment it starts (a finished ring restored,
   * the next one queued) runs here too, before the run reports.
   */
  private reconcileInProcess(ended: ExecutionEnded, ctx: RunContext): Promise<Reconciled> {
    const providers = makeProviderFactory({
      store: this.store,
      clock: ctx.clock,
      ...(this.aws ? { aws: this.aws } : {}),
    });
    const deps: ControlDeps = {
      store: this.store,
      executions: new InProcessExecutions(
        (strategy, request) =>
          this.execute(ctx, strategy, request, new ReportBuilder(request.artifact.image, undefined)).then(
            async ({ execution }) => {
              await ctx.reconcile(endedOf(request, execution));
              return execution;
            },
          ),
        this.executionNames,
      ),
      providers: (kind, config) => readingBack(providers(kind, config), this.lastWeights),
      alarms: new CloudWatchAlarmSource(
        answeredInProcess(
          new CloudWatchClient(IN_PROCESS_CLIENT_CONFIG),
          steadyCloudWatch(() => false),
        ),
      ),
      deploymentAlarms: new CloudWatchDeploymentAlarms(
        answeredInProcess(
          new CloudWatchClient(IN_PROCESS_CLIENT_CONFIG),
          steadyCloudWatch(() => false),
        ),
      ),
      clock: ctx.clock,
    };
    return asFunction('control:reconcile', async () => {
      // On AWS a reconcile the provider is not ready for (ECS still replacing the candidate's
      // tasks) fails, and the sweep tries again every 5 minutes; in process the same, on the run's
      // clock, for up to a day. Under serve its own sweep does it, in real time.
      for (let attempt = 1; ; attempt++) {
        try {
          const reconciled = await reconcile(deps, ended);
          await (deps.executions as InProcessExecutions).idle();
          return reconciled;
        } catch (error) {
          if (!(error instanceof TransientError) || ctx.realTime || attempt >= IN_PROCESS_SWEEPS) throw error;
          ctx.clock.advanceBy(SWEEP_INTERVAL_MINUTES * 60);
        }
      }
    });
  }

  /** Writes a service's config the way the CLI flags describe it (local services are registered by deploying them). */
  private async register(
    service: string,
    strategy: StrategyName,
    plan: unknown,
    options: LocalDeployOptions,
    testRouteUrl: string,
  ): Promise<void> {
    const config: ServiceConfig = {
      service,
      environment: 'local',
      provider: options.provider?.kind ?? 'simulated',
      ...(options.provider ? { providerConfig: providerConfigOf(options.provider) } : {}),
      alarms: [`${service}-error-rate`, `${service}-p99-latency`],
      insufficientData: options.insufficientData,
      strategy,
      plan: withSmokeTests(strategy, plan, testRouteUrl),
      // A plan given to `deploy` registers its service here: its hooks' hosts are the ones it registers.
      allowedHosts: [...new Set([hookHost(testRouteUrl), ...urlHosts(plan)])],
      ...(options.analysis && strategy !== 'ring' ? { analysis: resolveAnalysis(options.analysis) } : {}),
    };
    await this.store.putServiceConfig(config);
  }

  /** A ring's service that was never deployed here is registered with its ring's strategy, or canary. */
  private async registerRings(options: LocalDeployOptions, testRouteUrl: string): Promise<void> {
    const rings =
      (options.plan as { rings?: { service: string; strategy?: StrategyName; plan?: unknown }[] }).rings ??
      [];
    for (const ring of rings) {
      if (await this.store.getServiceConfig(ring.service)) continue;
      const strategy = ring.strategy ?? 'canary';
      await this.register(
        ring.service,
        strategy,
        ring.plan ?? defaultStrategyPlan(strategy),
        options,
        testRouteUrl,
      );
    }
  }

  /** Where each ring's service ended up. */
  private async ringReports(options: LocalDeployOptions, report: ReportBuilder): Promise<RingReport[]> {
    return Promise.all(
      report.rings.map(async (ring) => {
        const weights =
          this.lastWeights.get(ring.service) ?? (await this.store.getRoutes(ring.service))?.weights ?? {};
        const live = Object.entries(weights).find(([, w]) => w === 100)?.[0];
        return {
          ...ring,
          finalWeights: weights,
          liveVersion: live ?? 'split',
          candidateVersion: options.image,
        };
      }),
    );
  }

  /**
   * Runs one execution of a strategy's state machine for one service: its own simulated fleet and
   * CloudWatch, the shared store and clock. A ring's child executions come back here.
   */
  private async execute(
    ctx: RunContext,
    strategy: StrategyName,
    request: DeploymentRequest,
    report: ReportBuilder,
  ): Promise<{ execution: ExecutionResult; stableVersion: string; stateTransitions: number }> {
    const { options, clock } = ctx;
    const service = request.service;
    const image = request.artifact.image;
    const faults = faultsFor(options.faults, service);
    const startedAt = clock.now();
    const stableVersion = (await this.store.getServiceStatus(service))?.liveVersion ?? BASELINE_VERSION;
    const fleet = new SimulatedFleet({
      stableVersion,
      candidateVersion: image,
      requestsPerMinute: options.requestsPerMinute,
      segmentShare: 0.05,
      faults: faults.behaviour,
      startedAt,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      onFault: (fault) => ctx.firedFaults.add(fault),
    });
    this.fleets.set(request.deploymentId, fleet);
    try {
      return await this.executeOn(ctx, strategy, request, report, fleet, faults, startedAt);
    } finally {
      this.fleets.delete(request.deploymentId);
    }
  }

  private async executeOn(
    ctx: RunContext,
    strategy: StrategyName,
    request: DeploymentRequest,
    report: ReportBuilder,
    fleet: SimulatedFleet,
    faults: ReturnType<typeof faultsFor>,
    startedAt: Date,
  ): Promise<{ execution: ExecutionResult; stableVersion: string; stateTransitions: number }> {
    const { options, clock } = ctx;
    const service = request.service;
    const image = request.artifact.image;
    const stableVersion = fleet.stableVersion;
    const alarm = (metric: 'ErrorRate' | 'LatencyP99', threshold: number): SimulatedAlarmDefinition => ({
      name: `${service}-${metric === 'ErrorRate' ? 'error-rate' : 'p99-latency'}`,
      metric,
      version: image,
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
      [alarm('ErrorRate', options.alarms.errorRatePercent), alarm('LatencyP99', options.alarms.latencyMs)],
      startedAt,
      faults.firingAlarms.length > 0,
      () => {
        for (const fault of faults.firingAlarms) ctx.firedFaults.add(fault);
      },
    );
    const storeProviders = makeProviderFactory({
      store: this.store,
      clock,
      ...(this.aws ? { aws: this.aws } : {}),
    });
    const providers = (kind: string, config?: Record<string, unknown>) =>
      routedThroughFleet(storeProviders(kind, config), fleet, clock, this.lastWeights);
    const cloudwatchClient = answeredInProcess(
      new CloudWatchClient(IN_PROCESS_CLIENT_CONFIG),
      cloudwatch.handle,
    );
    const alarms = new CloudWatchAlarmSource(cloudwatchClient);
    const metrics = new CloudWatchVersionMetrics(cloudwatchClient);
    const hooks = new DefaultHookRunner(this.aws ? { lambda: this.aws().lambda } : {});
    const deploymentAlarms = new CloudWatchDeploymentAlarms(cloudwatchClient);
    const deps = { store: this.store, clock, alarms, metrics, deploymentAlarms, providers, hooks };
    const handlers = new Map(
      TASKS.map((t) => {
        const make = HANDLER_FACTORIES[t.id];
        if (!make) throw new Error(`task ${t.id} has no handler factory`);
        return [`\${${t.placeholder}}`, { task: t, run: make(deps, silentLogger()) }];
      }),
    );

    let childTransitions = 0;
    /** The traffic step in force, as the last task's input said (an SDK task's input is its Parameters only). */
    let trafficStepNow = 0;
    /** Throws the fault `--inject` asks of task `name` at `step`, named as AWS names it for that kind of task. */
    const injectTaskFault = (name: string, step: number, errors: { throttle: string; fail: string }) => {
      for (const fault of faults.tasks) {
        if (fault.task !== name || (fault.step !== undefined && fault.step !== step)) continue;
        const key = `${request.deploymentId}:${fault.kind}:${name}:${step}`;
        if (fault.kind === 'throttle' && !ctx.fired.has(key)) {
          ctx.fired.add(key);
          ctx.firedFaults.add(fault);
          throw injected(errors.throttle, `injected throttle in ${name} at step ${step}`);
        }
        if (fault.kind === 'fail') {
          if (fault.once && ctx.firedFaults.has(fault)) continue;
          ctx.firedFaults.add(fault);
          throw injected(errors.fail, `injected failure in ${name} at step ${step}`);
        }
      }
    };
    const invoke = async (task: TaskRequest): Promise<unknown> => {
      if (task.kind === 'sdk') {
        // The Bake's own DynamoDB write: throttled (its Retry) or refused for good (its Catch, the rollback).
        injectTaskFault(BAKE_TASK, trafficStepNow, {
          throttle: 'DynamoDB.ThrottlingException',
          fail: 'DynamoDB.ResourceNotFoundException',
        });
        return this.bakes.run(task, {
          clock,
          cloudwatch,
          ...(ctx.realTime ? { realTime: true } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          ...(faults.alarmEventsLost ? { alarmEventsLost: true } : {}),
          onLostEvent: () => {
            if (faults.alarmEventsLost) ctx.firedFaults.add(faults.alarmEventsLost);
          },
        });
      }
      if (task.kind === 'execution') {
        // A failed child's transitions count too: Step Functions bills them like any other.
        return this.runChild(ctx, task, report, (n) => {
          childTransitions += n;
        });
      }
      const entry = handlers.get(task.functionName);
      if (!entry) throw new Error(`no local handler for ${task.functionName}`);
      ctx.invocations.count += 1;
      const name = taskName(entry.task);
      const payload = task.payload;
      // A Wait's due time is reached by the time the task after it runs; a Bake moved the clock itself
      // (to its end, or to the alarm event that ended it).
      const waited = (payload as Progressed)?.progress;
      const due = waited?.bake ? undefined : waited?.checkAt;
      if (ctx.realTime) {
        // Wakes early, rejecting, when the run is stopped.
        if (due)
          await sleep(Math.max(0, new Date(due).getTime() - Date.now()), undefined, { signal: ctx.signal });
        clock.advanceTo(new Date());
      } else if (due) clock.advanceTo(new Date(due));
      const step = stepOf(name, payload);
      trafficStepNow = (payload as Progressed)?.progress?.trafficStep ?? trafficStepNow;
      // Every task that moves the cursor on honours a promote-now or abort (Next step, and the step loop's two).
      if (CURSOR_TASKS.has(name)) await this.injectControl(payload as TaskState, step, faults, ctx);
      injectTaskFault(name, step, {
        throttle: 'Lambda.TooManyRequestsException',
        fail: 'Stepwise.InjectedFault',
      });
      const run = () =>
        asFunction(`task:${entry.task.id}`, () =>
          entry.run(payload, taskLambdaContext(entry.task, task.time)),
        );
      if (task.kind !== 'callback') return run();
      if (!ctx.approver || options.approve) {
        await run();
        return this.decideApproval(payload as { state: TaskState }, options.approve, clock, task.time);
      }
      // Step Functions holds the task token from the moment the task starts, before its Lambda
      // function has returned: an approve call that comes as soon as the summary says "waiting for
      // approval" finds it.
      const ended = new AbortController();
      const answered = ctx.approver(
        payload as { state: TaskState; taskToken: string },
        task.time,
        ended.signal,
      );
      answered.catch(() => undefined);
      try {
        await run();
      } catch (error) {
        ended.abort(error);
        throw error;
      }
      return answered;
    };
    // A stopped execution ends at once, but the invocation under way runs to its end, as a Lambda
    // invocation does after StopExecution: what it writes lands before anyone reconciles the run.
    const inFlight = new Set<Promise<unknown>>();
    const tracked = (task: TaskRequest) => {
      const running = invoke(task);
      inFlight.add(running);
      running.then(
        () => inFlight.delete(running),
        () => inFlight.delete(running),
      );
      return running;
    };
    const execution = await runExecution(
      loadDefinition(strategy),
      request,
      tracked,
      (e) => report.on(e),
      request.deploymentId,
      ctx.signal,
    );
    await Promise.allSettled([...inFlight]);
    return { execution, stableVersion, stateTransitions: execution.stateTransitions + childTransitions };
  }

  /**
   * `states:startExecution.sync:2` locally: starts the child execution under its name, as Step
   * Functions does (a name its state machine already holds is refused with
   * `StepFunctions.ExecutionAlreadyExistsException`, unless it is the same execution still
   * running), runs the child's strategy in-process, and answers with the child's output on
   * success, a `States.TaskFailed` error whose cause is the child's error and cause otherwise.
   */
  private runChild(
    ctx: RunContext,
    task: Extract<TaskRequest, { kind: 'execution' }>,
    parent: ReportBuilder,
    countTransitions: (n: number) => void,
  ): Promise<unknown> {
    const strategy = strategyOfArn(task.stateMachineArn);
    try {
      return this.executionNames.claim(strategy, task.name, JSON.stringify(task.input), () =>
        this.runChildExecution(ctx, strategy, task, parent, countTransitions).finally(() =>
          this.executionNames.close(strategy, task.name),
        ),
      ).execution as Promise<unknown>;
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExistsError)) throw error;
      return Promise.reject(injected('StepFunctions.ExecutionAlreadyExistsException', error.message));
    }
  }

  private async runChildExecution(
    ctx: RunContext,
    strategy: StrategyName,
    task: Extract<TaskRequest, { kind: 'execution' }>,
    parent: ReportBuilder,
    countTransitions: (n: number) => void,
  ): Promise<unknown> {
    const request = task.input as DeploymentRequest;
    const report = parent.child(request.service);
    const { execution, stateTransitions } = await this.execute(ctx, strategy, request, report);
    countTransitions(stateTransitions);
    // A child is an execution of its own on AWS, whose end the reconciler hears of like any other.
    await ctx.reconcile(endedOf(request, execution, `${strategy}:${task.name}`));
    parent.childEnded(request.service, execution.status === 'SUCCEEDED', execution.cause);
    if (execution.status !== 'SUCCEEDED') {
      throw injected(
        'States.TaskFailed',
        JSON.stringify({ Error: execution.error, Cause: execution.cause, Status: execution.status }),
      );
    }
    const result = {
      ExecutionArn: `arn:aws:states:local:000000000000:execution:stepwise-${strategy}:${task.name}`,
      Output: execution.output,
      Status: 'SUCCEEDED',
    };
    return result;
  }

  /**
   * Asks for a promote-now or abort once the rollout has reached the step `--inject control=…@step=N`
   * names, through the same summary field the API writes; Next step then honours it.
   */
  private async injectControl(state: TaskState, step: number, faults: Faults, ctx: RunContext) {
    const { clock } = ctx;
    const control = faults.controls.find((c) => step >= c.step);
    if (!control) return;
    ctx.firedFaults.add(control);
    const id = state.deployment.deploymentId;
    // What the API's promote or abort would write.
    await asFunction('control:api', async () => {
      if ((await this.store.getDeployment(id))?.control) return;
      await this.store.updateDeployment(id, {
        control: { action: control.action, by: 'local:--inject', at: clock.now().toISOString() },
      });
    });
  }

  /**
   * Answers an approval the way the local run was told to, as an approver calling
   * SendTaskSuccess would, and records the decision. Without `--approve` nobody answers: the
   * gate waits out its timeout in simulated time and its onTimeout decides.
   */
  private async decideApproval(
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
      this.store.appendAuditEvent(
        deployment.deploymentId,
        auditEvent(deployment, 'ApprovalDecided', `step-${progress.stepIndex + 1}#decision`, clock.now(), {
          detail: { approved, by, waitedSeconds: waited },
        }),
      ),
    );
    return { approved, by };
  }
}

/** Tells the fleet about every route change, so simulated requests follow the routes. */
function routedThroughFleet(
  inner: TrafficProvider,
  fleet: SimulatedFleet,
  clock: VirtualClock,
  lastWeights: Map<string, Weights>,
): TrafficProvider {
  // Read back through the provider itself, so a real provider (over mocked AWS clients) drives the fleet too.
  // The simulation's own read, not the task's: no function makes it on AWS.
  const after = (target: TrafficTarget) => asRuntime(() => routeFleet(target));
  const routeFleet = async (target: TrafficTarget) => {
    const [weights, match] = await Promise.all([
      inner.getWeights(target),
      inner.segments?.getSegment(target),
    ]);
    lastWeights.set(target.service, weights);
    fleet.route(clock.now(), {
      weights,
      ...(match ? { segment: { match, version: target.candidateVersion } } : {}),
      ...(stoppedVersions.get(target.service)?.size
        ? { stopped: [...(stoppedVersions.get(target.service) ?? [])] }
        : {}),
    });
  };
  const { segments, stopStart } = inner;
  const stoppedVersions = new Map<string, Set<string>>();
  const stopped = (service: string) => {
    const set = stoppedVersions.get(service) ?? new Set<string>();
    stoppedVersions.set(service, set);
    return set;
  };
  return {
    prepare: async (t) => {
      const result = await inner.prepare(t);
      await after(t);
      return result;
    },
    setWeights: (t, w) => inner.setWeights(t, w).then(() => after(t)),
    getWeights: (t) => inner.getWeights(t),
    promote: (t) => inner.promote(t).then(() => after(t)),
    rollback: (t) =>
      inner.rollback(t).then(() => {
        stopped(t.service).clear();
        return after(t);
      }),
    // The provider's own capabilities, no more: a strategy it cannot take is refused as on AWS.
    ...(segments
      ? {
          segments: {
            setSegment: (t, m) => segments.setSegment(t, m).then(() => after(t)),
            getSegment: (t) => segments.getSegment(t),
          },
        }
      : {}),
    ...(stopStart
      ? {
          stopStart: {
            stopVersion: (t, v) =>
              stopStart.stopVersion(t, v).then(() => {
                stopped(t.service).add(v);
                return after(t);
              }),
            startVersion: (t, v) =>
              stopStart.startVersion(t, v).then(() => {
                stopped(t.service).delete(v);
                return after(t);
              }),
          },
        }
      : {}),
    // Locally the fleet serves the requests whatever the provider: its metrics are the simulated ones.
    versionMetrics: async (t) => simulatedVersionMetrics(t),
  };
}

/** The registry's provider object less its kind: the provider's resource identifiers. */
function providerConfigOf(provider: { kind: string } & Record<string, unknown>): Record<string, unknown> {
  const { kind: _kind, ...config } = provider;
  return config;
}

/** Turns the engine's event log into what a person watching wants to know, and the JSON report. */
class ReportBuilder {
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

  /** The step the state machine is on, as the last state that exited left it (a failed state has no output). */
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

  on(event: EngineEvent): void {
    if (event.type === 'StateFailed' && event.stateName === 'Bake') {
      this.bakeEnded(event.error, event.cause);
      return;
    }
    if (event.type === 'StateFailed' && event.stateType === 'Task') {
      if (event.stateName === 'Wait for approval' && event.error === 'States.Timeout') {
        this.verdict('timed out');
        this.emit({ kind: 'approval', verdict: 'timed out' });
        return;
      }
      this.emit({ kind: 'failed-task', state: event.stateName ?? '', error: event.error ?? 'unknown' });
      return;
    }
    if (event.type === 'StateRetried') {
      this.emit({ kind: 'retrying', state: event.stateName ?? '' });
      return;
    }
    if (event.type !== 'StateExited') return;
    const state = event.output as TaskState | undefined;
    const progress = state?.progress;
    if (!progress) return;
    this.current = progress;
    const step = progress.step;
    if (event.stateType === 'Wait' && step?.kind === 'pause') {
      this.emit({ kind: 'paused', label: step.label ?? 'pause', seconds: step.seconds });
      this.verdict('done');
      return;
    }
    if (event.stateType !== 'Task') return;
    if (state.ran) {
      // A state that passes its input on (a bake that timed out into its Catch, an approval's
      // ResultPath) shows the same `ran` again: it was reported when the task that ran it ended.
      const seen = JSON.stringify([
        state.ran,
        progress.stepIndex,
        progress.trafficStep,
        state.checked?.checkedAt,
      ]);
      if (seen !== this.lastRan) {
        this.lastRan = seen;
        this.ranThenEntered(state as TaskState & { ran: Step[] }, progress);
        return;
      }
    }
    switch (event.stateName) {
      case 'Start deployment':
        this.emit({
          kind: 'started',
          deploymentId: state.deployment.deploymentId,
          stableVersion: state.deployment.stableVersion,
          candidateVersion: state.deployment.candidateVersion,
          steps: state.deployment.plan.steps,
          ...(state.deployment.bakesExtendedTo ? { bakesExtendedTo: state.deployment.bakesExtendedTo } : {}),
        });
        return;
      case 'Next step':
        this.entered(progress);
        return;
      case 'Check alarms':
        if (state.check) this.checkedWith(state.check, progress);
        return;
      case 'Run hook': {
        const hook = state.hook;
        if (!hook || step?.kind !== 'hook') return;
        this.verdict(
          hook.passed
            ? 'passed'
            : hook.retriesLeft > 0
              ? `failed attempt ${hook.attempt}, retrying`
              : 'failed',
        );
        this.emit({ kind: 'hook', name: step.hook.name, phase: step.hook.phase, ...hook });
        return;
      }
      case 'Wait for approval': {
        const approval = state.approval;
        if (!approval) return;
        this.verdict(approval.approved ? 'approved' : 'denied');
        this.emit({ kind: 'approval', verdict: approval.approved ? 'approved' : 'denied', by: approval.by });
        return;
      }
      default:
        break;
    }
    // Promote or Roll back found the provider still on its way: the state machine waits and runs it again.
    if (progress.rollingBack || (progress.promoting && !state.outcome)) return;
    if (state.outcome) {
      if (state.outcome.status === 'SUCCEEDED' && event.stateName !== 'Record success') {
        this.emit({ kind: 'concluded', reason: state.outcome.cause ?? '' });
        this.phases.push({ kind: 'segment', phase: 'end experiment', verdict: 'concluded' });
      } else if (state.outcome.status === 'ROLLED_BACK' && event.stateName !== 'Record rollback') {
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

  /** The last `ran` reported, to report each once. */
  private lastRan: string | undefined;

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

/** A provider whose every read of the weights is kept, so a report shows where traffic ended. */
function readingBack(inner: TrafficProvider, lastWeights: Map<string, Weights>): TrafficProvider {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'getWeights') {
        return async (t: TrafficTarget) => {
          const weights = await target.getWeights(t);
          lastWeights.set(t.service, weights);
          return weights;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Executions for an in-process run's reconciler: a deployment it starts runs here, in the
 * background, as StartExecution would start it; `idle` waits for them all.
 */
class InProcessExecutions implements Executions {
  private readonly runs = new Map<string, { described: ExecutionDescription; done: Promise<void> }>();
  private readonly run: (strategy: StrategyName, request: DeploymentRequest) => Promise<ExecutionResult>;
  private readonly names: ExecutionNames;

  constructor(
    run: (strategy: StrategyName, request: DeploymentRequest) => Promise<ExecutionResult>,
    names: ExecutionNames,
  ) {
    this.run = run;
    this.names = names;
  }

  async start(strategy: StrategyName, request: DeploymentRequest): Promise<{ executionArn: string }> {
    const executionArn = `${LOCAL_EXECUTIONS}${strategy}:${request.deploymentId}`;
    const name = request.deploymentId;
    try {
      this.names.claim(strategy, name, JSON.stringify(request), () => {
        const entry = {
          described: { executionArn, status: 'RUNNING' } as ExecutionDescription,
          done: Promise.resolve(),
        };
        this.runs.set(executionArn, entry);
        entry.done = (async () => {
          await new Promise((resolve) => setImmediate(resolve));
          const result = await this.run(strategy, request).finally(() => this.names.close(strategy, name));
          entry.described = {
            executionArn,
            status: result.status,
            ...(result.error ? { error: result.error } : {}),
            ...(result.cause ? { cause: result.cause } : {}),
          };
        })();
        return entry;
      });
    } catch (error) {
      // As the Step Functions adapter answers ExecutionAlreadyExists.
      if (error instanceof ExecutionAlreadyExistsError) {
        throw new ConflictError(`an execution named ${name} already exists: ${error.message}`);
      }
      throw error;
    }
    return { executionArn };
  }

  async stop(): Promise<void> {
    // Nothing runs long enough in-process to be stopped from outside the run.
  }

  async sendTaskSuccess(): Promise<void> {
    throw new ConflictError('an in-process run decides its approvals itself (--approve)');
  }

  async sendTaskFailure(): Promise<boolean> {
    // An in-process run's bakes are ended by its own alarm events (LocalBakes), not by the reconciler.
    return false;
  }

  async describe(executionArn: string): Promise<ExecutionDescription> {
    const entry = this.runs.get(executionArn);
    if (!entry) throw new ResourceNotFoundError(`no execution ${executionArn}`);
    return entry.described;
  }

  consoleUrl(): string {
    return 'local';
  }

  async idle(): Promise<void> {
    while ([...this.runs.values()].some((r) => r.described.status === 'RUNNING')) {
      await Promise.all([...this.runs.values()].map((r) => r.done));
    }
  }
}
