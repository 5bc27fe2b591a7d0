import {
  ConflictError,
  ProviderError,
  ResourceNotFoundError,
  TransientError,
} from '../../../domain/errors.ts';
import { rethrowAws } from '../../aws-errors.ts';

/**
 * Turns a Lambda API error into the Stepwise error the state machine matches: throttling and
 * service faults are worth retrying, a missing function or alias is named, a busy or changed
 * function is a conflict, and any other refusal (invalid parameter, access denied, code
 * storage full) fails for good. Errors that did not come from the API are rethrown as they are.
 */
export function rethrowLambda(error: unknown, what: string, resource: string): never {
  const name = (error as { name?: string })?.name ?? '';
  const message = `${what}: ${name}: ${(error as Error)?.message ?? String(error)}`;
  switch (name) {
    case 'ResourceNotFoundException':
      throw new ResourceNotFoundError(`${resource} not found (${message})`, { cause: error });
    case 'ResourceConflictException':
    case 'PreconditionFailedException':
      throw new ConflictError(`${resource} is busy or changed meanwhile (${message})`, { cause: error });
    case 'ServiceException':
      throw new TransientError(message, { cause: error });
  }
  try {
    rethrowAws(error, what);
  } catch (mapped) {
    if (mapped === error && isServiceError(error)) throw new ProviderError(message, { cause: error });
    throw mapped;
  }
}

/** SDK service exceptions carry `$metadata`; a bug in our code does not. */
function isServiceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}

export function isPreconditionFailed(error: unknown): boolean {
  return (error as { name?: string })?.name === 'PreconditionFailedException';
}
