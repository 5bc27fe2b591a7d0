import { Logger } from '@aws-lambda-powertools/logger';
import { makeProviderFactory } from '../lambdas/adapters/traffic/providers.ts';
import type { ControlDeps } from '../lambdas/control/deps.ts';
import { pumpQueue } from '../lambdas/control/launcher.ts';
import { reconcile } from '../lambdas/control/reconciler.ts';
import { ConflictError, ResourceNotFoundError, TransientError } from '../lambdas/domain/errors.ts';
import { type RegistryFile, toServiceConfig } from '../lambdas/domain/registry.ts';
import { defaultStrategyPlan, type StrategyName, withSmokeTests } from '../lambdas/domain/strategies.ts';
import type { DeploymentRequest, ServiceConfig } from '../lambdas/domain/types.ts';
import type { AlarmSource } from '../lambdas/ports/alarms.ts';
import type { ExecutionDescription, Executions } from '../lambdas/ports/executions.ts';
import { type ExecutionResult, StopRequest } from './engine.ts';
import type { Faults } from './faults.ts';
import { DEFAULT_ALARMS, type LocalDeployOptions, LocalRuntime } from './runtime.ts';
import { startTestRoute } from './test-route.ts';

const ARN_PREFIX = 'arn:aws:states:local:000000000000:execution:stepwise-';

export interface LocalControlPlaneOptions {
  /** Waits take real time instead of jumping a virtual clock. @default false */
  realTime?: boolean;
  /** Faults injected into every execution (the `--inject` grammar). @default none */
  faults?: Faults;
  /** Where a person watches an execution: the local server's URL, once it listens. */
  baseUrl?: () => string;
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

const NO_FAULTS: Faults = { behaviour: [], tasks: [], hooks: [], controls: [], firingAlarms: [] };

/**
 * The control plane on a laptop: the same launcher, API operations and reconciler as on AWS,
 * over dynalite, with executions run in the background by the embedded engine. An execution
 * that ends is reconciled exactly as the `Execution Status Change` rule does on AWS.
 */
export class LocalControlPlane implements Executions {
  readonly runtime: LocalRuntime;
  readonly deps: ControlDeps;
  private readonly options: LocalControlPlaneOptions;
  private readonly running = new Map<string, Running>();
  private readonly approvals = new Map<string, (output: { approved: boolean; by?: string }) => void>();
  private readonly failures: Error[] = [];
  private testRoute?: { url: string; close(): Promise<void> };
  private closing = false;

  private constructor(runtime: LocalRuntime, options: LocalControlPlaneOptions) {
    this.runtime = runtime;
    this.options = options;
    const logger = options.logger ?? new Logger({ serviceName: 'stepwise-local', logLevel: 'SILENT' });
    const clock = { now: () => new Date() };
    const alarms: AlarmSource = {
      observe: async () => [],
      describe: async (names) =>
        names.map((name) => ({
          name,
          exists: true,
          actionsEnabled: true,
          state: (options.faults?.firingAlarms.length ?? 0) > 0 ? 'ALARM' : 'OK',
        })),
    };
    this.deps = {
      store: runtime.store,
      executions: this,
      providers: makeProviderFactory({ store: runtime.store, clock }),
      alarms,
      clock,
      logger,
    };
  }

  static async open(
    dir: string | undefined,
    options: LocalControlPlaneOptions = {},
  ): Promise<LocalControlPlane> {
    const plane = new LocalControlPlane(await LocalRuntime.open(dir), options);
    plane.testRoute = await startTestRoute(options.faults?.hooks ?? []);
    await plane.recover();
    return plane;
  }

  /**
   * Executions do not outlive the process that ran them: a deployment still running (or started)
   * when the last server stopped is reconciled as stopped, as StopExecution would leave it on
   * AWS, and every queue moves on.
   */
  private async recover(): Promise<void> {
    const store = this.runtime.store;
    for (const { service } of await store.listServiceConfigs()) {
      for (const summary of await store.listDeployments(service, 50)) {
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
      const { providerConfig: _real, ...rest } = config;
      return {
        ...rest,
        provider: 'simulated',
        alarms: [`${entry.name}-error-rate`, `${entry.name}-p99-latency`],
        plan: withSmokeTests(config.strategy, config.plan, this.testRoute?.url ?? ''),
      } satisfies ServiceConfig;
    });
    for (const config of configs) await this.runtime.store.putServiceConfig(config);
    return configs;
  }

  async start(strategy: StrategyName, request: DeploymentRequest): Promise<{ executionArn: string }> {
    if (this.closing) throw new TransientError('the local server is stopping; the deployment stays queued');
    const executionArn = `${ARN_PREFIX}${strategy}:${request.deploymentId}`;
    const input = JSON.stringify(request);
    const existing = this.running.get(executionArn);
    if (existing) {
      if (existing.input !== input) {
        throw new ConflictError(`an execution named ${request.deploymentId} already exists with other input`);
      }
      return { executionArn };
    }
    const controller = new AbortController();
    const entry: Running = {
      executionArn,
      name: request.deploymentId,
      input,
      controller,
      described: { executionArn, status: 'RUNNING' },
      done: Promise.resolve(),
    };
    this.running.set(executionArn, entry);
    entry.done = this.run(entry, strategy, request);
    return { executionArn };
  }

  private async run(entry: Running, strategy: StrategyName, request: DeploymentRequest): Promise<void> {
    // Let the caller record the execution ARN first, as StartExecution returns before the first state runs.
    await new Promise((resolve) => setImmediate(resolve));
    let result: ExecutionResult;
    try {
      result = await this.runtime.runRequest(strategy, request, {
        options: this.runOptions(request),
        approver: (payload) => this.awaitApproval(payload, entry.controller.signal),
        signal: entry.controller.signal,
        realTime: this.options.realTime ?? false,
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
      await reconcile(this.deps, { ...entry.described, name: entry.name, input: entry.input });
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
    };
  }

  /** Waits for the approve call (SendTaskSuccess), in real time, up to the step's timeout. */
  private awaitApproval(
    payload: { state: { progress: { step?: unknown } }; taskToken: string },
    signal: AbortSignal,
  ): Promise<{ approved: boolean; by?: string }> {
    const step = payload.state.progress.step as { kind?: string; timeoutSeconds?: number } | undefined;
    const timeoutSeconds = step?.kind === 'approval' ? (step.timeoutSeconds ?? 3600) : 3600;
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.approvals.delete(payload.taskToken);
      };
      const timer = setTimeout(() => {
        finish();
        const error = new Error(`no decision within ${timeoutSeconds}s`);
        error.name = 'States.Timeout';
        reject(error);
      }, timeoutSeconds * 1000);
      const onAbort = () => {
        finish();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.approvals.set(payload.taskToken, (output) => {
        finish();
        resolve(output);
      });
    });
  }

  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    const entry = this.running.get(executionArn);
    if (!entry) throw new ResourceNotFoundError(`no execution ${executionArn}`);
    if (entry.described.status !== 'RUNNING') return;
    entry.controller.abort(new StopRequest(error, cause));
  }

  async sendTaskSuccess(taskToken: string, output: Record<string, unknown>): Promise<void> {
    const answer = this.approvals.get(taskToken);
    if (!answer) throw new ConflictError('the approval is no longer waiting (it timed out or was answered)');
    answer(output as { approved: boolean; by?: string });
  }

  async describe(executionArn: string): Promise<ExecutionDescription> {
    const entry = this.running.get(executionArn);
    if (!entry) throw new ResourceNotFoundError(`no execution ${executionArn}`);
    return entry.described;
  }

  consoleUrl(executionArn: string): string {
    const name = executionArn.split(':').at(-1) ?? executionArn;
    return `${this.options.baseUrl?.() ?? 'local'}/deployments/${name}`;
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
