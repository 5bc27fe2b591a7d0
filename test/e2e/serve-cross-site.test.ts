import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localServer } from '../../cli/api-client.ts';
import type { DeploymentView } from '../../lambdas/control/operations.ts';
import { type Harness, openHarness, service } from './support/local-plane.ts';

let h: Harness;

beforeAll(async () => {
  h = await openHarness([service('checkout'), service('billing')]);
});

afterAll(async () => {
  await h.close();
});

/** A raw request, with the headers a browser or a rebound name would send (fetch sets Host itself). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: { error?: string; message?: string } }> {
  const { port } = new URL(h.server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const start = JSON.stringify({ service: 'checkout', image: 'shop:2' });

describe('serve refuses what a web page could send it', () => {
  const host = () => new URL(h.server.url).host;

  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
  ])('refuses a POST with %s (a CORS simple request) with 403, and starts nothing', async (_what, type) => {
    const before = await h.snapshot();
    const res = await raw('POST', '/deployments', { host: host(), 'content-type': type }, start);
    expect(res.status).toBe(403);
    expect(res.body.message).toContain('needs Content-Type: application/json');
    expect(res.body.message).toContain(`'${type}'`);
    expect(await h.snapshot()).toBe(before);
  });

  it('refuses a POST with no Content-Type, on the events path too', async () => {
    const before = await h.snapshot();
    const deploy = await raw('POST', '/deployments', { host: host() }, start);
    const event = await raw('POST', '/_local/events', { host: host() }, '{}');
    expect([deploy.status, event.status]).toEqual([403, 403]);
    expect(event.body.message).toBe(
      'POST /_local/events needs Content-Type: application/json, got none; the local server takes no form or text posts, which any web page could send',
    );
    expect(await h.snapshot()).toBe(before);
  });

  it('refuses a Host that is not its loopback address (DNS rebinding), even for a GET', async () => {
    const before = await h.snapshot();
    const post = await raw(
      'POST',
      '/deployments',
      { host: 'attacker.example', 'content-type': 'application/json' },
      start,
    );
    const get = await raw('GET', '/services', { host: `attacker.example:${new URL(h.server.url).port}` });
    expect([post.status, get.status]).toEqual([403, 403]);
    expect(post.body.message).toBe(
      `POST /deployments: Host 'attacker.example' is not this server (${host()}); the local server answers only requests addressed to its loopback address`,
    );
    expect(await h.snapshot()).toBe(before);
  });

  it('refuses an Origin other than its own', async () => {
    const before = await h.snapshot();
    for (const origin of ['https://evil.example', 'null', `http://localhost:1`]) {
      const res = await raw(
        'POST',
        '/deployments',
        { host: host(), origin, 'content-type': 'application/json' },
        start,
      );
      expect(res.status).toBe(403);
      expect(res.body.message).toContain(`Origin '${origin}' is not this server (http://${host()})`);
    }
    expect(await h.snapshot()).toBe(before);
  });

  it('answers its own page: its Origin, and Host localhost:<port>', async () => {
    const { port } = new URL(h.server.url);
    const res = await raw(
      'POST',
      '/deployments',
      { host: `localhost:${port}`, origin: h.server.url, 'content-type': 'application/json; charset=utf-8' },
      JSON.stringify({ service: 'billing', image: 'bill:2' }),
    );
    expect(res.status).toBe(202);
    const page = await raw('GET', '/services/billing', { host: host(), origin: `http://localhost:${port}` });
    expect(page.status).toBe(200);
  });

  it('keeps answering the CLI client, which deploys and aborts through it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-cross-site-'));
    writeFileSync(join(dir, 'server.json'), JSON.stringify({ url: h.server.url, pid: process.pid }));
    const api = localServer(dir);
    rmSync(dir, { recursive: true });
    if (!api) throw new Error('the CLI did not find the server');
    const view = await api.request<DeploymentView>('POST', '/deployments', {
      service: 'checkout',
      image: 'shop:3',
    });
    expect(view.status).toMatch(/QUEUED|IN_PROGRESS/);
    const aborted = await api.request<DeploymentView>('POST', `/deployments/${view.deploymentId}/abort`, {});
    expect(aborted.deploymentId).toBe(view.deploymentId);
    expect((await api.request<DeploymentView>('GET', `/deployments/${view.deploymentId}`)).service).toBe(
      'checkout',
    );
  });
});
