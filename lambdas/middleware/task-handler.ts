import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';

/** What every task's log lines carry, when the input has it. */
function correlationKeys(input: unknown): Record<string, unknown> {
  const value = input as {
    deploymentId?: string;
    service?: string;
    strategy?: string;
    deployment?: { deploymentId?: string; service?: string; strategy?: string };
    progress?: { stepIndex?: number };
    state?: { deployment?: { deploymentId?: string; service?: string; strategy?: string } };
  };
  const deployment = value?.deployment ?? value?.state?.deployment ?? value;
  return {
    deploymentId: deployment?.deploymentId,
    // `service` is Powertools' own key (the function's service name): the deployed service gets its own.
    targetService: deployment?.service,
    strategy: deployment?.strategy,
    step: typeof value?.progress?.stepIndex === 'number' ? value.progress.stepIndex + 1 : undefined,
  };
}

export interface TaskHandlerOptions<I> {
  /** Task name, used as the logger's service name suffix. */
  name: string;
  /** Parses and validates the raw event; throws InvalidInputError naming the bad field. */
  parse: (event: unknown) => I;
  /** Default: a Powertools Logger whose service name is POWERTOOLS_SERVICE_NAME, or `stepwise-<name>`. */
  logger?: Logger;
}

/**
 * The one middy stack for every Step Functions task: logger context with the deployment's keys
 * on every line, then input parsing. There is deliberately no error middleware: a thrown error
 * must reach the state machine, whose Retry and Catch match on its `name`.
 *
 * middy's early timeout is off: it arms a wall-clock timer from `getRemainingTimeInMillis()`,
 * which in the local runtime is virtual time (the task's own, not the machine's), so it ended
 * rehearsals on a loaded machine. On AWS, Lambda's own timeout ends a hung invocation, and the
 * state machine sees that error as it saw middy's.
 */
export function taskHandler<I, O>(
  options: TaskHandlerOptions<I>,
  run: (input: I, logger: Logger) => Promise<O>,
): MiddyfiedHandler<unknown, O, Error, Context> {
  const logger =
    options.logger ??
    new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? `stepwise-${options.name}` });
  return middy<unknown, O, Error, Context>({ timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .before((request) => {
      logger.appendKeys(correlationKeys(request.event));
    })
    .handler(async (event) => {
      const input = options.parse(event);
      try {
        const output = await run(input, logger);
        logger.info('task completed');
        return output;
      } catch (error) {
        logger.error('task failed', error as Error);
        throw error;
      }
    });
}
