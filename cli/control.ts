import { parseArgs } from 'node:util';
import type { DeploymentView } from '../lambdas/control/operations.ts';
import { IMAGE_DIGEST_PATTERN, SERVICE_NAME_PATTERN } from '../lambdas/domain/schemas.ts';
import { type ApiClient, connect } from './api-client.ts';
import { UsageError } from './errors.ts';

/** Exit codes of commands that wait for a deployment: 0 succeeded, 2 rolled back, 1 anything else. */
export const EXIT_BY_STATUS: Record<string, number> = {
  SUCCEEDED: 0,
  ROLLED_BACK: 2,
  FAILED: 1,
  CANCELLED: 1,
};

const ENDED = Object.keys(EXIT_BY_STATUS);

const COMMON = {
  api: { type: 'string' },
  'state-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const WHERE = `  --api URL          a deployed Stepwise API (the ApiUrl stack output); requests are signed
                     with SigV4 from the standard AWS credential chain
  --state-dir DIR    the local server's state folder (default .stepwise)
  --json             print the deployment as JSON
Without --api, the command talks to the local server ('npx stepwise serve').`;

export const CONTROL_HELP: Record<string, string> = {
  status: `Usage: npx stepwise status DEPLOYMENT_ID [--wait SECONDS] [--api URL] [--json]

Shows where a deployment stands: status, phase, weights, the last verdict and its alarms, why it
ended, and the execution's console link. --wait holds up to SECONDS (at most 25) for it to end.
${WHERE}`,
  wait: `Usage: npx stepwise wait (DEPLOYMENT_ID | --digest sha256:…) [--timeout DURATION] [--api URL]

Blocks until the deployment ends, for CI: exit 0 if it succeeded, 2 if it rolled back, 1 if it
failed, was cancelled, or the timeout passed. --digest waits for every deployment of that image.
  --timeout SECONDS  give up after this long (default 3600)
${WHERE}`,
  approve: `Usage: npx stepwise approve DEPLOYMENT_ID [--deny] [--reason TEXT] [--api URL]

Answers the approval a deployment waits for; your identity is recorded in the audit trail.
${WHERE}`,
  abort: `Usage: npx stepwise abort DEPLOYMENT_ID [--reason TEXT] [--api URL]

Stops a deployment now and rolls it back (a queued one is cancelled). Recorded with your identity.
${WHERE}`,
  promote: `Usage: npx stepwise promote DEPLOYMENT_ID [--api URL]

Skips the rest of the plan at the next step: the new version takes all traffic.
${WHERE}`,
  rollback: `Usage: npx stepwise rollback --service NAME [--version VERSION] [--reason TEXT] [--api URL]

Deploys the version the live one replaced (or VERSION), all at once, gated by the service's alarms.
${WHERE}`,
};

function required(client: ApiClient | undefined, command: string): ApiClient {
  if (!client) {
    throw new UsageError(
      `${command} needs a Stepwise API: start 'npx stepwise serve' here, or pass --api URL for a deployed one`,
    );
  }
  return client;
}

export function viewLines(view: DeploymentView): string[] {
  const weights = Object.entries(view.weights)
    .filter(([, w]) => w > 0)
    .map(([v, w]) => `${v} ${w}%`)
    .join(', ');
  const lines = [
    `${view.deploymentId} · ${view.service} · ${view.strategy} · ${view.status} (${view.phase})`,
    `  ${view.stableVersion} → ${view.candidateVersion}   traffic: ${weights || 'none'}`,
  ];
  if (view.lastVerdict) {
    const alarms = Array.isArray(view.lastVerdict.alarms)
      ? (view.lastVerdict.alarms as { name: string; state: string }[])
          .map((a) => `${a.name} ${a.state}`)
          .join(', ')
      : '';
    lines.push(
      `  last verdict: ${view.lastVerdict.healthy ? 'healthy' : 'unhealthy'}${view.lastVerdict.step ? ` at step ${view.lastVerdict.step}` : ''}${alarms ? ` (${alarms})` : ''}`,
    );
  }
  if (view.pendingApproval)
    lines.push(
      `  waiting for approval until ${view.pendingApproval.timeoutAt} (then ${view.pendingApproval.onTimeout})`,
    );
  if (view.reason) lines.push(`  reason: ${view.reason}`);
  lines.push(
    `  requested by ${view.trigger.principal} (${view.trigger.source})${view.requestReason ? `: ${view.requestReason}` : ''}`,
  );
  if (view.consoleUrl) lines.push(`  execution: ${view.consoleUrl}`);
  return lines;
}

function print(view: DeploymentView, json: boolean, out: (line: string) => void): void {
  if (json) out(JSON.stringify(view, null, 2));
  else
    viewLines(view).forEach((l) => {
      out(l);
    });
}

function positional(positionals: string[], command: string): string {
  const [id, ...extra] = positionals;
  if (!id) throw new UsageError(`DEPLOYMENT_ID is required: npx stepwise ${command} DEPLOYMENT_ID`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!/^[A-Za-z0-9._-]{1,80}$/.test(id)) throw new UsageError(`'${id}' is not a deployment id`);
  return id;
}

function seconds(text: string | undefined, flag: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > max) {
    throw new UsageError(`--${flag} must be a whole number of seconds from 0 to ${max}, got '${text}'`);
  }
  return Number(text);
}

export async function status(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON, wait: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(CONTROL_HELP.status as string);
    return 0;
  }
  const id = positional(positionals, 'status');
  const wait = seconds(values.wait, 'wait', 0, 25);
  const api = required(connect({ api: values.api, stateDir: values['state-dir'] }), 'status');
  const view = await api.request<DeploymentView>('GET', `/deployments/${id}${wait ? `?wait=${wait}` : ''}`);
  print(view, values.json, out);
  return 0;
}

/** Long-polls each deployment until it ends or the deadline passes. */
async function waitFor(api: ApiClient, id: string, deadline: number): Promise<DeploymentView> {
  for (;;) {
    const left = Math.max(0, Math.min(25, Math.ceil((deadline - Date.now()) / 1000)));
    const view = await api.request<DeploymentView>('GET', `/deployments/${id}?wait=${left}`);
    if (ENDED.includes(view.status) || Date.now() >= deadline) return view;
  }
}

export async function wait(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COMMON, timeout: { type: 'string' }, digest: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(CONTROL_HELP.wait as string);
    return 0;
  }
  const timeout = seconds(values.timeout, 'timeout', 3600, 7 * 86_400);
  const api = required(connect({ api: values.api, stateDir: values['state-dir'] }), 'wait');
  let ids: string[];
  if (values.digest) {
    if (positionals.length > 0) throw new UsageError('give DEPLOYMENT_ID or --digest, not both');
    if (!new RegExp(IMAGE_DIGEST_PATTERN).test(values.digest)) {
      throw new UsageError(`--digest must look like sha256:<64 hex digits>, got '${values.digest}'`);
    }
    const found = await api.request<{ deployments: DeploymentView[] }>(
      'GET',
      `/deployments?digest=${values.digest}`,
    );
    ids = found.deployments.map((d) => d.deploymentId);
    if (ids.length === 0) throw new UsageError(`no deployment of ${values.digest} (yet)`);
  } else ids = [positional(positionals, 'wait')];
  const deadline = Date.now() + timeout * 1000;
  let code = 0;
  for (const id of ids) {
    const view = await waitFor(api, id, deadline);
    print(view, values.json, out);
    const exit = EXIT_BY_STATUS[view.status] ?? 1;
    if (!ENDED.includes(view.status)) out(`  still ${view.status} after ${timeout}s`);
    code = Math.max(code, ENDED.includes(view.status) ? exit : 1);
  }
  return code;
}

async function control(
  command: 'approve' | 'abort' | 'promote',
  argv: string[],
  out: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      reason: { type: 'string' },
      ...(command === 'approve' ? { deny: { type: 'boolean', default: false } } : {}),
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(CONTROL_HELP[command] as string);
    return 0;
  }
  const id = positional(positionals, command);
  if (command === 'promote' && values.reason) throw new UsageError('promote takes no --reason');
  const api = required(connect({ api: values.api, stateDir: values['state-dir'] }), command);
  const body =
    command === 'approve'
      ? {
          approved: !(values as { deny?: boolean }).deny,
          ...(values.reason ? { reason: values.reason } : {}),
        }
      : values.reason
        ? { reason: values.reason }
        : {};
  const view = await api.request<DeploymentView>('POST', `/deployments/${id}/${command}`, body);
  print(view, values.json, out);
  return 0;
}

export const approve = (argv: string[], out: (line: string) => void) => control('approve', argv, out);
export const abort = (argv: string[], out: (line: string) => void) => control('abort', argv, out);
export const promote = (argv: string[], out: (line: string) => void) => control('promote', argv, out);

export async function rollback(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      service: { type: 'string' },
      version: { type: 'string' },
      reason: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    out(CONTROL_HELP.rollback as string);
    return 0;
  }
  if (!values.service) throw new UsageError('--service is required (the service to roll back)');
  if (!new RegExp(SERVICE_NAME_PATTERN).test(values.service)) {
    throw new UsageError(`--service must be lowercase letters, digits and dashes, got '${values.service}'`);
  }
  const api = required(connect({ api: values.api, stateDir: values['state-dir'] }), 'rollback');
  const view = await api.request<DeploymentView>('POST', `/services/${values.service}/rollback`, {
    ...(values.version ? { version: values.version } : {}),
    ...(values.reason ? { reason: values.reason } : {}),
  });
  print(view, values.json, out);
  return 0;
}
