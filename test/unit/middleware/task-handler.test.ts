import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import { taskHandler } from '../../../lambdas/middleware/task-handler.ts';
import { lambdaContext } from '../fixtures.ts';

/** Runs `run` with stdout and stderr captured, and returns what it logged, one JSON object a line. */
async function logsOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines
    .join('')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(() => {
  vi.restoreAllMocks();
});

const state = {
  deployment: { deploymentId: 'dep-7', service: 'shop', strategy: 'blue-green' },
  progress: { stepIndex: 2 },
};

function handler(run: (input: unknown) => Promise<unknown> = async (input) => input) {
  const logger = new Logger({ serviceName: 'stepwise-test', logLevel: 'INFO' });
  return taskHandler({ name: 'test', parse: (event) => event, logger }, run);
}

describe('taskHandler', () => {
  it("arms no wall-clock timer from the remaining time: ending a slow invocation is Lambda's own job", async () => {
    // The local runtime's remaining time is the task's virtual time: a wall-clock timer armed from
    // it ended invocations that were only slow because the machine was loaded.
    const slow = handler(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'done';
    });
    let result: unknown;
    await logsOf(async () => {
      result = await slow(state, { ...lambdaContext(), getRemainingTimeInMillis: () => 1 });
    });
    expect(result).toBe('done');
  });

  it("puts the deployment's keys on every line, with the deployed service as targetService", async () => {
    const [line] = await logsOf(() => handler()(state, lambdaContext()));
    expect(line).toMatchObject({
      message: 'task completed',
      service: 'stepwise-test',
      deploymentId: 'dep-7',
      targetService: 'shop',
      strategy: 'blue-green',
      step: 3,
    });
  });

  it('finds the keys of a wrapped state, as Request approval and Record event receive it', async () => {
    const [line] = await logsOf(() => handler()({ state, taskToken: 't' }, lambdaContext()));
    expect(line).toMatchObject({ deploymentId: 'dep-7', targetService: 'shop', strategy: 'blue-green' });
  });

  it('finds the keys of a deployment request', async () => {
    const [line] = await logsOf(() => handler()({ deploymentId: 'dep-8', service: 'cart' }, lambdaContext()));
    expect(line).toMatchObject({ deploymentId: 'dep-8', targetService: 'cart' });
  });

  it('returns what the task returns', async () => {
    await expect(handler(async () => ({ ok: 1 }))(state, lambdaContext())).resolves.toEqual({ ok: 1 });
  });

  it('lets an error reach the state machine with its name, and logs it', async () => {
    const failing = handler(async () => {
      throw new InvalidInputError('progress.step must be a hook step, got pause');
    });
    const lines = await logsOf(() =>
      expect(failing(state, lambdaContext())).rejects.toMatchObject({ name: 'Stepwise.InvalidInput' }),
    );
    expect(lines.find((l) => l.message === 'task failed')).toMatchObject({
      level: 'ERROR',
      targetService: 'shop',
    });
  });

  it('does not run the task when the input does not parse', async () => {
    const run = vi.fn(async () => 'ran');
    const strict = taskHandler(
      {
        name: 'test',
        parse: () => {
          throw new InvalidInputError('state is required');
        },
        logger: new Logger({ serviceName: 'stepwise-test', logLevel: 'SILENT' }),
      },
      run,
    );
    await expect(strict({}, lambdaContext())).rejects.toThrow('state is required');
    expect(run).not.toHaveBeenCalled();
  });
});
