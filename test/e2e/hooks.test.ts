import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../lambdas/control/operations.ts';
import { type Harness, openHarness, service } from './support/local-plane.ts';

let h: Harness;
let internal: { url: string; hits: string[]; server: Server };
let redirecting: { url: string; server: Server };

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

beforeAll(async () => {
  const hits: string[] = [];
  internal = {
    hits,
    ...(await listen((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200).end();
    })),
  };
  redirecting = await listen((_req, res) => {
    res.writeHead(302, { location: `${internal.url}/internal-admin` }).end();
  });
  h = await openHarness([
    service('checkout', { allowedHosts: [new URL(redirecting.url).host] }),
    service('billing', { allowedHosts: ['smoke.billing.internal'] }),
  ]);
});

afterAll(async () => {
  await h.close();
  await new Promise((resolve) => internal.server.close(resolve));
  await new Promise((resolve) => redirecting.server.close(resolve));
});

const hookPlan = (url: string) => ({
  steps: [{ setWeight: 10 }, { hook: { name: 'smoke', http: { url }, retries: 0 } }, { setWeight: 100 }],
});

describe('HTTP hooks through the API', () => {
  it("refuses a plan override whose hook calls a host outside the service's allowedHosts (422), recording nothing", async () => {
    const before = await h.snapshot();
    const res = await h.call('POST', '/deployments', {
      service: 'billing',
      image: 'bill:2',
      strategy: 'canary',
      plan: hookPlan('http://169.254.169.254/latest/meta-data/?role=x'),
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      error: 'InvalidRequest',
      // A rehearsal adds its simulated test route, on loopback, to every service's hosts.
      message: `plan: hook smoke calls http://169.254.169.254/latest/meta-data/?…, but 169.254.169.254 is not in billing's allowedHosts (smoke.billing.internal, ${new URL(h.plane.testRouteUrl).host}); register the host in the service's allowedHosts`,
    });
    expect(await h.snapshot()).toBe(before);
  });

  it('fails a hook that answers a redirect, never calls where it points, and keeps the URL query out of the trail', async () => {
    const created = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'checkout',
      image: 'shop:2',
      strategy: 'canary',
      plan: hookPlan(`${redirecting.url}/smoke?token=tok-secret`),
    });
    expect(created.status).toBe(202);
    const done = await h.until(
      created.body.deploymentId,
      (v) => !['QUEUED', 'IN_PROGRESS'].includes(v.status),
    );
    expect(done.status).toBe('ROLLED_BACK');
    expect(internal.hits).toEqual([]);
    const trail = await h.plane.runtime.store.listAuditEvents(created.body.deploymentId);
    const ran = trail.find((e) => e.type === 'HookRan');
    expect(ran?.detail).toMatchObject({
      passed: false,
      detail: `GET ${redirecting.url}/smoke?… answered 302, a redirect to ${internal.url}/internal-admin; hooks follow no redirects, so point the hook at the final URL`,
    });
    expect(JSON.stringify(trail)).not.toContain('tok-secret');
  });
});
