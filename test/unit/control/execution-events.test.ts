import { describe, expect, it } from 'vitest';
import { executionEnded } from '../../../lambdas/control/execution-events.ts';
import type { ExecutionDescription, ExecutionStatus, Executions } from '../../../lambdas/ports/executions.ts';
import { deploymentRequest } from '../fixtures.ts';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:stepwise-canary:dep-1';
const REQUEST = JSON.stringify(deploymentRequest({ deploymentId: 'dep-1' }));

/** Executions that only describe, answering from a table, and remember what they were asked. */
class DescribingExecutions implements Executions {
  readonly described: string[] = [];
  private readonly descriptions: Record<string, Omit<ExecutionDescription, 'executionArn'>>;

  constructor(descriptions: Record<string, Omit<ExecutionDescription, 'executionArn'>> = {}) {
    this.descriptions = descriptions;
  }

  async describe(executionArn: string): Promise<ExecutionDescription> {
    this.described.push(executionArn);
    return { executionArn, status: 'RUNNING', ...this.descriptions[executionArn] };
  }
  start(): Promise<{ executionArn: string }> {
    throw new Error('reading an event starts nothing');
  }
  stop(): Promise<void> {
    throw new Error('reading an event stops nothing');
  }
  sendTaskSuccess(): Promise<void> {
    throw new Error('reading an event answers nothing');
  }
  sendTaskFailure(): Promise<boolean> {
    throw new Error('reading an event fails nothing');
  }
  consoleUrl(executionArn: string): string {
    return executionArn;
  }
}

/** A `Step Functions Execution Status Change` event as EventBridge delivers it. */
const statusChange = (status: ExecutionStatus, detail: Record<string, unknown> = {}) => ({
  version: '0',
  id: '315c1398-40ff-a850-213b-158f73e60175',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '123456789012',
  time: '2026-03-01T10:05:00Z',
  region: 'eu-west-1',
  resources: [EXECUTION],
  detail: {
    executionArn: EXECUTION,
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-canary',
    name: 'dep-1',
    status,
    startDate: 1772359200000,
    stopDate: status === 'RUNNING' ? null : 1772359500000,
    input: REQUEST,
    output: status === 'SUCCEEDED' ? '{"status":"SUCCEEDED"}' : null,
    ...detail,
  },
});

describe('executionEnded', () => {
  it('reads a succeeded execution: its ARN, name, status and input, without asking anything', async () => {
    const executions = new DescribingExecutions();
    expect(await executionEnded(executions, statusChange('SUCCEEDED'))).toEqual({
      executionArn: EXECUTION,
      name: 'dep-1',
      status: 'SUCCEEDED',
      input: REQUEST,
    });
    expect(executions.described).toEqual([]);
  });

  it('reads a failed execution with the error and cause the event carries', async () => {
    const executions = new DescribingExecutions();
    const event = statusChange('FAILED', { error: 'Stepwise.ProviderFailed', cause: 'the listener refused' });
    expect(await executionEnded(executions, event)).toEqual({
      executionArn: EXECUTION,
      name: 'dep-1',
      status: 'FAILED',
      error: 'Stepwise.ProviderFailed',
      cause: 'the listener refused',
      input: REQUEST,
    });
    expect(executions.described).toEqual([]);
  });

  it.each(['FAILED', 'ABORTED', 'TIMED_OUT'] as const)(
    'asks the execution for the error and cause a %s event leaves out',
    async (status) => {
      const executions = new DescribingExecutions({
        [EXECUTION]: { status, error: 'States.Timeout', cause: 'stopped by the operator' },
      });
      expect(await executionEnded(executions, statusChange(status, { error: null, cause: null }))).toEqual({
        executionArn: EXECUTION,
        name: 'dep-1',
        status,
        error: 'States.Timeout',
        cause: 'stopped by the operator',
        input: REQUEST,
      });
      expect(executions.described).toEqual([EXECUTION]);
    },
  );

  it('reads an aborted execution that has no error anywhere as just aborted', async () => {
    const executions = new DescribingExecutions({ [EXECUTION]: { status: 'ABORTED' } });
    expect(await executionEnded(executions, statusChange('ABORTED'))).toEqual({
      executionArn: EXECUTION,
      name: 'dep-1',
      status: 'ABORTED',
      input: REQUEST,
    });
  });

  it('reads an ended execution without input', async () => {
    const ended = await executionEnded(
      new DescribingExecutions(),
      statusChange('SUCCEEDED', { input: null }),
    );
    expect(ended).toEqual({ executionArn: EXECUTION, name: 'dep-1', status: 'SUCCEEDED' });
  });

  it('ignores an execution that is still running, or waiting for a redrive', async () => {
    const executions = new DescribingExecutions();
    expect(await executionEnded(executions, statusChange('RUNNING'))).toBeUndefined();
    expect(await executionEnded(executions, statusChange('PENDING_REDRIVE'))).toBeUndefined();
    expect(executions.described).toEqual([]);
  });

  it('ignores events that are not execution status changes', async () => {
    const executions = new DescribingExecutions();
    const ecrPush = { ...statusChange('SUCCEEDED'), source: 'aws.ecr', 'detail-type': 'ECR Image Action' };
    const otherStates = {
      ...statusChange('SUCCEEDED'),
      'detail-type': 'Step Functions State Machine Status Change',
    };
    expect(await executionEnded(executions, ecrPush)).toBeUndefined();
    expect(await executionEnded(executions, otherStates)).toBeUndefined();
    expect(await executionEnded(executions, {})).toBeUndefined();
  });

  it('ignores a status change that names no execution', async () => {
    const executions = new DescribingExecutions();
    expect(
      await executionEnded(executions, statusChange('FAILED', { executionArn: undefined })),
    ).toBeUndefined();
    expect(await executionEnded(executions, statusChange('FAILED', { name: undefined }))).toBeUndefined();
    expect(executions.described).toEqual([]);
  });
});
