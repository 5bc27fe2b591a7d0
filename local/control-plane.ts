import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  type ExecutionStatus as SfnExecutionStatus,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { CloudWatchAlarmSource } from '../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import { CloudWatchDeploymentAlarms } from '../lambdas/adapters/cloudwatch/deployment-alarms.ts';
import { SfnExecutions } from '../lambdas/adapters/sfn/sfn-executions.ts';
import { makeProviderFactory } from '../lambdas/adapters/traffic/providers.ts';
import type { ControlDeps } from '../lambdas/control/deps.ts';
import { type DispatchResult, dispatchEvent } from '../lambdas/control/dispatch.ts';
import { pumpQueue } from '../lambdas/control/launcher.ts';
import { type ExecutionEnded, type Reconciled, reconcile } from '../lambdas/control/reconciler.ts';
import { type Swept, sweep } from '../lambdas/control/sweeper.ts';
import { TransientError } from '../lambdas/domain/errors.ts';
import { hookHost } from '../lambdas/domain/hooks.ts';
import { type RegistryFile, toServiceConfig } from '../lambdas/domain/registry.ts';
import {
  defaultStrategyPlan,
  type StrategyName,
  withSmokeTests,
} from '../lambdas/domain/strategies/index.ts';
import { STRATEGIES } from '../lambdas/domain/strategy-names.ts';
import type { DeploymentRequest, ServiceConfig } from '../lambdas/domain/types.ts';
import type { ExecutionDescription } from '../lambdas/ports/executions.ts';
import type { ApprovalMode } from './approvals.ts';
import { ExecutionAlreadyExistsError, type ExecutionResult, StopRequest, type TaskTime } from './engine.ts';
import type { Faults } from './faults.ts';
import { asFunction } from './function-scope.ts';
import { answeredInProcess, IN_PROCESS_CLIENT_CONFIG, sdkError, unsupported } from './in-process-aws.ts';
import { DEFAULT_ALARMS, type LocalDeployOptions, LocalRuntime } from './runtime.ts';
import { steadyCloudWatch } from './simulated-cloudwatch.ts';
import { startTestRoute } from './test-route.ts';
import { ServerClock } from './virtual-clock.ts';

const ACCOUNT = 'arn:aws:states:local:000000000000';
const ARN_PREFIX = `${ACCOUNT}:execution:Stepwise-`;
/** Each strategy's state machine, named as the stack names it (`Stepwise-canary`). */
const STATE_MACHINE_ARNS = Object.fromEntries(
  STRATEGIES.map((strategy) => [strategy, `${ACCOUNT}:stateMachine:Stepwise-${strategy}`]),
) as Record<StrategyName, string>;

/** The Step Functions adapter over the local plane, with the local server as its console. */
class LocalExecutions extends SfnExecutions {
  private readonly baseUrl: () => string;

  constructor(client: SFNClient, baseUrl: () => string) {
    super(client, STATE_MACHINE_ARNS);
    this.baseUrl = baseUrl;
  }

  override consoleUrl(executionArn: string): string {
    return `${this.baseUrl()}/deployments/${executionArn.split(':').at(-1) ?? executionArn}`;
  }
}

export interface LocalControlPlaneOptions {
  /** Waits take real time instead of jumping a virtual clock. @default false */
  realTime?: boolean;
  /** Faults injected into every execution (the `--inject` grammar). @default none */
  faults?: Faults;
  /** Where a person watches an execution: the local server's URL, once it listens. */
  baseUrl?: () => string;
  /** Decides every approval this way (a rehearsal without a person): auto, deny or after a delay. @default a person answers through the API */
  approve?: ApprovalMode;
  logger?: Logger;
}

interface Running {
  executionArn: string;
  name: string;
  input: string;
  controller: AbortController;
  done: Promise<void>;
  described: ExecutionDescription;
}

/** The strategy of one of this plane's execution ARNs. */
function strategyOf(executionArn: string): StrategyName {
  return executionArn.slice(ARN_PREFIX.length).split(':')[0] as StrategyName;
}

const NO_FAULTS: Faults = { behaviour: [], tasks: [], hooks: [], controls: [], firingAlarms: [] };

/**
 * The control plane on a laptop: the same launcher, API operations and reconciler as on AWS,
 * over dynalite, with executions run in the background by the embedded engine. The control code
 * reaches the engine through the Step Functions adapter, whose client this plane answers
 * (StartExecution, StopExecution, DescribeExecution, SendTaskSuccess), and reads alarms through the
 * CloudWatch adapter. An execution that ends is reconciled exactly as the `Execution Status Change`
 * rule does on AWS.
 */
export class LocalControlPlane {
  readonly runtime: LocalRuntime;
  readonly deps: ControlDeps;
  private readonly options: LocalControlPlaneOptions;
  private readonly running = new Map<string, Running>();
  private readonly approvals = new Map<string, (output: { approved: boolean; by?: string }) => void>();
  private readonly failures: Error[] = [];
  /** One timeline for every execution and API call of this server (see ServerClock). */
  readonly clock = new ServerClock();
  /** The injected faults that took effect in any of its executions. */
  readonly firedFaults = new Set<object>();
  private testRoute?: { url: string; close(): Promise<void> };
  private closing = false;

  private constructor(runtime: LocalRuntime, options: LocalControlPlaneOptions) {
    this.runtime = runtime;
    this.options = options;
    const logger = options.logger ?? new Logger({ serviceName: 'stepwise-local', logLevel: 'SILENT' });
    const clock = this.clock;
    const cloudwatch = answeredInProcess(
      new CloudWatchClient(IN_PROCESS_CLIENT_CONFIG),
      steadyCloudWatch(() => (options.faults?.firingAlarms.length ?? 0) > 0),
    );
    const sfn = answeredInProcess(new SFNClient(IN_PROCESS_CLIENT_CONFIG), (operation, input) =>
      this.stepFunctions(operation, input),
    );
    this.deps = {
      store: runtime.store,
      executions: new LocalExecutions(sfn, () => options.baseUrl?.() ?? 'local'),
      providers: makeProviderFactory({ store: runtime.store, clock }),
      alarms: new CloudWatchAlarmSource(cloudwatch),
      deploymentAlarms: new CloudWatchDeploymentAlarms(cloudwatch),
      clock,
      logger,
    };
  }

  /** The simulated test route the rehearsal's smoke tests call (`GET /health`). */
  get testRouteUrl(): string {
    return this.testRoute?.url ?? '';
  }

  /** An EventBridge event, handled as the dispatch function handles it on AWS. */
  dispatch(event: unknown): Promise<DispatchResult> {
    return asFunction('control:dispatch', () => dispatchEvent(this.deps, event));
  }

  /** An ended execution, reconciled as the reconcile function does on AWS. */
  reconcile(ended: ExecutionEnded): Promise<Reconciled> {
    return asFunction('control:reconcile', () => reconcile(this.deps, ended));
  }

  /** The reconcile function's scheduled sweep. */
  sweep(): Promise<Swept> {
    return asFunction('control:reconcile', () => sweep(this.deps));
  }

  /** The Step Functions API operations the control code uses, answered by this plane. */
  private async stepFunctions(operation: string, input: Record<string, unknown>): Promise<object> {
    switch (operation) {
      case 'StartExecution':
        return this.start(String(input.stateMachineArn), String(input.name), String(input.input));
      case 'StopExecution':
        await this.stop(String(input.executionArn), String(input.error ?? ''), String(input.cause ?? ''));
        return { stopDate: new Date() };
      case 'DescribeExecution':
        return this.describe(String(input.executionArn));
      case 'SendTaskSuccess':
        this.sendTaskSuccess(String(input.taskToken), JSON.parse(String(input.output)));
        return {};
      default:
        throw unsupported('Step Functions', operation);
    }
  }

  static async open(
    dir: string | undefined,
    options: LocalControlPlaneOptions = {},
  ): Promise<LocalControlPlane> {
    const plane = new LocalControlPlane(await LocalRuntime.open(dir), options);
    plane.testRoute = await startTestRoute(
      options.faults?.hooks ?? [],
      (fault) => plane.firedFaults.add(fault),
      plane.runtime.candidateFails,
    );
    await plane.recover();
    return plane;
  }

  /**
   * Executions do not outlive the process that ran them: a deployment still running (or started)
   * when the last server stopped is reconciled as stopped, as StopExecution would leave it on
   * AWS, and every queue moves on.
   */
  private recover(): Promise<void> {
    return asFunction('control:reconcile', () => this.recoverAll());
  }

  private async recoverAll(): Promise<void> {
    const store = this.runtime.store;
    for (const { service } of await store.listServiceConfigs()) {
      for (const summary of await store.listOpenDeployments(service)) {
        const orphaned =
          summary.status === 'IN_PROGRESS' ||
          (summary.status === 'QUEUED' && summary.executionArn !== undefined);
        if (!orphaned) continue;
        await reconcile(this.deps, {
          executionArn: summary.executionArn ?? '',
          name: summary.deploymentId,
          status: 'ABORTED',
          cause: 'the local server stopped while it ran',
        });
      }
      await pumpQueue(this.deps, service);
    }
  }

  /**
   * Registers the registry's services for a rehearsal: each keeps its strategy, plan, trigger and
   * policies, and runs on the simulated provider with the simulated alarms (the real ones are on AWS).
   */
  async register(registry: RegistryFile): Promise<ServiceConfig[]> {
    const configs = registry.services.map((entry) => {
      const config = toServiceConfig(entry, (strategy) => defaultStrategyPlan(strategy));
      const { providerConfig: _real, analysis, ...rest } = config;
      // The simulated fleet publishes its own per-version metrics; the service's own are on AWS.
      const { metrics: _own, ...judged } = analysis ?? { metrics: undefined };
      return {
        ...rest,
        ...(analysis ? { analysis: judged as typeof analysis } : {}),
        provider: 'simulated',
        alarms: [`${entry.name}-error-rate`, `${entry.name}-p99-latency`],
        plan: withSmokeTests(config.strategy, config.plan, this.testRoute?.url ?? ''),
        // The simulated test route the smoke tests call is on loopback, which no registry lists.
        allowedHosts: [
          ...(config.allowedHosts ?? []),
          ...(this.testRoute ? [hookHost(this.testRoute.url)] : []),
        ],
      } satisfies ServiceConfig;
    });
    for (const config of configs) await this.runtime.store.putServiceConfig(config);
    return configs;
  }

  private start(
    stateMachineArn: string,
    name: string,
    input: string,
  ): { executionArn: string; startDate: Date } {
    if (this.closing) throw new TransientError('the local server is stopping; the deployment stays queued');
    const strategy = STRATEGIES.find((s) => STATE_MACHINE_ARNS[s] === stateMachineArn);
    if (!strategy) throw sdkError(ExecutionDoesNotExist, `no state machine ${stateMachineArn}`);
    const executionArn = `${ARN_PREFIX}${strategy}:${name}`;
    // As Step Functions: the same name and input while it runs is the same execution; anything else is refused.
    try {
      this.runtime.executionNames.claim(strategy, name, input, () => {
        const entry: Running = {
          executionArn,
          name,
          input,
          controller: new AbortController(),
          described: { executionArn, status: 'RUNNING' },
          done: Promise.resolve(),
        };
        this.running.set(executionArn, entry);
        entry.done = this.run(entry, strategy, JSON.parse(input) as DeploymentRequest).finally(() =>
          this.runtime.executionNames.close(strategy, name),
        );
        return entry;
      });
    } catch (error) {
      if (error instanceof ExecutionAlreadyExistsError) {
        throw sdkError(ExecutionAlreadyExists, `Execution Already Exists: '${executionArn}'`);
      }
      throw error;
    }
    return { executionArn, startDate: new Date() };
  }

  private async run(entry: Running, strategy: StrategyName, request: DeploymentRequest): Promise<void> {
    // Let the caller record the execution ARN first, as StartExecution returns before the first state runs.
    await new Promise((resolve) => setImmediate(resolve));
    let result: ExecutionResult;
    try {
      result = await this.runtime.runRequest(strategy, request, {
        options: this.runOptions(request),
        approver: (payload, time, invocation) =>
          this.awaitApproval(payload, time, entry.controller.signal, invocation),
        signal: entry.controller.signal,
        realTime: this.options.realTime ?? false,
        reconcile: (ended) => this.reconcile(ended),
        clock: this.clock,
        firedFaults: this.firedFaults,
      });
    } catch (error) {
      result = {
        status: 'FAILED',
        error: 'States.Runtime',
        cause: (error as Error).message,
        stateTransitions: 0,
      };
    }
    // Stopped because the server is: left as it is, and reconciled when a server opens this state again.
    if (this.closing) return;
    entry.described = {
      executionArn: entry.executionArn,
      status: result.status,
      ...(result.error ? { error: result.error } : {}),
      ...(result.cause ? { cause: result.cause } : {}),
    };
    try {
      await this.reconcile({ ...entry.described, name: entry.name, input: entry.input });
    } catch (error) {
      this.failures.push(error as Error);
      this.deps.logger?.error('reconcile failed', {
        deploymentId: entry.name,
        error: (error as Error).message,
      });
    }
  }

  private runOptions(request: DeploymentRequest): LocalDeployOptions {
    return {
      service: request.service,
      image: request.artifact.image,
      strategy: 'canary',
      plan: undefined,
      alarms: DEFAULT_ALARMS,
      insufficientData: 'healthy',
      faults: this.options.faults ?? NO_FAULTS,
      requestsPerMinute: 1000,
      principal: request.trigger.principal,
      ...(this.options.approve ? { approve: this.options.approve } : {}),
    };
  }

  /**
   * Waits for the approve call (SendTaskSuccess) from a person, up to the task's timeout (what the
   * ASL's TimeoutSecondsPath resolved to) on the server's clock: it runs with the wall clock, and
   * when another run's wait makes it jump past the deadline the gate has timed out, as the
   * summary's timeoutAt, the view and the trail then say.
   */
  private awaitApproval(
    payload: { taskToken: string },
    time: TaskTime,
    signal: AbortSignal,
    invocation: Promise<unknown>,
  ): Promise<{ approved: boolean; by?: string }> {
    const timeoutSeconds = time.leftSeconds();
    // The summary's timeoutAt, once Request approval has returned it.
    let deadline = this.clock.now().getTime() + timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        stopListening();
        signal.removeEventListener('abort', onAbort);
        this.approvals.delete(payload.taskToken);
      };
      const expireWhenDue = () => {
        clearTimeout(timer);
        const left = deadline - this.clock.now().getTime();
        if (left > 0) {
          timer = setTimeout(expireWhenDue, left);
          return;
        }
        finish();
        try {
          time.pass(timeoutSeconds);
        } catch (error) {
          reject(error);
        }
      };
      const stopListening = this.clock.onJump(expireWhenDue);
      const onAbort = () => {
        finish();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.approvals.set(payload.taskToken, (output) => {
        finish();
        resolve(output);
      });
      invocation.then(
        (result) => {
          const timeoutAt = Date.parse(String((result as { timeoutAt?: string } | undefined)?.timeoutAt));
          if (Number.isFinite(timeoutAt)) deadline = timeoutAt;
          if (this.approvals.has(payload.taskToken)) expireWhenDue();
        },
        // The invocation failed, and with it the task: nobody can answer it any more.
        (error: unknown) => {
          finish();
          reject(error);
        },
      );
    });
  }

  private async stop(executionArn: string, error: string, cause: string): Promise<void> {
    const entry = this.running.get(executionArn);
    if (!entry) throw sdkError(ExecutionDoesNotExist, `Execution Does Not Exist: '${executionArn}'`);
    if (entry.described.status !== 'RUNNING') return;
    entry.controller.abort(new StopRequest(error, cause));
  }

  private sendTaskSuccess(taskToken: string, output: Record<string, unknown>): void {
    const answer = this.approvals.get(taskToken);
    if (!answer) throw sdkError(TaskDoesNotExist, 'Task Does Not Exist');
    answer(output as { approved: boolean; by?: string });
  }

  private describe(executionArn: string): object {
    const entry = this.running.get(executionArn);
    if (!entry) throw sdkError(ExecutionDoesNotExist, `Execution Does Not Exist: '${executionArn}'`);
    const { status, error, cause } = entry.described;
    return {
      executionArn,
      stateMachineArn: STATE_MACHINE_ARNS[strategyOf(executionArn)],
      name: entry.name,
      status: status as SfnExecutionStatus,
      startDate: new Date(),
      input: entry.input,
      ...(error ? { error } : {}),
      ...(cause ? { cause } : {}),
    };
  }

  /** Resolves once no execution runs and every reconcile has finished. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.running.values()].filter((r) => r.described.status === 'RUNNING');
      if (pending.length === 0) {
        await Promise.all([...this.running.values()].map((r) => r.done));
        if ([...this.running.values()].every((r) => r.described.status !== 'RUNNING')) return;
        continue;
      }
      await Promise.all(pending.map((r) => r.done));
    }
  }

  /** Reconcile failures so far (the local stand-in for the reconciler's dead-letter queue). */
  get reconcileFailures(): readonly Error[] {
    return this.failures;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const entry of this.running.values())
      entry.controller.abort(new StopRequest('Stepwise.Shutdown', 'the local server stopped'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.testRoute?.close();
    await this.runtime.close();
  }
}
