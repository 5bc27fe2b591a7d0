#!/usr/bin/env node
// The one JavaScript file of the CLI, so that Node starts without its TypeScript stripper: with the
// compile cache on (before the CLI's modules are imported), a second start reads each module as
// compiled the first time, and `stepwise --help` takes a few tens of milliseconds above Node's own.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { processIo } = await import('../cli/io.ts');
const { main } = await import('../cli/main.ts');

const io = processIo();
const code = await main(process.argv.slice(2), io);
// A write into a closed pipe fails a moment after it was made: let that arrive before deciding.
await new Promise((resolve) => setImmediate(resolve));
// Stopped (Ctrl-C, SIGTERM, output closed): exit with the stop's code, at once, as a command
// stopped early may leave a request or a timer behind that would keep the process alive.
if (io.signal.aborted) process.exit(io.signal.reason.exitCode);
process.exitCode = code;
