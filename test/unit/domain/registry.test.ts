import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDER_CONFIG_CHECKS, PROVIDER_LIMITS } from '../../../lambdas/adapters/traffic/providers.ts';
import { toServiceConfig, validateRegistry } from '../../../lambdas/domain/registry.ts';
import { defaultStrategyPlan } from '../../../lambdas/domain/strategies/index.ts';
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

  describe('allowedHosts', () => {
    const smoke = (url: string) => ({
      strategy: 'blue-green',
      plan: { bakeSeconds: 60, preTrafficHooks: [{ name: 'smoke', http: { url } }] },
    });

    it('accepts hooks on the hosts the service registers, by name or with the port', () => {
      const registry = {
        services: [
          service({ ...smoke('https://smoke.shop.internal/health'), allowedHosts: ['smoke.shop.internal'] }),
          service({
            name: 'billing',
            ...smoke('http://10.0.0.7:8080/health?k=v'),
            allowedHosts: ['10.0.0.7:8080'],
          }),
        ],
      };
      expect(refusal(registry)).toBe('accepted');
    });

    it.each([
      [
        smoke('http://169.254.169.254/latest/meta-data'),
        undefined,
        "services[0].plan: hook smoke calls http://169.254.169.254/latest/meta-data, but 169.254.169.254 is not in checkout's allowedHosts (none registered); register the host in the service's allowedHosts",
      ],
      [
        smoke('https://ci:s3cr3t@evil.example/x?token=t'),
        ['smoke.shop.internal'],
        "services[0].plan: hook smoke calls https://evil.example/x?…, but evil.example is not in checkout's allowedHosts (smoke.shop.internal); register the host in the service's allowedHosts",
      ],
      [
        smoke('http://smoke.shop.internal:9000/health'),
        ['smoke.shop.internal:443'],
        "services[0].plan: hook smoke calls http://smoke.shop.internal:9000/health, but smoke.shop.internal:9000 is not in checkout's allowedHosts (smoke.shop.internal:443); register the host in the service's allowedHosts",
      ],
    ])('refuses a hook on a host the service does not register (%j)', (entry, allowedHosts, message) => {
      expect(refusal({ services: [service({ ...entry, allowedHosts })] })).toBe(message);
    });

    it("checks a ring's own plan against its ring service's hosts", () => {
      const ring = {
        name: 'global',
        strategy: 'ring',
        plan: {
          rings: [
            {
              name: 'eu',
              service: 'checkout',
              strategy: 'blue-green',
              plan: smoke('http://evil.example/').plan,
            },
          ],
        },
      };
      expect(refusal({ services: [service({ allowedHosts: ['smoke.shop.internal'] }), service(ring)] })).toBe(
        "services[1].plan.rings[0].plan: hook smoke calls http://evil.example/, but evil.example is not in checkout's allowedHosts (smoke.shop.internal); register the host in the service's allowedHosts",
      );
    });

    it('refuses an entry that is not a host', () => {
      expect(refusal({ services: [service({ allowedHosts: ['https://smoke.shop.internal/'] })] })).toContain(
        'config.services[0].allowedHosts[0] must match pattern',
      );
    });
  });

  const FUNCTION = { kind: 'lambda-alias', functionName: 'checkout', alias: 'live' };
  const FLAG = {
    kind: 'appconfig-flag',
    applicationId: 'abc1234',
    environmentId: 'env5678',
    configurationProfileId: 'prf9012',
    flag: 'newCheckout',
    deploymentStrategyId: 'qk4zs2x',
  };
  const ECS = {
    kind: 'ecs-rolling',
    cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
    service: 'checkout',
  };
  const ALB = {
    kind: 'ecs-alb',
    cluster: 'prod',
    services: ['shop-blue', 'shop-green'],
    targetGroupArns: [
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/0123456789abcdef',
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/fedcba9876543210',
    ],
  };
  const LISTENER =
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/0123456789abcdef/0123456789abcdef';
  const RULE =
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/0123456789abcdef';

  it.each([
    [
      FUNCTION,
      'recreate',
      'services[0].strategy recreate cannot run on the lambda-alias provider: a Lambda version always serves',
    ],
    [
      FUNCTION,
      'ab-segment',
      'services[0].strategy ab-segment cannot run on the lambda-alias provider: a Lambda alias splits invocations by weight only',
    ],
    [
      FLAG,
      'recreate',
      'services[0].strategy recreate cannot run on the appconfig-flag provider: a flag is on or off',
    ],
    [FLAG, 'ab-segment', 'services[0].strategy ab-segment cannot run on the appconfig-flag provider'],
    [
      ECS,
      'ab-segment',
      'services[0].strategy ab-segment cannot run on the ecs-rolling provider: an ECS service has no request routing',
    ],
    [
      ECS,
      'blue-green',
      'services[0].strategy blue-green cannot run on the ecs-rolling provider: it updates one fleet in place',
    ],
    [
      { ...ALB, listenerArn: LISTENER },
      'recreate',
      'services[0].strategy recreate cannot run on the ecs-alb provider',
    ],
    [
      { ...ALB, ruleArn: RULE },
      'ab-segment',
      'services[0].strategy ab-segment cannot run on the ecs-alb provider: a segment is a rule on a listener',
    ],
  ])('refuses a strategy its provider cannot run (%j with %s)', (provider, strategy, message) => {
    expect(refusal({ services: [service({ provider, strategy })] })).toContain(message);
  });

  it.each([
    [FUNCTION, ['canary', 'linear', 'all-at-once', 'blue-green', 'rolling']],
    [FLAG, ['canary', 'linear', 'all-at-once', 'blue-green', 'rolling']],
    [ECS, ['rolling', 'recreate', 'canary', 'linear', 'all-at-once']],
    [
      { ...ALB, listenerArn: LISTENER },
      ['canary', 'linear', 'all-at-once', 'blue-green', 'rolling', 'ab-segment'],
    ],
    [
      { kind: 'simulated' },
      ['canary', 'linear', 'all-at-once', 'blue-green', 'rolling', 'recreate', 'ab-segment'],
    ],
  ])('accepts every strategy %j can run', (provider, strategies) => {
    for (const strategy of strategies) {
      expect(refusal({ services: [service({ provider, strategy })] }), strategy).toBe('accepted');
    }
  });

  it('refuses a service without alarms unless it says noAlarms: true, and both at once', () => {
    expect(refusal({ services: [service({ alarms: [] })] })).toBe(
      'services[0].alarms is empty, so every health check would pass unchecked: list the service\'s CloudWatch alarms, or say "noAlarms": true',
    );
    expect(refusal({ services: [service({ alarms: [], noAlarms: true })] })).toBe('accepted');
    expect(refusal({ services: [service({ noAlarms: true })] })).toBe(
      'services[0].noAlarms is true but services[0].alarms lists 1: drop one of the two',
    );
    expect(refusal({ services: [service({ alarms: [], noAlarms: 'yes' })] })).toContain(
      'config.services[0].noAlarms must be boolean',
    );
  });

  it('takes an analysis, names a bad criterion field, and fills the defaults into the stored config', () => {
    expect(refusal({ services: [service({ analysis: {} })] })).toBe('accepted');
    expect(
      refusal({ services: [service({ analysis: { criteria: [{ metric: 'latency', quantile: 101 }] } })] }),
    ).toBe('config.services[0].analysis.criteria[0].quantile must be <= 99.9, got 101');
    expect(
      refusal({ services: [service({ analysis: { criteria: [{ metric: 'latency', maxRatio: 2 }] } })] }),
    ).toBe('config.services[0].analysis.criteria[0].maxRatio is not a known field');
    expect(refusal({ services: [service({ analysis: { criteria: [{ metric: 'cpu' }] } })] })).toBe(
      'config.services[0].analysis.criteria[0].metric must be one of errorRate, latency, got "cpu"',
    );
    const config = toServiceConfig(
      service({ analysis: { minCandidateRequests: 1000 } }) as never,
      defaultStrategyPlan,
    );
    expect(config.analysis?.minCandidateRequests).toBe(1000);
    expect(config.analysis?.criteria.map((c) => c.metric)).toEqual(['errorRate', 'latency', 'latency']);
  });

  it('refuses an analysis on a provider that has no metrics per version, saying what to do instead', () => {
    const rolling = {
      kind: 'ecs-rolling',
      cluster: 'shop',
      service: 'checkout',
    };
    expect(refusal({ services: [service({ provider: rolling, strategy: 'rolling', analysis: {} })] })).toBe(
      "services[0].analysis: the ecs-rolling provider cannot compare the versions: both versions run in one ECS service behind one target group, so CloudWatch has no metrics per version (use ecs-alb, or judge with alarms); or name the service's own per-version metrics in services[0].analysis.metrics",
    );
    // Its tasks publish their version (EMF): the service names those metrics, and the pairing is fine.
    const own = {
      requests: { namespace: 'Shop', metricName: 'Requests', dimensions: { Version: '{version}' } },
      errors: { namespace: 'Shop', metricName: 'Errors', dimensions: { Version: '{version}' } },
      latency: { namespace: 'Shop', metricName: 'Latency', dimensions: { Version: '{version}' }, unit: 'ms' },
    };
    expect(
      refusal({
        services: [service({ provider: rolling, strategy: 'rolling', analysis: { metrics: own } })],
      }),
    ).toBe('accepted');
    expect(
      refusal({
        services: [
          service({ analysis: { metrics: { ...own, errors: { namespace: 'Shop', metricName: 'Errors' } } } }),
        ],
      }),
    ).toBe('config.services[0].analysis.metrics.errors.dimensions is required');
  });

  it('accepts a $schema key, the way editors find a JSON schema', () => {
    expect(refusal({ $schema: './stepwise.schema.json', services: [service()] })).toBe('accepted');
    expect(refusal({ $schema: 7, services: [service()] })).toContain('config.$schema must be string');
  });

  it.each([
    [
      [
        service({
          name: 'rings',
          strategy: 'ring',
          alarms: [],
          plan: { rings: [{ name: 'a', service: 'rings' }] },
        }),
      ],
      'services[0].plan.rings[0].service rings is the service this ring rollout deploys: a ring names another service',
    ],
    [
      [
        service(),
        service({
          name: 'inner',
          strategy: 'ring',
          alarms: [],
          plan: { rings: [{ name: 'a', service: 'checkout' }] },
        }),
        service({
          name: 'outer',
          strategy: 'ring',
          alarms: [],
          plan: { rings: [{ name: 'a', service: 'inner' }] },
        }),
      ],
      'services[2].plan.rings[0].service inner is itself a ring rollout: rings do not nest',
    ],
    [
      [
        service(),
        service({
          name: 'rings',
          strategy: 'ring',
          alarms: [],
          plan: {
            rings: [
              { name: 'a', service: 'checkout' },
              { name: 'b', service: 'checkout' },
            ],
          },
        }),
      ],
      'services[1].plan.rings[1].service checkout is deployed by ring a already: one ring per service',
    ],
    [
      [
        service(),
        service({
          name: 'rings',
          strategy: 'ring',
          alarms: [],
          plan: { rings: [{ name: 'a', service: 'checkout', strategy: 'linear' }] },
        }),
      ],
      "services[1].plan.rings[0].strategy linear differs from checkout's (canary): give its plan too",
    ],
    [
      [
        service({ provider: FUNCTION }),
        service({
          name: 'rings',
          strategy: 'ring',
          alarms: [],
          plan: {
            rings: [{ name: 'a', service: 'checkout', strategy: 'recreate', plan: { bakeSeconds: 60 } }],
          },
        }),
      ],
      'services[1].plan.rings[0].strategy recreate cannot run on the lambda-alias provider: a Lambda version always serves what its alias routes to it (use all-at-once)',
    ],
  ])('refuses a ring that cannot deploy (%#)', (services, message) => {
    expect(refusal({ services })).toBe(message);
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
