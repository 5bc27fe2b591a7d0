import { StoppedError } from './errors.ts';

/** What a command reads and writes besides its arguments. */
export interface Io {
  /** One line of output (stdout). Lines written after the reader went away are dropped. */
  out(line: string): void;
  /** One line for the person at the terminal (stderr): notes that must not mix into --json output. */
  err(line: string): void;
  /**
   * Aborted when the CLI is asked to stop (Ctrl-C, SIGTERM) or its output is closed (`| head`);
   * the reason is a StoppedError. A command that started something stops it and cleans up.
   */
  signal: AbortSignal;
}

/** Exit codes when the CLI was stopped, as a shell reports a process killed by that signal (128 + n). */
export const STOP_EXIT_CODES = { SIGINT: 130, SIGPIPE: 141, SIGTERM: 143 } as const;

/**
 * The process's real Io: stdout and stderr, and a signal aborted by SIGINT, SIGTERM or a closed
 * stdout (EPIPE). A second Ctrl-C or SIGTERM exits at once, for someone who will not wait for
 * the cleanup.
 */
export function processIo(): Io {
  const controller = new AbortController();
  let closed = false;
  const stop = (error: StoppedError) => {
    if (!controller.signal.aborted) controller.abort(error);
    else if (error.cause !== 'output closed') process.exit(error.exitCode);
  };
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
    stop(new StoppedError('output closed', STOP_EXIT_CODES.SIGPIPE));
  });
  // Nobody reads the notes any more (`2>&1 | head`): they are dropped, as stdout's are.
  let errClosed = false;
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    errClosed = true;
  });
  process.on('SIGINT', () => stop(new StoppedError('SIGINT', STOP_EXIT_CODES.SIGINT)));
  process.on('SIGTERM', () => stop(new StoppedError('SIGTERM', STOP_EXIT_CODES.SIGTERM)));
  return {
    out: (line) => {
      if (!closed) process.stdout.write(`${line}\n`);
    },
    err: (line) => {
      if (!errClosed) process.stderr.write(`${line}\n`);
    },
    signal: controller.signal,
  };
}
