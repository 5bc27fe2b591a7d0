import { existsSync, readFileSync } from 'node:fs';
import type { DispatchResult } from '../lambdas/control/dispatch.ts';
import { ecrPushEvent } from '../lambdas/domain/ecr-push.ts';
import { IMAGE_DIGEST_PATTERN } from '../lambdas/domain/schemas.ts';
import { LocalControlPlane } from '../local/control-plane.ts';
import { LOCAL_EVENTS_PATH } from '../local/server.ts';
import { DEFAULT_REGISTRY_FILE, loadRegistry } from '../registry/load.ts';
import { localServer } from './api-client.ts';
import { UsageError } from './errors.ts';
import { command, HELP_OPTION } from './options.ts';
import { STATE_DIR_OPTION, stateDir } from './state-dir.ts';

/** A dispatch result in a few lines. */
function resultLines(result: DispatchResult, statuses: Map<string, string>): string[] {
  const lines: string[] = [];
  if (result.ignored && result.deployments.length === 0) lines.push(`nothing started: ${result.ignored}`);
  for (const d of result.deployments) {
    const status = statuses.get(d.deploymentId) ?? d.status;
    lines.push(
      `  ${d.service.padEnd(20)} ${d.deploymentId}  ${status}${d.duplicate ? ' (already requested: a second delivery of this push starts nothing)' : ''}`,
    );
  }
  for (const s of result.skipped) lines.push(`  ${s.service.padEnd(20)} skipped: ${s.reason}`);
  return lines;
}

async function send(
  event: unknown,
  options: { config?: string; stateDir?: string; json: boolean },
  out: (line: string) => void,
): Promise<number> {
  const server = localServer(options.stateDir);
  if (server) {
    const result = await server.request<DispatchResult>('POST', LOCAL_EVENTS_PATH, event);
    if (options.json) out(JSON.stringify(result, null, 2));
    else
      resultLines(result, new Map()).forEach((l) => {
        out(l);
      });
    return 0;
  }
  const configFile =
    options.config ?? (existsSync(DEFAULT_REGISTRY_FILE) ? DEFAULT_REGISTRY_FILE : undefined);
  if (!configFile) {
    throw new UsageError(
      `no local server runs and there is no ${DEFAULT_REGISTRY_FILE}: pass --config FILE (the services to match)`,
    );
  }
  if (!existsSync(configFile)) throw new UsageError(`--config ${configFile} does not exist`);
  const registry = await loadRegistry(configFile);
  const plane = await LocalControlPlane.open(stateDir(options.stateDir));
  try {
    await plane.register(registry);
    const result = await plane.dispatch(event);
    await plane.idle();
    const statuses = new Map<string, string>();
    for (const d of result.deployments) {
      const summary = await plane.runtime.store.getDeployment(d.deploymentId);
      statuses.set(
        d.deploymentId,
        `${summary?.status ?? d.status}${summary?.reason ? `: ${summary.reason}` : ''}`,
      );
    }
    if (options.json) out(JSON.stringify({ ...result, statuses: Object.fromEntries(statuses) }, null, 2));
    else
      resultLines(result, statuses).forEach((l) => {
        out(l);
      });
    return 0;
  } finally {
    await plane.close();
  }
}

const CONFIG_OPTION = {
  kind: 'text',
  arg: 'FILE',
  help: `without a local server: the services to match (default ${DEFAULT_REGISTRY_FILE})`,
} as const;

export const eventsCommand = command({
  name: 'events',
  usage: 'put FILE [options]',
  description: `Sends an EventBridge event (JSON, e.g. an ECR 'Image Action' push) through the same dispatch code as the ECR push rule on AWS: the registered services whose repository and tag pattern match each get a deployment; anything else is ignored with the reason.

With 'npx stepwise serve' running the event goes to it; otherwise it runs in-process (services from --config) and waits for the deployments to end.`,
  positionals: ['put', 'FILE'],
  options: {
    config: CONFIG_OPTION,
    'state-dir': STATE_DIR_OPTION,
    json: { kind: 'flag', help: 'print the dispatch result as JSON' },
    help: HELP_OPTION,
  },
  async run({ values, positionals }, io) {
    const [verb, file] = positionals;
    if (verb !== 'put') {
      throw new UsageError(
        verb
          ? `unknown events verb '${verb}'; verbs: put`
          : 'a verb is required: npx stepwise events put FILE',
      );
    }
    if (!file) throw new UsageError('FILE is required: npx stepwise events put FILE');
    let event: unknown;
    try {
      event = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        code ? `${file} cannot be read: ${code}` : `${file} is not JSON: ${(error as Error).message}`,
      );
    }
    return send(event, { config: values.config, stateDir: values['state-dir'], json: values.json }, io.out);
  },
});

export const pushCommand = command({
  name: 'push',
  usage: '--repository REPO [options]',
  description:
    "Builds the event ECR sends for a successful image push and sends it as 'events put' does. Without --digest one is derived from repository and tag; without --tag the push is untagged (only services with trigger.untaggedPushes = deploy take it).",
  options: {
    repository: { kind: 'text', arg: 'REPO', help: 'the ECR repository pushed to (required)' },
    tag: { kind: 'text', arg: 'TAG', help: 'the tag pushed (default none: an untagged push)' },
    digest: {
      kind: 'text',
      arg: 'sha256:…',
      help: 'the image digest (default one derived from repository and tag)',
    },
    config: CONFIG_OPTION,
    'state-dir': STATE_DIR_OPTION,
    json: { kind: 'flag', help: 'print the dispatch result as JSON' },
    help: HELP_OPTION,
  },
  async run({ values }, io) {
    if (!values.repository) throw new UsageError('--repository is required (the ECR repository pushed to)');
    if (!/^[a-z0-9][a-z0-9._/-]{1,255}$/.test(values.repository)) {
      throw new UsageError(`--repository must be an ECR repository name, got '${values.repository}'`);
    }
    if (values.tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(values.tag)) {
      throw new UsageError(
        `--tag must be a Docker tag (letters, digits, _ . -; at most 128), got '${values.tag}'`,
      );
    }
    if (values.digest !== undefined && !new RegExp(IMAGE_DIGEST_PATTERN).test(values.digest)) {
      throw new UsageError(`--digest must look like sha256:<64 hex digits>, got '${values.digest}'`);
    }
    const event = ecrPushEvent({
      repository: values.repository,
      ...(values.tag ? { tag: values.tag } : {}),
      ...(values.digest ? { digest: values.digest } : {}),
    });
    if (!values.json) {
      const detail = event.detail as Record<string, string>;
      io.out(`push ${values.repository}${values.tag ? `:${values.tag}` : ''} ${detail['image-digest']}`);
    }
    return send(event, { config: values.config, stateDir: values['state-dir'], json: values.json }, io.out);
  },
});
