import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { InvalidInputError } from '../lambdas/domain/errors.ts';
import { LocalControlPlane } from '../local/control-plane.ts';
import { TASK_NAMES } from '../local/fault-injection.ts';
import { injectGrammar, parseFaults } from '../local/faults.ts';
import { startLocalServer } from '../local/server.ts';
import { DEFAULT_REGISTRY_FILE, loadRegistry } from '../registry/load.ts';
import { localServer, serverFilePath } from './api-client.ts';
import { parseApprove } from './deploy.ts';
import { UsageError } from './errors.ts';
import { command, HELP_OPTION } from './options.ts';
import { STATE_DIR_OPTION, stateDir } from './state-dir.ts';

export const serveCommand = command({
  name: 'serve',
  usage: '[options]',
  description: `Runs the Stepwise control plane on 127.0.0.1: the same API as the deployed one (POST /deployments, GET /deployments/{id}?wait=, approve, abort, promote, resume, /services, rollback), answered by the same handler code, with executions running in the background on the embedded engine and state in dynalite under the state folder. The other commands (deploy, status, wait, approve, abort, promote, rollback, history, audit, events put, push) talk to it while it runs. Ctrl-C stops it.

Approvals wait in real time for 'npx stepwise approve ID', up to the gate's timeout.`,
  options: {
    port: {
      kind: 'count',
      arg: 'N',
      min: 0,
      max: 65_535,
      default: 8787,
      help: 'port to listen on; 0 picks a free one',
    },
    config: {
      kind: 'text',
      arg: 'FILE',
      help: `service registry to load (default ${DEFAULT_REGISTRY_FILE} if present). Each service is rehearsed on the simulated provider and simulated alarms, with its own strategy, plan, trigger and policies`,
    },
    'real-time': {
      kind: 'flag',
      help: 'waits take real time (default: a virtual clock, a 20-minute plan in a second)',
    },
    'state-dir': STATE_DIR_OPTION,
    approve: {
      kind: 'text',
      arg: 'HOW',
      help: "auto | deny | after=DURATION: decide every approval that way, for a rehearsal without a person (default: approvals wait for 'npx stepwise approve')",
    },
    inject: {
      kind: 'text',
      arg: 'KIND=VALUE[@WHERE]',
      multiple: true,
      help: 'a fault for every deployment, as for deploy; grammar below',
    },
    help: HELP_OPTION,
  },
  notes: `Fault injection:
  ${injectGrammar(TASK_NAMES)}`,
  cleansUp: true,
  async run({ values }, io) {
    let faults: ReturnType<typeof parseFaults>;
    try {
      faults = parseFaults(values.inject, TASK_NAMES);
    } catch (error) {
      if (error instanceof InvalidInputError) throw new UsageError(error.message);
      throw error;
    }
    const configFile =
      values.config ?? (existsSync(DEFAULT_REGISTRY_FILE) ? DEFAULT_REGISTRY_FILE : undefined);
    if (values.config && !existsSync(values.config))
      throw new UsageError(`--config ${values.config} does not exist`);
    const registry = configFile ? await loadRegistry(configFile) : undefined;
    if (localServer(values['state-dir'])) {
      throw new UsageError(
        `a local server already runs for this state folder (${serverFilePath(values['state-dir'])})`,
      );
    }

    const approve = values.approve === undefined ? undefined : parseApprove(values.approve);
    let url = '';
    const plane = await LocalControlPlane.open(stateDir(values['state-dir']), {
      realTime: values['real-time'],
      faults,
      ...(approve ? { approve } : {}),
      baseUrl: () => url,
    });
    const services = registry ? await plane.register(registry) : [];
    const { username } = userInfo();
    const server = await startLocalServer(plane, {
      port: values.port,
      principal: `${username}@${hostname()}`,
    });
    url = server.url;
    const file = serverFilePath(values['state-dir']);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ url, pid: process.pid }));

    io.out(`stepwise serve · ${url} (local control plane: embedded engine, dynalite, simulated fleet)`);
    io.out(
      services.length > 0
        ? `  services from ${configFile}: ${services.map((s) => s.service).join(', ')}`
        : `  no registry loaded (no ${DEFAULT_REGISTRY_FILE} here): start with --config FILE to register services, e.g. --config examples/stepwise.config.json`,
    );
    io.out(`  clock: ${values['real-time'] ? 'real time' : 'virtual (waits take no time)'}; Ctrl-C to stop`);

    // Runs until Ctrl-C or SIGTERM (or its output closes): then stops serving and closes the store.
    if (!io.signal.aborted) {
      await new Promise<void>((resolve) =>
        io.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
    rmSync(file, { force: true });
    await server.close();
    await plane.close();
    io.out('stepwise serve · stopped');
    return 0;
  },
});
