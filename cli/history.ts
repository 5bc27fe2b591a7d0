import { parseArgs } from 'node:util';
import type { DeploymentView } from '../lambdas/control/operations.ts';
import { verifyChain } from '../lambdas/domain/audit.ts';
import { SERVICE_NAME_PATTERN } from '../lambdas/domain/schemas.ts';
import type { AuditEvent } from '../lambdas/domain/types.ts';
import { connect } from './api-client.ts';
import { UsageError } from './errors.ts';
import { auditLines, historyLines } from './format.ts';
import { openRuntime } from './state-dir.ts';

export const HISTORY_HELP = `Usage: npx stepwise history --service NAME [--limit N] [--json] [--state-dir DIR] [--api URL]

Lists a service's past deployments, newest first: from the local server when one runs
('npx stepwise serve'), from a deployed API with --api URL (signed with SigV4), else from the
local store.`;

export const AUDIT_HELP = `Usage: npx stepwise audit DEPLOYMENT_ID [--json] [--state-dir DIR] [--api URL]

Prints a deployment's audit trail and checks its hash chain: every event links to the one
before it, so an edited or deleted event shows up as a broken link. Exit code 1 if broken.
Reads through the local server when one runs, or a deployed API with --api URL (SigV4).`;

export async function history(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      service: { type: 'string' },
      limit: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      api: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    out(HISTORY_HELP);
    return 0;
  }
  if (!values.service) throw new UsageError('--service is required');
  if (!/^\d+$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > 100) {
    throw new UsageError(`--limit must be a whole number from 1 to 100, got '${values.limit}'`);
  }
  if (!new RegExp(SERVICE_NAME_PATTERN).test(values.service)) {
    throw new UsageError(`--service must be lowercase letters, digits and dashes, got '${values.service}'`);
  }
  const api = connect({ api: values.api, stateDir: values['state-dir'] });
  if (api) {
    const page = await api.request<{ deployments: DeploymentView[] }>(
      'GET',
      `/services/${values.service}/deployments?limit=${values.limit}`,
    );
    if (values.json) out(JSON.stringify(page.deployments, null, 2));
    else
      historyLines(values.service, page.deployments).forEach((l) => {
        out(l);
      });
    return 0;
  }
  const runtime = await openRuntime(values['state-dir']);
  try {
    const deployments = await runtime.store.listDeployments(values.service, Number(values.limit));
    if (values.json) out(JSON.stringify(deployments, null, 2));
    else
      historyLines(values.service, deployments).forEach((l) => {
        out(l);
      });
    return 0;
  } finally {
    await runtime.close();
  }
}

export async function audit(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      api: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(AUDIT_HELP);
    return 0;
  }
  const [deploymentId, ...extra] = positionals;
  if (!deploymentId) throw new UsageError('DEPLOYMENT_ID is required: npx stepwise audit DEPLOYMENT_ID');
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const api = connect({ api: values.api, stateDir: values['state-dir'] });
  if (api) {
    const { events, chain } = await api.request<{
      events: AuditEvent[];
      chain: ReturnType<typeof verifyChain>;
    }>('GET', `/deployments/${deploymentId}/audit`);
    if (values.json) out(JSON.stringify({ deploymentId, chain, events }, null, 2));
    else
      auditLines(deploymentId, events, chain).forEach((l) => {
        out(l);
      });
    return chain.intact ? 0 : 1;
  }
  const runtime = await openRuntime(values['state-dir']);
  try {
    const events = await runtime.store.listAuditEvents(deploymentId);
    if (events.length === 0) throw new UsageError(`no deployment ${deploymentId} in the local store`);
    const chain = verifyChain(events);
    if (values.json) out(JSON.stringify({ deploymentId, chain, events }, null, 2));
    else
      auditLines(deploymentId, events, chain).forEach((l) => {
        out(l);
      });
    return chain.intact ? 0 : 1;
  } finally {
    await runtime.close();
  }
}
