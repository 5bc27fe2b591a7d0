import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The load benches' `stepwise serve`: its own process, as a user runs it. */
export interface Serve {
  child: ChildProcess;
  url: string;
  /** SIGTERM, then waits for it to exit (its store closed), so its folder can go. */
  stop(): Promise<void>;
}

const BIN = join(import.meta.dirname, '..', 'bin', 'stepwise.js');

/** Starts `stepwise serve` on `dir/state` with the registry file `config`; resolves once it listens. */
export async function startServe(dir: string, config: string, startSeconds = 60): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--state-dir', join(dir, 'state'), '--port', '0', '--config', config],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const serverFile = join(dir, 'state', 'server.json');
  const deadline = Date.now() + startSeconds * 1000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (existsSync(serverFile)) {
      const { url } = JSON.parse(readFileSync(serverFile, 'utf8')) as { url: string };
      return {
        child,
        url,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error('stepwise serve did not start');
}
