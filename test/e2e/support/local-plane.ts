import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DeploymentView } from '../../../lambdas/control/operations.ts';
import type { ServiceEntry } from '../../../lambdas/domain/registry.ts';
import { LocalControlPlane, type LocalControlPlaneOptions } from '../../../local/control-plane.ts';
import { type LocalServer, startLocalServer } from '../../../local/server.ts';

/** A plan that holds the rollout at 10 % until someone answers its approval. */
export const GATED_PLAN = {
  steps: [
    { weight: 10, bakeSeconds: 60 },
    { approval: { timeoutSeconds: 300, onTimeout: 'rollback' } },
    { weight: 100, bakeSeconds: 60 },
  ],
};

export function service(name: string, extra: Partial<ServiceEntry> = {}): ServiceEntry {
  return {
    name,
    environment: 'test',
    provider: { kind: 'simulated' },
    strategy: 'canary',
    alarms: [],
    ...extra,
  };
}

export interface Harness {
  plane: LocalControlPlane;
  server: LocalServer;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T }>;
  /** Every item in the table, to show that a refused request changed nothing. */
  snapshot(): Promise<string>;
  /** Polls a deployment until `until` holds (the local engine runs executions in the background). */
  until(id: string, until: (view: DeploymentView) => boolean): Promise<DeploymentView>;
  close(): Promise<void>;
}

/** The local control plane in memory with the given services, behind the local HTTP server. */
export async function openHarness(
  services: ServiceEntry[],
  options: LocalControlPlaneOptions & { dir?: string } = {},
): Promise<Harness> {
  let url = '';
  const { dir, ...planeOptions } = options;
  const plane = await LocalControlPlane.open(dir, { ...planeOptions, baseUrl: () => url });
  await plane.register({ services });
  const server = await startLocalServer(plane, {
    principal: 'arn:aws:iam::123456789012:user/alice',
    pollMs: 20,
  });
  url = server.url;
  const call: Harness['call'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as never };
  };
  return {
    plane,
    server,
    call,
    async snapshot() {
      // Executions and their reconciles run in the background: compare the table once they are done.
      await plane.idle();
      const out = await plane.runtime.client.send(new ScanCommand({ TableName: plane.runtime.tableName }));
      const items = (out.Items ?? []).map((i) => JSON.stringify(i)).sort();
      return items.join('\n');
    },
    async until(id, predicate) {
      // A deadline, not a count of polls: on a loaded CI machine one poll can take far longer than 25 ms.
      const deadline = Date.now() + 45_000;
      let last: DeploymentView | undefined;
      while (Date.now() < deadline) {
        last = (await call<DeploymentView>('GET', `/deployments/${id}`)).body;
        if (predicate(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(
        `deployment ${id} never reached the expected state; last seen: ${JSON.stringify(last)}`,
      );
    },
    async close() {
      await server.close();
      await plane.close();
    },
  };
}
