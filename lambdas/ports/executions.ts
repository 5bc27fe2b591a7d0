import type { StrategyName } from '../domain/strategy-names.ts';
import type { DeploymentRequest } from '../domain/types.ts';

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

export interface ExecutionDescription {
  executionArn: string;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
}

/**
 * Runs deployments: Step Functions on AWS (`StartExecution`, `StopExecution`, `SendTaskSuccess`,
 * `DescribeExecution`), the embedded engine locally.
 */
export interface Executions {
  /**
   * Starts the strategy's state machine with the request as input, named `request.deploymentId`.
   * Starting the same name with the same input again returns the running execution (Step
   * Functions' own idempotency), so a retried start starts nothing new.
   */
  start(strategy: StrategyName, request: DeploymentRequest): Promise<{ executionArn: string }>;
  /** Stops an execution; Catch does not run, the reconciler cleans up. A stopped or ended execution is left alone. */
  stop(executionArn: string, error: string, cause: string): Promise<void>;
  /** Answers a `.waitForTaskToken` task. */
  sendTaskSuccess(taskToken: string, output: Record<string, unknown>): Promise<void>;
  /**
   * Fails a `.waitForTaskToken` task with `error` (its Catch decides what follows). Returns false,
   * changing nothing, when the task no longer waits (it timed out, was answered, or its execution ended).
   */
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean>;
  describe(executionArn: string): Promise<ExecutionDescription>;
  /** Where a person watches the execution: the Step Functions console, or the local server's view. */
  consoleUrl(executionArn: string): string;
}
