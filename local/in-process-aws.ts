import type { Client } from '@smithy/core/client';

/** Answers one AWS API operation (`DescribeAlarms`) with its output, or throws the SDK's exception for it. */
export type OperationHandler = (operation: string, input: Record<string, unknown>) => Promise<object>;

/** Static credentials and a region for a client nothing signs for: its requests never leave the process. */
export const IN_PROCESS_CLIENT_CONFIG = {
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * Serves a real AWS SDK client's requests in-process: the local runtime's simulated cloud answers
 * each operation, so the same adapter code that runs in Lambda (its commands, paging, error
 * mapping) runs locally, as the DynamoDB store runs on dynalite. The answer replaces the request at
 * the start of the client's middleware stack (`initialize`): nothing is serialized, signed or sent.
 */
// biome-ignore lint/suspicious/noExplicitAny: any client, whatever its input and output unions.
export function answeredInProcess<C extends Client<any, any, any, any>>(
  client: C,
  handle: OperationHandler,
): C {
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const output = await handle(operation, args.input as Record<string, unknown>);
      return { output: { $metadata: {}, ...output }, response: {} };
    },
    { step: 'initialize', priority: 'low', name: 'stepwiseInProcess' },
  );
  return client;
}

/** An AWS SDK service exception (`TaskDoesNotExist`), as the service would throw it. */
export const sdkError = <E>(
  Exception: new (options: { message: string; $metadata: object }) => E,
  message: string,
) => new Exception({ message, $metadata: {} });

/**
 * An error named as a task's error is named on AWS (`Lambda.TooManyRequestsException`,
 * `Stepwise.AlarmFired`), so that the engine's Retry and Catch match it by `ErrorEquals`.
 */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** The error an in-process service throws for an operation it does not offer. */
export function unsupported(service: string, operation: string): Error {
  const error = new Error(`the local ${service} does not offer ${operation}`);
  error.name = 'UnknownOperationException';
  return error;
}
