import { readFileSync } from 'node:fs';
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import {
  makeProviderFactory,
  PROVIDER_KINDS,
  PROVIDER_LIMITS,
} from '../../../lambdas/adapters/traffic/providers.ts';
import {
  BASELINE_VERSION,
  checkCandidate,
  checkProviderFits,
  resolveRingsFrom,
} from '../../../lambdas/domain/requests.ts';
import { expandPlan, strategyNeeds } from '../../../lambdas/domain/strategies/index.ts';
import { STRATEGIES } from '../../../lambdas/domain/strategy-names.ts';
import type { ServiceConfig } from '../../../lambdas/domain/types.ts';
import { REAL_PROVIDERS as REAL_REGISTRY } from '../../infra/registries.ts';
import { mockClient } from '../../support/aws-mock.ts';

const mocks = [
  mockClient(LambdaClient),
  mockClient(ECSClient),
  mockClient(ElasticLoadBalancingV2Client),
  mockClient(AppConfigClient),
];
afterAll(() => {
  for (const m of mocks) m.restore();
});

const message = (run: () => unknown): string => {
  try {
    run();
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('checkCandidate', () => {
  it('refuses the simulated baseline in a request, and takes it back only on a simulated service', () => {
    expect(message(() => checkCandidate(BASELINE_VERSION, 'body.image'))).toBe(
      "Stepwise.InvalidInput: body.image baseline (simulated) is the simulated service's starting point, not a version to deploy",
    );
    expect(message(() => checkCandidate(BASELINE_VERSION, 'x', { baselineOn: 'lambda-alias' }))).toContain(
      'is the simulated service',
    );
    expect(message(() => checkCandidate(BASELINE_VERSION, 'x', { baselineOn: 'simulated' }))).toBe(
      'accepted',
    );
  });
});

describe('what each strategy module requires of its provider', () => {
  it('says what each state machine asks of its provider: a segment task, a recreate task', () => {
    for (const strategy of STRATEGIES) {
      const asl = readFileSync(
        new URL(`../../../statemachines/${strategy}.asl.json`, import.meta.url),
        'utf8',
      );
      expect(strategyNeeds(strategy).includes('segments'), strategy).toBe(
        asl.includes('RouteSegmentFunctionArn'),
      );
      expect(strategyNeeds(strategy).includes('stop-start'), strategy).toBe(
        asl.includes('RecreateStepFunctionArn'),
      );
    }
  });
});

describe('PROVIDER_LIMITS', () => {
  const configs = Object.fromEntries(
    REAL_REGISTRY.services.map((s) => {
      const { kind, ...config } = s.provider as { kind: string };
      return [kind, config];
    }),
  ) as Record<string, Record<string, unknown>>;
  const providers = makeProviderFactory({
    store: {} as never,
    clock: { now: () => new Date() },
    aws: () => ({
      lambda: new LambdaClient({ region: 'eu-west-1' }),
      ecs: new ECSClient({ region: 'eu-west-1' }),
      elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
      appconfig: new AppConfigClient({ region: 'eu-west-1' }),
    }),
  });

  it.each(PROVIDER_KINDS)('declares exactly the capabilities %s lacks with its config', (kind) => {
    const variants =
      kind === 'ecs-alb'
        ? [configs[kind], { ...configs[kind], listenerArn: undefined, ruleArn: RULE }]
        : [configs[kind] ?? {}];
    for (const config of variants) {
      const clean = Object.fromEntries(Object.entries(config ?? {}).filter(([, v]) => v !== undefined));
      const limits = PROVIDER_LIMITS[kind](clean);
      const provider = providers(kind, clean);
      expect(Boolean(limits.segments), `${kind} segments`).toBe(provider.segments === undefined);
      expect(Boolean(limits['stop-start']), `${kind} stop-start`).toBe(provider.stopStart === undefined);
    }
  });

  it('refuses lambda-alias with recreate or ab-segment, appconfig-flag with recreate, naming the field', () => {
    const fits = (provider: string, strategy: 'recreate' | 'ab-segment' | 'canary') =>
      message(() =>
        checkProviderFits(
          { provider, providerConfig: configs[provider] },
          strategy,
          PROVIDER_LIMITS,
          'strategy',
        ),
      );
    expect(fits('lambda-alias', 'recreate')).toBe(
      'Stepwise.InvalidInput: strategy recreate cannot run on the lambda-alias provider: a Lambda version always serves what its alias routes to it (use all-at-once)',
    );
    expect(fits('lambda-alias', 'ab-segment')).toContain(
      'strategy ab-segment cannot run on the lambda-alias provider',
    );
    expect(fits('appconfig-flag', 'recreate')).toContain(
      'strategy recreate cannot run on the appconfig-flag provider',
    );
    expect(fits('lambda-alias', 'canary')).toBe('accepted');
  });
});

const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/0123456789abcdef';

describe('resolveRingsFrom', () => {
  const config = (service: string, extra: Partial<ServiceConfig> = {}): ServiceConfig => ({
    service,
    environment: 'test',
    provider: 'simulated',
    alarms: [],
    insufficientData: 'healthy',
    strategy: 'canary',
    plan: { steps: [{ weight: 100, bakeSeconds: 60 }] },
    ...extra,
  });
  const known = new Map([
    ['web', config('web')],
    ['api', config('api')],
    ['rings', config('rings', { strategy: 'ring', plan: { rings: [{ name: 'a', service: 'web' }] } })],
  ]);
  const resolve = (rings: unknown[]) =>
    message(() =>
      resolveRingsFrom('release', expandPlan('ring', { rings }), (s) => known.get(s), PROVIDER_LIMITS),
    );

  it('fills each ring with its service strategy and plan', () => {
    const steps = resolveRingsFrom(
      'release',
      expandPlan('ring', { rings: [{ name: 'a', service: 'web' }] }),
      (s) => known.get(s),
      PROVIDER_LIMITS,
    );
    expect(steps).toEqual([
      { kind: 'ring', ring: { name: 'a', service: 'web', strategy: 'canary', plan: known.get('web')?.plan } },
    ]);
  });

  it.each([
    [
      [{ name: 'a', service: 'release' }],
      'plan.rings[0].service release is the service this ring rollout deploys',
    ],
    [
      [
        { name: 'a', service: 'web' },
        { name: 'b', service: 'rings' },
      ],
      'plan.rings[1].service rings is itself a ring rollout',
    ],
    [[{ name: 'a', service: 'nowhere' }], 'plan.rings[0].service nowhere is not registered'],
    [
      [
        {
          name: 'a',
          service: 'nowhere',
          strategy: 'canary',
          plan: { steps: [{ weight: 100, bakeSeconds: 60 }] },
        },
      ],
      'plan.rings[0].service nowhere is not registered',
    ],
    [
      [
        { name: 'a', service: 'web' },
        { name: 'b', service: 'web' },
      ],
      'plan.rings[1].service web is deployed by ring a already',
    ],
    [
      [{ name: 'a', service: 'api', strategy: 'linear' }],
      "plan.rings[0].strategy linear differs from api's (canary)",
    ],
  ])('refuses %j', (rings, expected) => {
    expect(resolve(rings)).toContain(`Stepwise.InvalidInput: ${expected}`);
  });
});
