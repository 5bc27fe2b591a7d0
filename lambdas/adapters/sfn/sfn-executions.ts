import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { ConflictError, InvalidInputError, ResourceNotFoundError } from '../../domain/errors.ts';
import type { StrategyName } from '../../domain/strategy-names.ts';
import type { DeploymentRequest } from '../../domain/types.ts';
import type { ExecutionDescription, ExecutionStatus, Executions } from '../../ports/executions.ts';
import { rethrowAws } from '../aws-errors.ts';

/** The Executions port on Step Functions: one state machine per strategy, by ARN. */
export class SfnExecutions implements Executions {
  private readonly client: SFNClient;
  private readonly stateMachines: Partial<Record<StrategyName, string>>;

  constructor(client: SFNClient, stateMachines: Partial<Record<StrategyName, string>>) {
    this.client = client;
    this.stateMachines = stateMachines;
  }

  async start(strategy: StrategyName, request: DeploymentRequest): Promise<{ executionArn: string }> {
    const stateMachineArn = this.stateMachines[strategy];
    if (!stateMachineArn)
      throw new InvalidInputError(`strategy ${strategy} has no state machine in this stack`);
    try {
      const out = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: request.deploymentId,
          input: JSON.stringify(request),
        }),
      );
      return { executionArn: out.executionArn as string };
    } catch (e) {
      // The same name with another input: a different deployment already took this name.
      if ((e as { name?: string }).name === 'ExecutionAlreadyExists') {
        throw new ConflictError(`an execution named ${request.deploymentId} already exists with other input`);
      }
      rethrowAws(e, `starting ${request.deploymentId}`);
    }
  }

  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({ executionArn, error, cause: cause.slice(0, 32_768) }),
      );
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) throw new ResourceNotFoundError(`no execution ${executionArn}`);
      rethrowAws(e, `stopping ${executionArn}`);
    }
  }

  async sendTaskSuccess(taskToken: string, output: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (e) {
      if (e instanceof TaskDoesNotExist || e instanceof TaskTimedOut || e instanceof InvalidToken) {
        throw new ConflictError('the approval is no longer waiting (it timed out or was answered)');
      }
      rethrowAws(e, 'answering the approval');
    }
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    try {
      // Step Functions takes at most 256 characters of error and 32,768 of cause.
      await this.client.send(
        new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) }),
      );
      return true;
    } catch (e) {
      if (e instanceof TaskDoesNotExist || e instanceof TaskTimedOut || e instanceof InvalidToken)
        return false;
      rethrowAws(e, 'failing a waiting task');
    }
  }

  async describe(executionArn: string): Promise<ExecutionDescription> {
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn,
        status: out.status as ExecutionStatus,
        ...(out.error ? { error: out.error } : {}),
        ...(out.cause ? { cause: out.cause } : {}),
      };
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) throw new ResourceNotFoundError(`no execution ${executionArn}`);
      rethrowAws(e, `describing ${executionArn}`);
    }
  }

  consoleUrl(executionArn: string): string {
    const [, partition, , region] = executionArn.split(':');
    const host =
      partition === 'aws-cn'
        ? 'console.amazonaws.cn'
        : partition === 'aws-us-gov'
          ? 'console.amazonaws-us-gov.com'
          : 'console.aws.amazon.com';
    return `https://${region}.${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
  }
}
