import { type ErrorReading, rethrow } from '../provider-errors.ts';

/**
 * Turns a Lambda API error into the Stepwise error the state machine matches: throttling and
 * service faults are worth retrying, a missing function or alias is named, a busy or changed
 * function is a conflict, and any other refusal (invalid parameter, access denied, code
 * storage full) fails for good. Errors that did not come from the API are rethrown as they are.
 */
export function rethrowLambda(error: unknown, what: string, resource: string): never {
  const reading: ErrorReading = {
    meanings: {
      ResourceNotFoundException: 'not-found',
      ResourceConflictException: 'conflict',
      PreconditionFailedException: 'conflict',
      ServiceException: 'transient',
    },
    wording: {
      'not-found': (call) => `${resource} not found (${call.what}: ${call.name}: ${call.message})`,
      conflict: (call) =>
        `${resource} is busy or changed meanwhile (${call.what}: ${call.name}: ${call.message})`,
    },
    refuseOtherServiceErrors: true,
  };
  return rethrow(reading, error, what);
}

export function isPreconditionFailed(error: unknown): boolean {
  return (error as { name?: string })?.name === 'PreconditionFailedException';
}
