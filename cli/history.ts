import type { DeploymentView } from '../lambdas/control/operations.ts';
import { verifyChain } from '../lambdas/domain/audit.ts';
import { SERVICE_NAME_PATTERN } from '../lambdas/domain/schemas.ts';
import type { AuditEvent } from '../lambdas/domain/types.ts';
import { API_OPTIONS, connectWith } from './api-client.ts';
import { deploymentId } from './control.ts';
import { UsageError } from './errors.ts';
import { auditLines, historyLines } from './format.ts';
import { command, HELP_OPTION } from './options.ts';
import { openRuntime } from './state-dir.ts';

const WHERE_NOTE =
  "Reads from the local server when one runs ('npx stepwise serve'), from a deployed API with --api URL (signed with SigV4), else from the local store.";

export const historyCommand = command({
  name: 'history',
  usage: '--service NAME [options]',
  description: "Lists a service's past deployments, newest first.",
  options: {
    service: { kind: 'text', arg: 'NAME', help: 'the service (required)' },
    limit: { kind: 'count', arg: 'N', min: 1, max: 100, default: 20, help: 'at most this many' },
    ...API_OPTIONS,
    json: { kind: 'flag', help: 'print the deployments as JSON' },
    help: HELP_OPTION,
  },
  notes: WHERE_NOTE,
  async run({ values }, io) {
    const service = values.service;
    if (!service) throw new UsageError('--service is required (the service whose deployments to list)');
    if (!new RegExp(SERVICE_NAME_PATTERN).test(service)) {
      throw new UsageError(`--service must be lowercase letters, digits and dashes, got '${service}'`);
    }
    const api = connectWith(values, io.signal);
    const print = (deployments: Parameters<typeof historyLines>[1]) => {
      if (values.json) io.out(JSON.stringify(deployments, null, 2));
      else
        historyLines(service, deployments).forEach((l) => {
          io.out(l);
        });
    };
    if (api) {
      const page = await api.request<{ deployments: DeploymentView[] }>(
        'GET',
        `/services/${service}/deployments?limit=${values.limit}`,
      );
      print(page.deployments);
      return 0;
    }
    const runtime = await openRuntime(values['state-dir']);
    try {
      print(await runtime.store.listDeployments(service, values.limit));
      return 0;
    } finally {
      await runtime.close();
    }
  },
});

export const auditCommand = command({
  name: 'audit',
  usage: 'DEPLOYMENT_ID [options]',
  description:
    "Prints a deployment's audit trail and checks its hash chain: every event links to the one before it, so an edited or deleted event shows up as a broken link. Exit code 1 if broken.",
  positionals: ['DEPLOYMENT_ID'],
  options: {
    ...API_OPTIONS,
    json: { kind: 'flag', help: 'print the trail and the chain check as JSON' },
    help: HELP_OPTION,
  },
  notes: WHERE_NOTE,
  async run({ values, positionals }, io) {
    const id = deploymentId(positionals[0], 'audit');
    const print = (events: AuditEvent[], chain: ReturnType<typeof verifyChain>) => {
      if (values.json) io.out(JSON.stringify({ deploymentId: id, chain, events }, null, 2));
      else
        auditLines(id, events, chain).forEach((l) => {
          io.out(l);
        });
      return chain.intact ? 0 : 1;
    };
    const api = connectWith(values, io.signal);
    if (api) {
      const { events, chain } = await api.request<{
        events: AuditEvent[];
        chain: ReturnType<typeof verifyChain>;
      }>('GET', `/deployments/${id}/audit`);
      return print(events, chain);
    }
    const runtime = await openRuntime(values['state-dir']);
    try {
      const events = await runtime.store.listAuditEvents(id);
      if (events.length === 0) throw new UsageError(`no deployment ${id} in the local store`);
      return print(events, verifyChain(events));
    } finally {
      await runtime.close();
    }
  },
});
