import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TASKS } from '../../../lambdas/tasks.ts';
import {
  ExecutionAlreadyExistsError,
  ExecutionNames,
  type LocalInvoker,
  runExecution,
  TaskTime,
  validatedDefinitions,
} from '../../../local/engine.ts';
import { taskLambdaContext } from '../../../local/lambda-context.ts';

/**
 * What AWS enforces that the embedded engine, left to itself, does differently: Fail paths that
 * resolve to a string, TimeoutSecondsPath/HeartbeatSecondsPath against the state input, task
 * timeouts on the virtual clock rather than the wall clock, and execution names that stay taken.
 */

const definition = (states: Record<string, unknown>, startAt = 'Work'): StateMachineDefinition =>
  ({ StartAt: startAt, States: states }) as unknown as StateMachineDefinition;

const task = (extra: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: 'work', 'Payload.$': '$.payload' },
  OutputPath: '$.Payload',
  End: true,
  ...extra,
});

/** An invocation that takes `seconds` of the task's own virtual time, then answers `{ done: true }`. */
const taking =
  (seconds: number): LocalInvoker =>
  async (request) => {
    request.time.pass(seconds);
    return { done: true };
  };

afterEach(() => {
  vi.useRealTimers();
});

describe('Fail states', () => {
  const fail = (field: 'CausePath' | 'ErrorPath') =>
    definition(
      {
        Failed: {
          Type: 'Fail',
          ...(field === 'CausePath' ? { Error: 'Stepwise.RolledBack' } : { Cause: 'why' }),
          [field]: '$.outcome.text',
        },
      },
      'Failed',
    );

  it.each(['CausePath', 'ErrorPath'] as const)(
    'fail the execution States.Runtime when %s selects nothing, as on AWS',
    async (field) => {
      const ended = await runExecution(fail(field), { outcome: {} }, taking(0));
      expect(ended).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(ended.cause).toMatch(/does not point to a value/);
    },
  );

  it.each(['CausePath', 'ErrorPath'] as const)(
    'fail the execution States.Runtime when %s selects something other than a string',
    async (field) => {
      const ended = await runExecution(fail(field), { outcome: { text: 3 } }, taking(0));
      expect(ended).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(ended.cause).toMatch(/expected a string/);
    },
  );

  it('end the execution with their error and cause when the paths resolve to strings', async () => {
    const ended = await runExecution(fail('CausePath'), { outcome: { text: 'step 1 unhealthy' } }, taking(0));
    expect(ended).toMatchObject({
      status: 'FAILED',
      error: 'Stepwise.RolledBack',
      cause: 'step 1 unhealthy',
    });
  });
});

describe('TimeoutSecondsPath and HeartbeatSecondsPath', () => {
  // The path names a field of the state input that the task's Parameters do not carry.
  const timed = definition({ Work: task({ TimeoutSecondsPath: '$.limits.timeout' }) });

  it('resolve against the state input, as on AWS, not against the evaluated Parameters', async () => {
    const input = (timeout: number) => ({ payload: {}, limits: { timeout } });
    expect(await runExecution(timed, input(10), taking(5))).toMatchObject({ status: 'SUCCEEDED' });
    expect(await runExecution(timed, input(3), taking(5))).toMatchObject({
      status: 'FAILED',
      error: 'States.Timeout',
    });
  });

  it('hand the task its own Parameters, unchanged', async () => {
    let payload: unknown;
    await runExecution(timed, { payload: { a: 1 }, limits: { timeout: 10 } }, async (request) => {
      payload = request.kind === 'execution' || request.kind === 'sdk' ? undefined : request.payload;
      return {};
    });
    expect(payload).toEqual({ a: 1 });
  });

  it('fail the execution States.Runtime, which no Catch takes, when the path is not a positive integer', async () => {
    const caught = definition({
      Work: task({
        TimeoutSecondsPath: '$.limits.timeout',
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
      }),
      Caught: { Type: 'Succeed' },
    });
    for (const timeout of [0, 2.5, '60']) {
      const ended = await runExecution(caught, { payload: {}, limits: { timeout } }, taking(0));
      expect(ended, String(timeout)).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(ended.cause).toMatch(
        /TimeoutSecondsPath '\$\.limits\.timeout' resolved to .*expected a positive integer/,
      );
    }
  });

  it('time a task out States.HeartbeatTimeout when no heartbeat comes within HeartbeatSecondsPath', async () => {
    const beating = definition({
      Work: task({ TimeoutSeconds: 600, HeartbeatSecondsPath: '$.limits.heartbeat' }),
    });
    const ended = await runExecution(beating, { payload: {}, limits: { heartbeat: 30 } }, taking(45));
    expect(ended).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
  });
});

describe('task timeouts', () => {
  const slow = definition({ Work: task({ TimeoutSeconds: 120 }) });

  it('do not fire for a task that takes long on the wall clock but none of its own time (a loaded machine)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const ended = runExecution(slow, { payload: {} }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 300_000));
      return { done: true };
    });
    await vi.advanceTimersByTimeAsync(300_000);
    expect(await ended).toMatchObject({ status: 'SUCCEEDED', output: { done: true } });
  });

  it('fire States.Timeout once the task has taken its TimeoutSeconds of virtual time', async () => {
    const ended = await runExecution(slow, { payload: {} }, taking(121));
    expect(ended).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('give the Lambda context the function timeout less the task time, never the wall time', () => {
    const time = new TaskTime(120);
    const context = taskLambdaContext(TASKS[0] as (typeof TASKS)[number], time);
    expect(context.getRemainingTimeInMillis()).toBe(60_000);
    time.pass(20);
    expect(context.getRemainingTimeInMillis()).toBe(40_000);
    time.pass(50);
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });
});

describe('ExecutionNames', () => {
  it('starts an execution under a free name', () => {
    const names = new ExecutionNames();
    expect(names.claim('canary', 'd-1', '{"a":1}', () => 'run 1')).toEqual({
      execution: 'run 1',
      started: true,
    });
  });

  it('answers the same name and input while it runs with the running execution (StartExecution is idempotent)', () => {
    const names = new ExecutionNames();
    names.claim('canary', 'd-1', '{"a":1}', () => 'run 1');
    expect(names.claim('canary', 'd-1', '{"a":1}', () => 'run 2')).toEqual({
      execution: 'run 1',
      started: false,
    });
  });

  it('refuses the name of a running execution with other input', () => {
    const names = new ExecutionNames();
    names.claim('canary', 'd-1', '{"a":1}', () => 'run 1');
    expect(() => names.claim('canary', 'd-1', '{"a":2}', () => 'run 2')).toThrow(ExecutionAlreadyExistsError);
  });

  it('refuses the name of a closed execution, whatever the input', () => {
    const names = new ExecutionNames();
    names.claim('canary', 'd-1', '{"a":1}', () => 'run 1');
    names.close('canary', 'd-1');
    expect(() => names.claim('canary', 'd-1', '{"a":1}', () => 'run 2')).toThrow(
      "Execution Already Exists: 'd-1' of canary (closed)",
    );
  });

  it('keeps names per state machine', () => {
    const names = new ExecutionNames();
    names.claim('canary', 'd-1', '{}', () => 'canary run');
    names.close('canary', 'd-1');
    expect(names.claim('linear', 'd-1', '{}', () => 'linear run').started).toBe(true);
  });
});

describe('A definition run many times', () => {
  it('is validated once per process, and every run of it still runs', async () => {
    const machine = definition({ Work: task({ Comment: 'validated once' }) });
    const before = validatedDefinitions();
    const runs = await Promise.all(
      Array.from({ length: 3 }, () => runExecution(machine, { payload: {} }, taking(0))),
    );
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(validatedDefinitions()).toBe(before + 1);
  });

  it('is still refused when invalid, each time it is run', async () => {
    const broken = definition({ Work: task({ Next: 'Nowhere', End: undefined }) });
    await expect(runExecution(broken, {}, taking(0))).rejects.toThrow(/invalid/);
    await expect(runExecution(broken, {}, taking(0))).rejects.toThrow(/invalid/);
  });
});
