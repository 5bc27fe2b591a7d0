import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';

/** The example registry users copy (simulated providers only). */
export const EXAMPLE_REGISTRY = join(PROJECT_ROOT, 'examples', 'stepwise.config.json');

const LISTENER =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
const TEST_LISTENER =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/0467ef3c8400ae65';

/** One service of each real provider kind, with the identifiers each provider's docs show. */
export const REAL_PROVIDERS = {
  services: [
    {
      name: 'shop-web',
      environment: 'prod',
      provider: {
        kind: 'ecs-alb',
        cluster: 'prod',
        services: ['shop-blue', 'shop-green'],
        targetGroupArns: [
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/0123456789abcdef',
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/fedcba9876543210',
        ],
        listenerArn: LISTENER,
        testListenerArn: TEST_LISTENER,
        taskRoleArn: 'arn:aws:iam::123456789012:role/shop/web-task',
        executionRoleArn: 'arn:aws:iam::123456789012:role/shop/web-execution',
      },
      strategy: 'canary',
      alarms: ['shop-5xx'],
    },
    {
      name: 'billing',
      environment: 'prod',
      provider: {
        kind: 'ecs-rolling',
        cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
        service: 'billing',
        executionRoleArn: 'arn:aws:iam::123456789012:role/billing-execution',
      },
      strategy: 'rolling',
      alarms: [],
      noAlarms: true,
    },
    {
      // An image function, deployed from pushes to its repository.
      name: 'thumbnails',
      environment: 'prod',
      provider: { kind: 'lambda-alias', functionName: 'thumbnails', alias: 'live' },
      strategy: 'linear',
      plan: { stepPercent: 20, intervalSeconds: 120 },
      alarms: ['thumbnails-errors'],
      trigger: { repository: 'media/thumbnails' },
    },
    {
      name: 'new-checkout',
      environment: 'prod',
      provider: {
        kind: 'appconfig-flag',
        applicationId: 'abc1234',
        environmentId: 'env5678',
        configurationProfileId: 'prf9012',
        flag: 'newCheckout',
        deploymentStrategyId: 'qk4zs2x',
      },
      strategy: 'canary',
      insufficientData: 'unhealthy',
      alarms: [],
      noAlarms: true,
    },
  ],
};

/** A .zip function, deployed from packages in its artifact bucket (no trigger repository). */
export const ZIP_FUNCTION = {
  name: 'reports',
  environment: 'prod',
  provider: {
    kind: 'lambda-alias',
    functionName: 'reports',
    alias: 'live',
    artifactBucket: 'media-artifacts',
  },
  strategy: 'linear',
  alarms: [],
  noAlarms: true,
};

export const REAL_LISTENER = LISTENER;
export const REAL_TEST_LISTENER = TEST_LISTENER;

/** Writes `registry` to a new temporary directory as stepwise.config.json; returns its path. */
export function writeRegistry(registry: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'stepwise-infra-')), 'stepwise.config.json');
  writeFileSync(file, JSON.stringify(registry, null, 2));
  return file;
}
