import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnExecutions } from '../../../lambdas/adapters/sfn/sfn-executions.ts';
import {
  ConflictError,
  InvalidInputError,
  ResourceNotFoundError,
  TransientError,
} from '../../../lambdas/domain/errors.ts';
import { mockClient } from '../../support/aws-mock.ts';
import { deploymentRequest } from '../fixtures.ts';

const sfn = mockClient(SFNClient);
const CANARY = 'arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-canary';
const LINEAR = 'arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-linear';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:stepwise-canary:shop-2.0-9f2c1a7b';

const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
const metadata = { $metadata: {} };

let executions: SfnExecutions;

beforeEach(() => {
  sfn.reset();
  executions = new SfnExecutions(new SFNClient({ region: 'eu-west-1' }), { canary: CANARY, linear: LINEAR });
});

describe('SfnExecutions', () => {
  describe('start', () => {
    it("starts the strategy's state machine, named after the deployment, with the request as input", async () => {
      sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
      const request = deploymentRequest({ deploymentId: 'shop-2.0-9f2c1a7b', strategy: 'linear' });

      expect(await executions.start('linear', request)).toEqual({ executionArn: EXECUTION });
      expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
      expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
        stateMachineArn: LINEAR,
        name: 'shop-2.0-9f2c1a7b',
        input: JSON.stringify(request),
      });
    });

    it('refuses a strategy that has no state machine in this stack, asking nothing', async () => {
      await expect(executions.start('ring', deploymentRequest())).rejects.toThrow(InvalidInputError);
      await expect(executions.start('ring', deploymentRequest())).rejects.toThrow(
        'strategy ring has no state machine in this stack',
      );
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    });

    it('reports a name already taken by an execution with other input as a conflict', async () => {
      sfn
        .on(StartExecutionCommand)
        .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', ...metadata }));
      const starting = executions.start('canary', deploymentRequest({ deploymentId: 'dep-1' }));
      await expect(starting).rejects.toThrow(ConflictError);
      await expect(starting).rejects.toThrow('an execution named dep-1 already exists with other input');
    });

    it('reports throttling as transient, to be retried', async () => {
      sfn.on(StartExecutionCommand).rejects(throttling());
      const starting = executions.start('canary', deploymentRequest({ deploymentId: 'dep-1' }));
      await expect(starting).rejects.toThrow(TransientError);
      await expect(starting).rejects.toThrow(/starting dep-1: ThrottlingException/);
    });

    it('passes any other failure on as it is', async () => {
      const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
      sfn.on(StartExecutionCommand).rejects(denied);
      await expect(executions.start('canary', deploymentRequest())).rejects.toBe(denied);
    });
  });

  describe('stop', () => {
    it('stops the execution with the error and cause given', async () => {
      sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
      await executions.stop(EXECUTION, 'Stepwise.Aborted', 'aborted by alice@example.com');
      expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
        executionArn: EXECUTION,
        error: 'Stepwise.Aborted',
        cause: 'aborted by alice@example.com',
      });
    });

    it('cuts a cause to the 32768 characters Step Functions accepts', async () => {
      sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
      await executions.stop(EXECUTION, 'Stepwise.Aborted', 'x'.repeat(40_000));
      const [call] = sfn.commandCalls(StopExecutionCommand);
      expect(call?.args[0].input.cause).toHaveLength(32_768);
    });

    it('reports an execution that does not exist as not found', async () => {
      sfn
        .on(StopExecutionCommand)
        .rejects(new ExecutionDoesNotExist({ message: 'no such execution', ...metadata }));
      await expect(executions.stop(EXECUTION, 'e', 'c')).rejects.toThrow(ResourceNotFoundError);
    });

    it('reports throttling as transient', async () => {
      sfn.on(StopExecutionCommand).rejects(throttling());
      await expect(executions.stop(EXECUTION, 'e', 'c')).rejects.toThrow(TransientError);
    });
  });

  describe('sendTaskSuccess', () => {
    it('answers the task with its output as JSON', async () => {
      sfn.on(SendTaskSuccessCommand).resolves({});
      await executions.sendTaskSuccess('token-1', { approved: true, by: 'alice@example.com' });
      expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
        taskToken: 'token-1',
        output: JSON.stringify({ approved: true, by: 'alice@example.com' }),
      });
    });

    it('reports an approval that timed out as a conflict', async () => {
      sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', ...metadata }));
      const answering = executions.sendTaskSuccess('token-1', {});
      await expect(answering).rejects.toThrow(ConflictError);
      await expect(answering).rejects.toThrow('the approval is no longer waiting');
    });

    it('reports an approval that was already answered as a conflict', async () => {
      sfn
        .on(SendTaskSuccessCommand)
        .rejects(new TaskDoesNotExist({ message: 'Task Does Not Exist', ...metadata }));
      await expect(executions.sendTaskSuccess('token-1', {})).rejects.toThrow(ConflictError);
    });

    it('reports throttling as transient', async () => {
      sfn.on(SendTaskSuccessCommand).rejects(throttling());
      await expect(executions.sendTaskSuccess('token-1', {})).rejects.toThrow(TransientError);
    });
  });

  describe('sendTaskFailure', () => {
    it('fails the task with the error and cause, and says it did', async () => {
      sfn.on(SendTaskFailureCommand).resolves({});
      expect(
        await executions.sendTaskFailure('token-1', 'Stepwise.AlarmFired', 'alarm errors went into ALARM'),
      ).toBe(true);
      expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
        taskToken: 'token-1',
        error: 'Stepwise.AlarmFired',
        cause: 'alarm errors went into ALARM',
      });
    });

    it('answers false, changing nothing, for a task that no longer waits', async () => {
      sfn.on(SendTaskFailureCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', ...metadata }));
      expect(await executions.sendTaskFailure('token-1', 'Stepwise.AlarmFired', 'x')).toBe(false);
      sfn
        .on(SendTaskFailureCommand)
        .rejects(new TaskDoesNotExist({ message: 'Task Does Not Exist', ...metadata }));
      expect(await executions.sendTaskFailure('token-1', 'Stepwise.AlarmFired', 'x')).toBe(false);
    });

    it('keeps the cause within the 32,768 characters Step Functions takes', async () => {
      sfn.on(SendTaskFailureCommand).resolves({});
      await executions.sendTaskFailure('token-1', 'Stepwise.AlarmFired', 'x'.repeat(40_000));
      expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input.cause).toHaveLength(32_768);
    });

    it('reports throttling as transient', async () => {
      sfn.on(SendTaskFailureCommand).rejects(throttling());
      await expect(executions.sendTaskFailure('token-1', 'Stepwise.AlarmFired', 'x')).rejects.toThrow(
        TransientError,
      );
    });
  });

  describe('describe', () => {
    it('tells how an execution ended, with its error and cause', async () => {
      sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({
        executionArn: EXECUTION,
        stateMachineArn: CANARY,
        status: 'FAILED',
        error: 'Stepwise.ProviderFailed',
        cause: 'the listener refused the weights',
        startDate: new Date(),
      });
      expect(await executions.describe(EXECUTION)).toEqual({
        executionArn: EXECUTION,
        status: 'FAILED',
        error: 'Stepwise.ProviderFailed',
        cause: 'the listener refused the weights',
      });
    });

    it('tells a running execution by its status alone', async () => {
      sfn.on(DescribeExecutionCommand).resolves({
        executionArn: EXECUTION,
        stateMachineArn: CANARY,
        status: 'RUNNING',
        startDate: new Date(),
      });
      expect(await executions.describe(EXECUTION)).toEqual({ executionArn: EXECUTION, status: 'RUNNING' });
    });

    it('reports an execution that does not exist as not found', async () => {
      sfn
        .on(DescribeExecutionCommand)
        .rejects(new ExecutionDoesNotExist({ message: 'no such execution', ...metadata }));
      await expect(executions.describe(EXECUTION)).rejects.toThrow(`no execution ${EXECUTION}`);
    });
  });

  describe('consoleUrl', () => {
    it('points at the Step Functions console of the execution’s region', () => {
      expect(executions.consoleUrl(EXECUTION)).toBe(
        `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION}`,
      );
    });

    it('points at the China console for an aws-cn execution', () => {
      const arn = 'arn:aws-cn:states:cn-north-1:123456789012:execution:stepwise-canary:dep-1';
      expect(executions.consoleUrl(arn)).toBe(
        `https://cn-north-1.console.amazonaws.cn/states/home?region=cn-north-1#/v2/executions/details/${arn}`,
      );
    });

    it('points at the GovCloud console for an aws-us-gov execution', () => {
      const arn = 'arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:stepwise-canary:dep-1';
      expect(executions.consoleUrl(arn)).toMatch(
        /^https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\//,
      );
    });
  });
});
