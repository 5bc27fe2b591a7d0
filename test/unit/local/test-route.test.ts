import { afterEach, describe, expect, it } from 'vitest';
import type { HookFault } from '../../../local/faults.ts';
import { startTestRoute, type TestRoute } from '../../../local/test-route.ts';

let route: TestRoute | undefined;

async function started(faults: HookFault[]): Promise<TestRoute> {
  route = await startTestRoute(faults);
  return route;
}

afterEach(async () => {
  await route?.close();
  route = undefined;
});

/** What the route answers to a smoke test of `phase` (no phase header when undefined). */
async function statusFor(r: TestRoute, phase?: string, path = '/health'): Promise<number> {
  const response = await fetch(`${r.url}${path}`, { headers: phase ? { 'x-stepwise-phase': phase } : {} });
  await response.body?.cancel();
  return response.status;
}

describe('startTestRoute', () => {
  it('listens on loopback', async () => {
    expect((await started([])).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers GET /health with 200 and a JSON body when no hook fault is injected', async () => {
    const r = await started([]);
    const response = await fetch(`${r.url}/health`, { headers: { 'x-stepwise-phase': 'pre-traffic' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 503 to every phase when hook=fail names none', async () => {
    const r = await started([{}]);
    expect([
      await statusFor(r, 'pre-traffic'),
      await statusFor(r, 'post-traffic'),
      await statusFor(r),
    ]).toEqual([503, 503, 503]);
  });

  it('answers 503 only to the phase that hook=fail names', async () => {
    const r = await started([{ phase: 'post-traffic' }]);
    expect(await statusFor(r, 'pre-traffic')).toBe(200);
    expect(await statusFor(r, 'post-traffic')).toBe(503);
  });

  it('answers 404 to any other path', async () => {
    const r = await started([]);
    expect(await statusFor(r, 'pre-traffic', '/ready')).toBe(404);
  });

  it('remembers every request, with the phase it named and what it answered', async () => {
    const r = await started([{ phase: 'pre-traffic' }]);
    await statusFor(r, 'pre-traffic');
    await statusFor(r, 'post-traffic');
    await statusFor(r, undefined, '/other');
    expect(r.requests).toEqual([
      { path: '/health', phase: 'pre-traffic', status: 503 },
      { path: '/health', phase: 'post-traffic', status: 200 },
      { path: '/other', phase: undefined, status: 404 },
    ]);
  });

  it('stops listening when closed', async () => {
    const r = await started([]);
    await r.close();
    route = undefined;
    await expect(fetch(`${r.url}/health`)).rejects.toThrow();
  });
});
