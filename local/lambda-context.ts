import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { TASK_FUNCTION_TIMEOUT_SECONDS, type TaskDefinition } from '../lambdas/tasks.ts';
import type { TaskTime } from './engine.ts';

/** A task's name as `--inject` and the docs spell it: its entry file without `.ts`. */
export function taskName(task: TaskDefinition): string {
  return task.entry.replace(/\.ts$/, '');
}

/** The logger a task handler gets in process: the local run prints its own progress instead. */
export const silentLogger = () => new Logger({ serviceName: 'stepwise-local', logLevel: 'SILENT' });

/**
 * A task function's Lambda context: its remaining time is the function's timeout on AWS less the
 * virtual time the task has taken, never wall time, so a loaded machine does not run it out.
 */
export function taskLambdaContext(task: TaskDefinition, time: TaskTime): Context {
  return localLambdaContext(`stepwise-local-${taskName(task)}`, () =>
    Math.max(0, TASK_FUNCTION_TIMEOUT_SECONDS * 1000 - time.elapsedSeconds * 1000),
  );
}

/** The Lambda context a handler gets when the local runtime or server calls it in-process. */
export function localLambdaContext(functionName: string, remainingMs: number | (() => number)): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomBytes(8).toString('hex'),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: typeof remainingMs === 'number' ? () => remainingMs : remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
