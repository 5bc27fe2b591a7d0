import { TransientError } from '../domain/errors.ts';

/** AWS error names that mean "try again later" rather than "this cannot work". */
const TRANSIENT = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
]);

/** Turns throttling and service-side failures into TransientError (retried by the ASL); rethrows the rest. */
export function rethrowAws(error: unknown, what: string): never {
  const name = (error as { name?: string })?.name ?? '';
  const code = (error as { code?: string })?.code ?? '';
  if (TRANSIENT.has(name) || TRANSIENT.has(code)) {
    throw new TransientError(`${what}: ${name || code}: ${(error as Error).message}`, { cause: error });
  }
  throw error;
}

export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}
