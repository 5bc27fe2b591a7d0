import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../lambdas/domain/types.ts';
import { baseConfig } from '../fakes/ecs-alb-fake.ts';
import { type Harness, openHarness, service } from './support/local-plane.ts';

/** POST /deployments against Step Functions' quotas (history events, state size, run time). */
let h: Harness;

beforeAll(async () => {
  h = await openHarness([service('checkout')]);
});

afterAll(async () => {
  await h.close();
});

const config = (
  overrides: Partial<ServiceConfig> & Pick<ServiceConfig, 'service' | 'provider'>,
): ServiceConfig => ({
  environment: 'test',
  alarms: [],
  insufficientData: 'healthy',
  strategy: 'canary',
  plan: { steps: [{ weight: 100, bakeSeconds: 60 }] },
  concurrency: 'queue',
  firingAlarms: 'block',
  ...overrides,
});

describe('POST /deployments', () => {
  it("answers 422 to a plan over Step Functions' quotas, naming the field, and records nothing", async () => {
    const { store } = h.plane.runtime;
    // As a registry written before these limits could hold them (config validate refuses them now).
    await store.putServiceConfig(
      config({
        service: 'rolling-web',
        provider: 'ecs-rolling',
        providerConfig: { cluster: 'prod', service: 'web' },
      }),
    );
    await store.putServiceConfig(
      config({
        service: 'slow-start',
        provider: 'ecs-alb',
        providerConfig: { ...baseConfig, readyTimeoutSeconds: 86_400 },
      }),
    );
    const before = await h.snapshot();
    const steps = Array.from({ length: 200 }, (_, i) => ({
      weight: Math.ceil(((i + 1) * 100) / 200),
      bakeSeconds: 60,
    }));

    const long = await h.call('POST', '/deployments', {
      service: 'rolling-web',
      image: 'web:2',
      strategy: 'canary',
      plan: { steps },
    });
    expect(long).toMatchObject({ status: 422, body: { error: 'InvalidRequest' } });
    expect(String(long.body.message)).toMatch(
      /^plan\.steps: this canary plan \(600 steps once expanded\) on ecs-rolling would need ≈4\d,\d{3} execution history events in the worst case, over 20,000 \(80 % of Step Functions' 25,000-event quota per execution\)/,
    );
    const slow = await h.call('POST', '/deployments', { service: 'slow-start', image: 'web:2' });
    expect(slow).toMatchObject({ status: 422, body: { error: 'InvalidRequest' } });
    expect(String(slow.body.message)).toMatch(
      /^providerConfig\.readyTimeoutSeconds: 86400s of readiness checks/,
    );
    expect(await h.snapshot()).toBe(before);
  });
});
