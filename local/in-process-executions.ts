import type { ExecutionEnded } from '../lambdas/control/reconciler.ts';
import { ConflictError, ResourceNotFoundError } from '../lambdas/domain/errors.ts';
import type { StrategyName } from '../lambdas/domain/strategies/index.ts';
import type { DeploymentRequest } from '../lambdas/domain/types.ts';
import type { ExecutionDescription, Executions } from '../lambdas/ports/executions.ts';
import { ExecutionAlreadyExistsError, type ExecutionNames, type ExecutionResult } from './engine.ts';

/** Where a local execution's ARN starts: the strategy's state machine and the execution's name follow. */
const LOCAL_EXECUTIONS = 'arn:aws:states:local:000000000000:execution:Stepwise-';

/** An execution's end as its status-change event tells it to the reconciler. */
export function endedOf(
  request: DeploymentRequest,
  execution: ExecutionResult,
  arnSuffix?: string,
): ExecutionEnded {
  return {
    executionArn: `${LOCAL_EXECUTIONS}${arnSuffix ?? request.deploymentId}`,
    name: request.deploymentId,
    status: execution.status,
    ...(execution.error ? { error: execution.error } : {}),
    ...(execution.cause ? { cause: execution.cause } : {}),
    input: JSON.stringify(request),
  };
}

/**
 * Executions for an in-process run's reconciler: a deployment it starts runs here, in the
 * background, as StartExecution would start it; `idle` waits for them all.
 */
export class InProcessExecutions implements Executions {
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
