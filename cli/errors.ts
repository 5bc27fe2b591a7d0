/** A mistake in how the CLI was called: printed as one line, exit code 1, nothing ran. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Why the CLI was asked to stop before its command finished. */
export type StopCause = 'SIGINT' | 'SIGTERM' | 'output closed';

/** The CLI was stopped (Ctrl-C, SIGTERM, its output closed): the reason of the commands' AbortSignal. */
export class StoppedError extends Error {
  override name = 'StoppedError';
  override readonly cause: StopCause;
  readonly exitCode: number;

  constructor(cause: StopCause, exitCode: number) {
    super(cause === 'output closed' ? 'its output was closed' : `interrupted by ${cause}`);
    this.cause = cause;
    this.exitCode = exitCode;
  }
}

/** The AWS credential chain found nothing to sign requests to a deployed API with. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';

  constructor(url: string, profile: string | undefined, cause: Error) {
    const why = (cause.message || cause.name).split('\n')[0]?.replace(/\.$/, '');
    super(
      `no AWS credentials to sign requests to ${url}${profile ? ` with profile ${profile}` : ''} (${why}); ` +
        "give them with --profile NAME or AWS_PROFILE (after 'aws configure' or 'aws sso login'), " +
        'or with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      { cause },
    );
  }
}

/** The command ran but could not do what it was asked (nothing to wait for, say): one line, exit 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** An answer of the Stepwise API other than success: its HTTP status and error code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}
