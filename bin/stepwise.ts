#!/usr/bin/env node
import type { StoppedError } from '../cli/errors.ts';
import { processIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';

const io = processIo();
const code = await main(process.argv.slice(2), io);
// A write into a closed pipe fails a moment after it was made: let that arrive before deciding.
await new Promise((resolve) => setImmediate(resolve));
// Stopped (Ctrl-C, SIGTERM, output closed): exit with the stop's code, at once, as a command
// stopped early may leave a request or a timer behind that would keep the process alive.
if (io.signal.aborted) process.exit((io.signal.reason as StoppedError).exitCode);
process.exitCode = code;
