import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../lambdas/domain/errors.ts';
import { LocalControlPlane } from '../local/control-plane.ts';
import { injectGrammar, parseFaults } from '../local/faults.ts';
import { TASK_NAMES } from '../local/runtime.ts';
import { startLocalServer } from '../local/server.ts';
import { DEFAULT_REGISTRY_FILE, loadRegistry } from '../registry/load.ts';
import { localServer, serverFilePath } from './api-client.ts';
import { UsageError } from './errors.ts';
import { stateDir } from './state-dir.ts';

export const SERVE_HELP = `Usage: npx stepwise serve [--port N] [--config FILE] [--real-time] [--inject ...]

Runs the Stepwise control plane on 127.0.0.1: the same API as the deployed one (POST /deployments,
GET /deployments/{id}?wait=, approve, abort, promote, resume, /services, rollback), answered by the
same handler code, with executions running in the background on the embedded engine and state in
dynalite under the state folder. The other commands (deploy, status, wait, approve, abort, promote,
rollback, history, events put, push) talk to it while it runs. Ctrl-C stops it.

  --port N          port to listen on (default 8787; 0 picks a free one)
  --config FILE     service registry to load (default ${DEFAULT_REGISTRY_FILE} if present). Each service
                    is rehearsed on the simulated provider and simulated alarms, with its own
                    strategy, plan, trigger and policies
  --real-time       waits take real time (default: a virtual clock, a 20-minute plan in a second)
  --state-dir DIR   where local state lives (default .stepwise, or $STEPWISE_STATE_DIR)
  --inject ...      faults for every deployment, as for deploy:
  ${injectGrammar(TASK_NAMES)}

Approvals wait in real time for 'npx stepwise approve ID', up to the gate's timeout.`;

/** Runs until SIGINT or SIGTERM; prints the URL first. */
export async function serve(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8787' },
      config: { type: 'string' },
      'real-time': { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      inject: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    out(SERVE_HELP);
    return 0;
  }
  if (!/^\d+$/.test(values.port) || Number(values.port) > 65_535) {
    throw new UsageError(`--port must be a port number from 0 to 65535, got '${values.port}'`);
  }
  let faults: ReturnType<typeof parseFaults>;
  try {
    faults = parseFaults(values.inject ?? [], TASK_NAMES);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
  const configFile = values.config ?? (existsSync(DEFAULT_REGISTRY_FILE) ? DEFAULT_REGISTRY_FILE : undefined);
  if (values.config && !existsSync(values.config))
    throw new UsageError(`--config ${values.config} does not exist`);
  const registry = configFile ? await loadRegistry(configFile) : undefined;
  if (localServer(values['state-dir'])) {
    throw new UsageError(
      `a local server already runs for this state folder (${serverFilePath(values['state-dir'])})`,
    );
  }

  let url = '';
  const plane = await LocalControlPlane.open(stateDir(values['state-dir']), {
    realTime: values['real-time'],
    faults,
    baseUrl: () => url,
  });
  const services = registry ? await plane.register(registry) : [];
  const { username } = userInfo();
  const server = await startLocalServer(plane, {
    port: Number(values.port),
    principal: `${username}@${hostname()}`,
  });
  url = server.url;
  const file = serverFilePath(values['state-dir']);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ url, pid: process.pid }));

  out(`stepwise serve · ${url} (local control plane: embedded engine, dynalite, simulated fleet)`);
  out(
    services.length > 0
      ? `  services from ${configFile}: ${services.map((s) => s.service).join(', ')}`
      : `  no registry loaded (no ${DEFAULT_REGISTRY_FILE} here): start with --config FILE to register services, e.g. --config examples/stepwise.config.json`,
  );
  out(`  clock: ${values['real-time'] ? 'real time' : 'virtual (waits take no time)'}; Ctrl-C to stop`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  rmSync(file, { force: true });
  await server.close();
  await plane.close();
  out('stepwise serve · stopped');
  return 0;
}
