import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../lambdas/control/operations.ts';
import { type Harness, openHarness, service } from './support/local-plane.ts';

let h: Harness;

beforeAll(async () => {
  h = await openHarness([service('checkout')]);
});

afterAll(async () => {
  await h.close();
});

describe('an approval that times out under serve', () => {
  it('continues when the plan says so, audited on the server clock, and the view stops showing it', async () => {
    const created = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'checkout',
      image: 'shop:2',
      strategy: 'canary',
      plan: {
        steps: [
          { weight: 10, bakeSeconds: 60 },
          { approval: { timeoutSeconds: 1, onTimeout: 'continue' } },
          { setWeight: 100 },
        ],
      },
    });
    expect(created.status).toBe(202);
    const done = await h.until(
      created.body.deploymentId,
      (v) => !['QUEUED', 'IN_PROGRESS'].includes(v.status),
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(done).not.toHaveProperty('pendingApproval');

    const trail = await h.plane.runtime.store.listAuditEvents(created.body.deploymentId);
    const requested = trail.find((e) => e.type === 'ApprovalRequested');
    const timedOut = trail.find((e) => e.type === 'ApprovalTimedOut');
    expect(timedOut?.detail).toMatchObject({ onTimeout: 'continue', timeoutSeconds: 1 });
    expect(String(timedOut?.at) >= String(requested?.detail?.timeoutAt)).toBe(true);
    const times = trail.map((e) => e.at);
    expect(times).toEqual([...times].sort());
  });
});
