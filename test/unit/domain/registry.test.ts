import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDER_CONFIG_CHECKS, PROVIDER_LIMITS } from '../../../lambdas/adapters/traffic/providers.ts';
import { toServiceConfig, validateRegistry } from '../../../lambdas/domain/registry.ts';
import { defaultStrategyPlan } from '../../../lambdas/domain/strategies.ts';
import { loadRegistry } from '../../../registry/load.ts';

const service = (overrides: Record<string, unknown> = {}) => ({
  name: 'checkout',
  environment: 'prod',
  provider: { kind: 'simulated' },
  strategy: 'canary',
  alarms: ['checkout-5xx'],
  ...overrides,
});

const refusal = (raw: unknown) => {
  try {
    validateRegistry(raw, PROVIDER_CONFIG_CHECKS, PROVIDER_LIMITS);
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('validateRegistry', () => {
  it('accepts the example registry that ships with the repo', async () => {
    const registry = await loadRegistry(
      new URL('../../../examples/stepwise.config.json', import.meta.url).pathname,
    );
    expect(registry.services.map((s) => s.name)).toEqual(['checkout', 'checkout-eu', 'checkout-global']);
  });

  it.each([
    [{ services: [] }, 'config.services must NOT have fewer than 1 items, got []'],
    [{ services: [service({ name: 'Checkout' })] }, 'config.services[0].name must match pattern'],
    [{ services: [service({ colour: 'blue' })] }, 'config.services[0].colour is not a known field'],
    [{ services: [service({ alarms: undefined })] }, 'config.services[0].alarms is required'],
    [{ services: [service(), service()] }, 'services[1].name checkout is declared twice'],
    [
      { services: [service({ provider: { kind: 'ecs' } })] },
      "services[0].provider.kind 'ecs' is not a provider",
    ],
    [
      { services: [service({ provider: { kind: 'simulated', cluster: 'x' } })] },
      'services[0].provider: providerConfig.cluster is not a field of the simulated provider',
    ],
    [
      { services: [service({ plan: { steps: [{ weight: 120, bakeSeconds: 1 }] } })] },
      'services[0].plan.steps[0].weight must be <= 100, got 120',
    ],
    [
      { services: [service({ strategy: 'ring' })] },
      'services[0].plan is required: a ring rollout lists its rings',
    ],
    [
      { services: [service({ provider: { kind: 'lambda-alias', functionName: 'checkout' } })] },
      'services[0].provider: providerConfig.alias is required',
    ],
    [
      { services: [service({ provider: { kind: 'ecs-alb', cluster: 'shop' } })] },
      'services[0].provider: providerConfig.',
    ],
    [
      { services: [service({ strategy: 'ring', plan: { rings: [{ name: 'a', service: 'elsewhere' }] } })] },
      'services[0].plan.rings[0].service elsewhere is not declared in this file',
    ],
  ])('refuses %j naming the field', (raw, message) => {
    expect(refusal(raw)).toContain(message);
  });

  it('turns an entry into the CONFIG item the runtime reads, provider identifiers apart from the kind', () => {
    const entry = service({ provider: { kind: 'simulated', readyTimeoutSeconds: 60 } });
    const registry = validateRegistry({ services: [entry] }, PROVIDER_CONFIG_CHECKS, PROVIDER_LIMITS);
    const config = toServiceConfig(registry.services[0] as never, (s) => defaultStrategyPlan(s));
    expect(config).toEqual({
      service: 'checkout',
      environment: 'prod',
      provider: 'simulated',
      providerConfig: { readyTimeoutSeconds: 60 },
      alarms: ['checkout-5xx'],
      insufficientData: 'healthy',
      strategy: 'canary',
      plan: defaultStrategyPlan('canary'),
      concurrency: 'queue',
      firingAlarms: 'block',
    });
  });
});

describe('loadRegistry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-registry-'));

  it('loads a TypeScript registry from its default export', async () => {
    const file = join(dir, 'stepwise.config.ts');
    writeFileSync(
      file,
      `const config: { services: unknown[] } = { services: [${JSON.stringify(service())}] };\nexport default config;\n`,
    );
    expect((await loadRegistry(file)).services[0]?.name).toBe('checkout');
  });

  it('names the file and the field when a registry is wrong', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ services: [service({ environment: '' })] }));
    await expect(loadRegistry(file)).rejects.toThrow(
      `${file}: config.services[0].environment must NOT have fewer than 1 characters`,
    );
  });

  it('says when the file is not JSON', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ services: ');
    await expect(loadRegistry(file)).rejects.toThrow(`${file} is not JSON`);
  });
});
