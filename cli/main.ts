import { InvalidInputError } from '../lambdas/domain/errors.ts';
import { COMMANDS } from './commands.ts';
import { ApiError, CommandError, CredentialsError, StoppedError, UsageError } from './errors.ts';
import type { Io } from './io.ts';
import { helpText, parseOptions } from './options.ts';

const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;

export const HELP = `Usage: npx stepwise <command> [options]

Stepwise rolls out a new version step by step, checks alarms after every step, and rolls back
on its own. Locally everything runs in-process on the same state machines and task code as AWS.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

Run 'npx stepwise <command> --help' for a command's options.
Try: npx stepwise deploy --service checkout --image shop:1.1 --inject errors=8%`;

/** `-h`/`--help` anywhere before a `--`: help wins over every other word on the line. */
function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** A message on one line whatever the values in it hold: control characters are shown escaped. */
function oneLine(message: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** Without a given Io: stdout and stderr, and nothing stops the command. */
const PLAIN_IO: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signal: new AbortController().signal,
};

/**
 * Runs the CLI; returns the exit code. Usage mistakes print one line to stderr and exit 1.
 * When `io.signal` aborts (Ctrl-C, SIGTERM, closed output), a command that cleans up is waited
 * for; any other returns at once with the stop's exit code.
 */
export async function main(argv: string[], partial: Partial<Io> = {}): Promise<number> {
  const io: Io = { ...PLAIN_IO, ...partial };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? 0 : 1;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`stepwise: unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return 1;
  }
  const cmd = await entry.load();
  if (asksForHelp(rest)) {
    io.out(helpText(cmd));
    return 0;
  }
  const running = (async () => cmd.run(parseOptions(cmd, rest), io))();
  let stopped: Promise<number> | undefined;
  if (!cmd.cleansUp) {
    stopped = new Promise((resolve) => {
      const stop = () => resolve((io.signal.reason as StoppedError).exitCode);
      if (io.signal.aborted) stop();
      else io.signal.addEventListener('abort', stop, { once: true });
    });
  }
  try {
    return await (stopped ? Promise.race([running, stopped]) : running);
  } catch (error) {
    if (error instanceof StoppedError) return error.exitCode;
    if (
      error instanceof UsageError ||
      error instanceof InvalidInputError ||
      error instanceof ApiError ||
      error instanceof CredentialsError ||
      error instanceof CommandError
    ) {
      io.err(`stepwise ${name}: ${oneLine(error.message)}`);
      return 1;
    }
    io.err(`stepwise ${name}: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
