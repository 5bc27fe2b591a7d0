/** A mistake in how the CLI was called: printed as one line, exit code 1, nothing ran. */
export class UsageError extends Error {
  override name = 'UsageError';
}
