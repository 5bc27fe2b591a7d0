import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentView } from '../lambdas/control/operations.ts';
import type { MetricEvidence } from '../lambdas/domain/judge/analysis.ts';
import { IMAGE_DIGEST_PATTERN, SERVICE_NAME_PATTERN } from '../lambdas/domain/schemas.ts';
import { API_OPTIONS, type ApiClient, connectWith } from './api-client.ts';
import { CommandError, UsageError } from './errors.ts';
import { formatDuration, formatEvidence } from './format.ts';
import type { Io } from './io.ts';
import { command, HELP_OPTION } from './options.ts';

/** Exit codes of commands that wait for a deployment: 0 succeeded, 2 rolled back, 1 anything else. */
export const EXIT_BY_STATUS: Record<string, number> = {
  SUCCEEDED: 0,
  ROLLED_BACK: 2,
  FAILED: 1,
  CANCELLED: 1,
};

const ENDED = Object.keys(EXIT_BY_STATUS);

/** How often `wait --digest` asks whether the push's deployment has been recorded yet. */
const DIGEST_POLL_MS = 2000;

/** Where the API is, and --json: the options every control command takes. */
const WHERE = {
  ...API_OPTIONS,
  json: { kind: 'flag', help: 'print the deployment as JSON, as the API answers it' },
  help: HELP_OPTION,
} as const;

const WHERE_NOTE =
  "Without --api, the command talks to the local server of the state folder ('npx stepwise serve').";

/** The API to ask, once the arguments are known to be right: a missing ID is reported before a missing server. */
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
    const analysis = view.lastVerdict.analysis as
      | { verdict: string; metrics: MetricEvidence[]; candidateRequests: number }
      | undefined;
    const verdict = !view.lastVerdict.healthy
      ? 'unhealthy'
      : analysis?.verdict === 'inconclusive'
        ? 'inconclusive'
        : 'healthy';
    lines.push(
      `  last verdict: ${verdict}${view.lastVerdict.step ? ` at step ${view.lastVerdict.step}` : ''}${alarms ? ` (${alarms})` : ''}`,
    );
    if (analysis) lines.push(`    ${formatEvidence(analysis.metrics, analysis.candidateRequests)}`);
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

function print(view: DeploymentView, json: boolean, io: Io): void {
  if (json) io.out(JSON.stringify(view, null, 2));
  else
    viewLines(view).forEach((l) => {
      io.out(l);
    });
}

export function deploymentId(id: string | undefined, command: string): string {
  if (!id) throw new UsageError(`DEPLOYMENT_ID is required: npx stepwise ${command} DEPLOYMENT_ID`);
  if (!/^[A-Za-z0-9._-]{1,80}$/.test(id)) throw new UsageError(`'${id}' is not a deployment id`);
  return id;
}

export const statusCommand = command({
  name: 'status',
  usage: 'DEPLOYMENT_ID [options]',
  description:
    "Shows where a deployment stands: status, phase, weights, the last verdict and its alarms, why it ended, and the execution's console link.",
  positionals: ['DEPLOYMENT_ID'],
  options: {
    wait: {
      kind: 'duration',
      max: 25,
      help: 'hold the answer up to this long (at most 25s) for the deployment to end',
    },
    ...WHERE,
  },
  notes: WHERE_NOTE,
  async run({ values, positionals }, io) {
    const id = deploymentId(positionals[0], 'status');
    const api = required(connectWith(values, io.signal), 'status');
    const wait = values.wait ?? 0;
    const view = await api.request<DeploymentView>('GET', `/deployments/${id}${wait ? `?wait=${wait}` : ''}`);
    print(view, values.json, io);
    return 0;
  },
});

/** Long-polls a deployment until it ends or the deadline passes. */
export async function waitFor(api: ApiClient, id: string, deadline: number): Promise<DeploymentView> {
  for (;;) {
    const left = Math.max(0, Math.min(25, Math.ceil((deadline - Date.now()) / 1000)));
    const view = await api.request<DeploymentView>('GET', `/deployments/${id}?wait=${left}`);
    if (ENDED.includes(view.status) || Date.now() >= deadline) return view;
  }
}

/**
 * The deployments of an image digest, once dispatch has recorded at least one: the push's
 * EventBridge delivery may arrive after CI starts waiting, so an empty answer is asked again
 * until the deadline.
 */
async function deploymentsOf(api: ApiClient, digest: string, deadline: number, io: Io): Promise<string[]> {
  for (let asked = 0; ; asked++) {
    const found = await api.request<{ deployments: DeploymentView[] }>(
      'GET',
      `/deployments?digest=${digest}`,
    );
    if (found.deployments.length > 0) return found.deployments.map((d) => d.deploymentId);
    const left = deadline - Date.now();
    if (left <= 0) return [];
    if (asked === 0) io.err(`waiting for a deployment of ${digest} to be recorded…`);
    await sleep(Math.min(DIGEST_POLL_MS, left), undefined, { signal: io.signal });
  }
}

export const waitCommand = command({
  name: 'wait',
  usage: '(DEPLOYMENT_ID | --digest sha256:…) [options]',
  description:
    'Blocks until the deployment ends, for CI: exit 0 if it succeeded, 2 if it rolled back, 1 if it failed, was cancelled, or the timeout passed. --digest waits for every deployment of that image, and first for one to be recorded: a push reaches Stepwise a few seconds after it lands.',
  positionals: ['DEPLOYMENT_ID'],
  options: {
    digest: {
      kind: 'text',
      arg: 'sha256:…',
      help: "wait for the deployments of this image digest (what 'docker push' printed) instead of one ID",
    },
    timeout: {
      kind: 'duration',
      default: 3600,
      max: 7 * 86_400,
      help: 'give up after this long, exit 1',
    },
    ...API_OPTIONS,
    json: {
      kind: 'flag',
      help: 'print the deployment as JSON, as the API answers it (with --digest: an array of them)',
    },
    help: HELP_OPTION,
  },
  notes: WHERE_NOTE,
  async run({ values, positionals }, io) {
    const digest = values.digest;
    if (digest !== undefined) {
      if (positionals.length > 0) throw new UsageError('give DEPLOYMENT_ID or --digest, not both');
      if (!new RegExp(IMAGE_DIGEST_PATTERN).test(digest)) {
        throw new UsageError(`--digest must look like sha256:<64 hex digits>, got '${digest}'`);
      }
    } else if (positionals.length === 0) {
      throw new UsageError('DEPLOYMENT_ID or --digest is required: npx stepwise wait DEPLOYMENT_ID');
    }
    const id = digest === undefined ? deploymentId(positionals[0], 'wait') : undefined;
    const api = required(connectWith(values, io.signal), 'wait');
    const timeout = values.timeout;
    const deadline = Date.now() + timeout * 1000;
    const ids = id ? [id] : await deploymentsOf(api, digest as string, deadline, io);
    if (ids.length === 0) {
      throw new CommandError(`no deployment of ${digest} was recorded within ${formatDuration(timeout)}`);
    }
    let code = 0;
    const views: DeploymentView[] = [];
    for (const each of ids) {
      const view = await waitFor(api, each, deadline);
      views.push(view);
      const ended = ENDED.includes(view.status);
      if (!values.json) {
        print(view, false, io);
        if (!ended) io.out(`  still ${view.status} after ${formatDuration(timeout)}`);
      }
      code = Math.max(code, ended ? (EXIT_BY_STATUS[view.status] ?? 1) : 1);
    }
    if (values.json) io.out(JSON.stringify(digest ? views : views[0], null, 2));
    return code;
  },
});

async function steer(
  action: 'approve' | 'abort' | 'promote',
  id: string | undefined,
  body: Record<string, unknown>,
  values: Parameters<typeof connectWith>[0] & { json: boolean },
  io: Io,
): Promise<number> {
  const checked = deploymentId(id, action);
  const api = required(connectWith(values, io.signal), action);
  const view = await api.request<DeploymentView>('POST', `/deployments/${checked}/${action}`, body);
  print(view, values.json, io);
  return 0;
}

const REASON = { kind: 'text', arg: 'TEXT', help: 'why, for the audit trail' } as const;

export const approveCommand = command({
  name: 'approve',
  usage: 'DEPLOYMENT_ID [options]',
  description:
    'Answers the approval a deployment waits for: it goes on, or with --deny rolls back. Your identity is recorded in the audit trail.',
  positionals: ['DEPLOYMENT_ID'],
  options: {
    deny: { kind: 'flag', help: 'refuse instead: the deployment rolls back' },
    reason: REASON,
    ...WHERE,
  },
  notes: WHERE_NOTE,
  run: ({ values, positionals }, io) =>
    steer(
      'approve',
      positionals[0],
      { approved: !values.deny, ...(values.reason ? { reason: values.reason } : {}) },
      values,
      io,
    ),
});

export const abortCommand = command({
  name: 'abort',
  usage: 'DEPLOYMENT_ID [options]',
  description:
    'Stops a deployment now and rolls it back (a queued one is cancelled). Recorded with your identity.',
  positionals: ['DEPLOYMENT_ID'],
  options: { reason: REASON, ...WHERE },
  notes: WHERE_NOTE,
  run: ({ values, positionals }, io) =>
    steer('abort', positionals[0], values.reason ? { reason: values.reason } : {}, values, io),
});

export const promoteCommand = command({
  name: 'promote',
  usage: 'DEPLOYMENT_ID [options]',
  description: 'Skips the rest of the plan at the next step: the new version takes all traffic.',
  positionals: ['DEPLOYMENT_ID'],
  options: WHERE,
  notes: WHERE_NOTE,
  run: ({ values, positionals }, io) => steer('promote', positionals[0], {}, values, io),
});

export const rollbackCommand = command({
  name: 'rollback',
  usage: '--service NAME [options]',
  description:
    "Deploys the version the live one replaced (or --version), all at once, gated by the service's alarms.",
  options: {
    service: { kind: 'text', arg: 'NAME', help: 'the service to roll back (required)' },
    version: {
      kind: 'text',
      arg: 'VERSION',
      help: 'the version to go back to (default the one the live version replaced)',
    },
    reason: REASON,
    ...WHERE,
  },
  notes: WHERE_NOTE,
  async run({ values }, io) {
    if (!values.service) throw new UsageError('--service is required (the service to roll back)');
    if (!new RegExp(SERVICE_NAME_PATTERN).test(values.service)) {
      throw new UsageError(`--service must be lowercase letters, digits and dashes, got '${values.service}'`);
    }
    const api = required(connectWith(values, io.signal), 'rollback');
    const view = await api.request<DeploymentView>('POST', `/services/${values.service}/rollback`, {
      ...(values.version ? { version: values.version } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
    });
    print(view, values.json, io);
    return 0;
  },
});
