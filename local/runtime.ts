import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchAlarmSource } from '../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import { CloudWatchVersionMetrics } from '../lambdas/adapters/cloudwatch/cloudwatch-metrics.ts';
import { CloudWatchDeploymentAlarms } from '../lambdas/adapters/cloudwatch/deployment-alarms.ts';
import { DynamoDbStore } from '../lambdas/adapters/dynamodb/dynamodb-store.ts';
import { DefaultHookRunner } from '../lambdas/adapters/hooks/hook-runner.ts';
import { type AwsProviderClients, makeProviderFactory } from '../lambdas/adapters/traffic/providers.ts';
import type { ControlDeps } from '../lambdas/control/deps.ts';
import { type ExecutionEnded, type Reconciled, reconcile } from '../lambdas/control/reconciler.ts';
import { SWEEP_INTERVAL_MINUTES } from '../lambdas/control/sweeper.ts';
import { verifyChain } from '../lambdas/domain/audit.ts';
import { TransientError } from '../lambdas/domain/errors.ts';
import { hookHost } from '../lambdas/domain/hooks.ts';
import { type AnalysisInput, resolveAnalysis } from '../lambdas/domain/judge/criteria.ts';
import {
  defaultStrategyPlan,
  type StrategyName,
  withSmokeTests,
} from '../lambdas/domain/strategies/index.ts';
import { deploymentName } from '../lambdas/domain/triggers.ts';
import type {
  DeploymentRequest,
  InsufficientDataPolicy,
  ServiceConfig,
  TaskState,
  Weights,
} from '../lambdas/domain/types.ts';
import { HANDLER_FACTORIES } from '../lambdas/handlers/index.ts';
import { BASELINE_VERSION } from '../lambdas/handlers/start-deployment.ts';
import { TASKS } from '../lambdas/tasks.ts';
import { APPROVE_GATE, type ApprovalMode, type Approver, decideApproval, hasApproval } from './approvals.ts';
import { LocalBakes } from './bakes.ts';
import { type ParentRun, runChild } from './child-executions.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from './dynamodb-server.ts';
import {
  ExecutionNames,
  type ExecutionResult,
  loadDefinition,
  runExecution,
  type TaskRequest,
} from './engine.ts';
import { BAKE_TASK, CURSOR_TASKS, injectControl, injectTaskFault, stepOf } from './fault-injection.ts';
import { allFaults, type Faults, faultsFor } from './faults.ts';
import { readingBack, routedThroughFleet } from './fleet-routing.ts';
import { asFunction, asRuntime } from './function-scope.ts';
import { answeredInProcess, IN_PROCESS_CLIENT_CONFIG } from './in-process-aws.ts';
import { endedOf, InProcessExecutions } from './in-process-executions.ts';
import { silentLogger, taskLambdaContext, taskName } from './lambda-context.ts';
import {
  type DeploymentOutcome,
  type DeploymentReport,
  type ProgressEvent,
  ReportBuilder,
  type RingReport,
} from './report.ts';
import {
  type SimulatedAlarmDefinition,
  SimulatedCloudWatch,
  steadyCloudWatch,
  type TreatMissingData,
} from './simulated-cloudwatch.ts';
import { SimulatedFleet } from './simulated-fleet.ts';
import { startTestRoute } from './test-route.ts';
import { VirtualClock } from './virtual-clock.ts';

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

/** Named as the API and dispatch name them (`checkout-1.1-5e0c9a7d`), unique without coordination. */
export function newDeploymentId(service: string, image: string): string {
  return deploymentName(service, image, `local:${randomBytes(8).toString('hex')}`);
}

/** How many sweeps an in-process run waits for a reconcile its provider is not ready for: a day's. */
const IN_PROCESS_SWEEPS = (24 * 60) / SWEEP_INTERVAL_MINUTES;

/** One run's shared pieces: a ring's child executions run in the same context. */
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

/** The DynamoDB operations that read items. */
const TABLE_READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

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

    /** A ring's child executions run in this run: its names, its clock and faults, its reconciler. */
    const parent: ParentRun = {
      names: this.executionNames,
      execute: (childStrategy, childRequest, childReport) =>
        this.execute(ctx, childStrategy, childRequest, childReport),
      reconcile: ctx.reconcile,
    };
    let childTransitions = 0;
    /** The traffic step in force, as the last task's input said (an SDK task's input is its Parameters only). */
    let trafficStepNow = 0;
    const injectFault = (name: string, step: number, errors: { throttle: string; fail: string }) =>
      injectTaskFault(faults, ctx, request.deploymentId, name, step, errors);
    const invoke = async (task: TaskRequest): Promise<unknown> => {
      if (task.kind === 'sdk') {
        // The Bake's own DynamoDB write: throttled (its Retry) or refused for good (its Catch, the rollback).
        injectFault(BAKE_TASK, trafficStepNow, {
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
        return runChild(parent, task, report, (n) => {
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
      if (CURSOR_TASKS.has(name)) {
        await injectControl(this.store, ctx.clock, payload as TaskState, step, faults, ctx.firedFaults);
      }
      injectFault(name, step, {
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
        return decideApproval(this.store, payload as { state: TaskState }, options.approve, clock, task.time);
      }
      // Step Functions holds the task token from the moment the task starts, before its Lambda
      // function has returned: an approve call that comes as soon as the summary says "waiting for
      // approval" finds it.
      // The invocation starts once the approver holds the token.
      const invocation = Promise.resolve().then(run);
      const answered = ctx.approver(
        payload as { state: TaskState; taskToken: string },
        task.time,
        invocation,
      );
      answered.catch(() => undefined);
      await invocation;
      return answered;
    };
    // A stopped execution ends at once, but the invocation under way runs to its end, as a Lambda
    // invocation does after StopExecution: what it writes lands before anyone reconciles the run.
    const inFlight = new Set<Promise<unknown>>();
    // The report reads each task as it runs and ends; not once the execution is stopped, as its
    // history on AWS shows nothing of an invocation that ends after StopExecution.
    const reported = async (task: TaskRequest): Promise<unknown> => {
      report.taskStarted(task);
      try {
        const output = await invoke(task);
        if (!ctx.signal?.aborted) report.taskEnded(task, output);
        return output;
      } catch (error) {
        const { name, message, cause } = error as Error;
        if (!ctx.signal?.aborted) report.taskFailed(task, name, cause ?? message);
        throw error;
      }
    };
    const tracked = (task: TaskRequest) => {
      const running = reported(task);
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
      undefined,
      request.deploymentId,
      ctx.signal,
    );
    await Promise.allSettled([...inFlight]);
    return { execution, stableVersion, stateTransitions: execution.stateTransitions + childTransitions };
  }
}

/** The registry's provider object less its kind: the provider's resource identifiers. */
function providerConfigOf(provider: { kind: string } & Record<string, unknown>): Record<string, unknown> {
  const { kind: _kind, ...config } = provider;
  return config;
}
