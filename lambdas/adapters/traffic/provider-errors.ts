import { ConflictError, ProviderError, ResourceNotFoundError, TransientError } from '../../domain/errors.ts';
import { rethrowAws } from '../aws-errors.ts';

/** What an AWS error means to the state machine: each meaning is one Stepwise error it matches. */
export type ErrorMeaning = 'not-found' | 'conflict' | 'transient' | 'refused';

const ERRORS = {
  'not-found': ResourceNotFoundError,
  conflict: ConflictError,
  transient: TransientError,
  refused: ProviderError,
} as const;

/** One failed call: what it was (`UpdateService web in cluster prod`), the error's name and message. */
export interface FailedCall {
  what: string;
  name: string;
  message: string;
}

/**
 * A provider's reading of its services' errors: the meaning of each error name it knows, how it
 * words each meaning (a missing resource names which one), and whether any other error from the
 * service (not a bug of ours) is a refusal. Every provider folder declares one; `rethrow` is the
 * one mapping they share. Names no table lists fall to the shared throttling rules (`rethrowAws`).
 */
export interface ErrorReading {
  meanings: Readonly<Record<string, ErrorMeaning>>;
  /** @default `${what}: ${name}: ${message}` */
  wording?: Partial<Record<ErrorMeaning, (call: FailedCall) => string>>;
  /** An SDK service error no table lists is a refusal, not rethrown as it is. @default false */
  refuseOtherServiceErrors?: boolean;
}

const plain = ({ what, name, message }: FailedCall) => `${what}: ${name}: ${message}`;

/** SDK service exceptions carry `$metadata`; a bug in our code does not. */
function isServiceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}

/** Throws the Stepwise error `reading` gives `error` from the call `what`. */
export function rethrow(reading: ErrorReading, error: unknown, what: string): never {
  const name = (error as { name?: string })?.name ?? '';
  const call = { what, name, message: (error as Error)?.message ?? String(error) };
  const meaning = reading.meanings[name];
  if (meaning) throw new ERRORS[meaning]((reading.wording?.[meaning] ?? plain)(call), { cause: error });
  try {
    rethrowAws(error, what);
  } catch (mapped) {
    if (mapped === error && reading.refuseOtherServiceErrors && isServiceError(error)) {
      throw new ProviderError((reading.wording?.refused ?? plain)(call), { cause: error });
    }
    throw mapped;
  }
}

/** Gives every name in `names` the meaning `meaning`. */
export function meaningOf(meaning: ErrorMeaning, names: readonly string[]): Record<string, ErrorMeaning> {
  return Object.fromEntries(names.map((name) => [name, meaning]));
}
