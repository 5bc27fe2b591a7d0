import { describe, expect, it } from 'vitest';
import type { ImagePush } from '../../../lambdas/domain/ecr-push.ts';
import {
  deploymentName,
  MAX_DEPLOYMENT_ID_LENGTH,
  matchPush,
  tagMatches,
} from '../../../lambdas/domain/triggers.ts';
import { T0 } from '../fixtures.ts';

const DIGEST = `sha256:${'9f2c1a7b'.repeat(8)}`;
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

const push = (overrides: Partial<ImagePush> = {}): ImagePush => ({
  eventId: 'event-1',
  repository: 'shop/checkout',
  tag: '1.4.2',
  digest: DIGEST,
  registry: `${REGISTRY}/shop/checkout`,
  time: T0.toISOString(),
  ...overrides,
});

describe('tagMatches', () => {
  it('lets * stand for any run of characters, none included', () => {
    expect(tagMatches('*', '1.4.2')).toBe(true);
    expect(tagMatches('release-*', 'release-2026.03')).toBe(true);
    expect(tagMatches('release-*', 'release-')).toBe(true);
    expect(tagMatches('release-*', 'hotfix-1')).toBe(false);
    expect(tagMatches('v*-rc', 'v1.2-rc')).toBe(true);
  });

  it('lets ? stand for exactly one character', () => {
    expect(tagMatches('v1.?', 'v1.7')).toBe(true);
    expect(tagMatches('v1.?', 'v1.12')).toBe(false);
    expect(tagMatches('v1.?', 'v1.')).toBe(false);
  });

  it('takes a dot literally, not as any character', () => {
    expect(tagMatches('1.4.2', '1.4.2')).toBe(true);
    expect(tagMatches('1.4.2', '1x4y2')).toBe(false);
  });

  it('takes regular expression characters in a pattern literally', () => {
    expect(tagMatches('v1+build', 'v1+build')).toBe(true);
    expect(tagMatches('v1+build', 'v11build')).toBe(false);
    expect(tagMatches('(beta)', '(beta)')).toBe(true);
    expect(tagMatches('(beta)', 'beta')).toBe(false);
    expect(tagMatches('[abc]', 'a')).toBe(false);
    expect(tagMatches('a|b', 'a')).toBe(false);
    expect(tagMatches('^x$', '^x$')).toBe(true);
    expect(tagMatches('a{2}', 'aa')).toBe(false);
  });

  it('matches the whole tag, not a part of it', () => {
    expect(tagMatches('1.4', '1.4.2')).toBe(false);
    expect(tagMatches('4.2', '1.4.2')).toBe(false);
  });
});

describe('matchPush', () => {
  it('leaves out services whose trigger names another repository, or that have no trigger', () => {
    const matches = matchPush(
      [
        { service: 'checkout', trigger: { repository: 'shop/checkout' } },
        { service: 'cart', trigger: { repository: 'shop/cart' } },
        { service: 'manual' },
      ],
      push(),
    );
    expect(matches).toEqual([{ service: 'checkout', matched: true }]);
  });

  it('deploys any tag when the trigger gives no pattern', () => {
    expect(matchPush([{ service: 'checkout', trigger: { repository: 'shop/checkout' } }], push())).toEqual([
      { service: 'checkout', matched: true },
    ]);
  });

  it('says why a service whose tag pattern does not fit is not deployed', () => {
    const services = [
      { service: 'checkout', trigger: { repository: 'shop/checkout', tagPattern: 'release-*' } },
      { service: 'checkout-canary', trigger: { repository: 'shop/checkout', tagPattern: '1.4.?' } },
    ];
    expect(matchPush(services, push())).toEqual([
      { service: 'checkout', matched: false, reason: 'tag 1.4.2 does not match release-*' },
      { service: 'checkout-canary', matched: true },
    ]);
  });

  it('deploys a push without a tag only to services that take untagged pushes', () => {
    const services = [
      { service: 'by-default', trigger: { repository: 'shop/checkout' } },
      {
        service: 'ignoring',
        trigger: { repository: 'shop/checkout', untaggedPushes: 'ignore' as const },
      },
      {
        service: 'deploying',
        trigger: { repository: 'shop/checkout', tagPattern: 'release-*', untaggedPushes: 'deploy' as const },
      },
    ];
    const reason = 'the push has no tag and the service ignores untagged pushes';
    expect(matchPush(services, push({ tag: undefined }))).toEqual([
      { service: 'by-default', matched: false, reason },
      { service: 'ignoring', matched: false, reason },
      { service: 'deploying', matched: true },
    ]);
  });
});

describe('deploymentName', () => {
  const SAFE = /^[A-Za-z0-9._-]+$/;

  it('reads as service, version and 8 hex digits', () => {
    expect(deploymentName('checkout', `${REGISTRY}/shop/checkout:1.4.2`, 'checkout@push-1')).toMatch(
      /^checkout-1\.4\.2-[a-f0-9]{8}$/,
    );
  });

  it('is the same for the same inputs, so that a second delivery of a push starts nothing', () => {
    const image = `${REGISTRY}/shop/checkout:1.4.2`;
    expect(deploymentName('checkout', image, `checkout@${DIGEST}`)).toBe(
      deploymentName('checkout', image, `checkout@${DIGEST}`),
    );
  });

  it('differs for anything else unique about the deployment', () => {
    const image = `${REGISTRY}/shop/checkout:1.4.2`;
    expect(deploymentName('checkout', image, 'request-1')).not.toBe(
      deploymentName('checkout', image, 'request-2'),
    );
  });

  it(`keeps to ${MAX_DEPLOYMENT_ID_LENGTH} characters for the longest service name and tag`, () => {
    const service = `s${'-long-service-name'.repeat(4)}`.slice(0, 63);
    const tag = 'v'.repeat(128);
    expect(service).toHaveLength(63);
    const name = deploymentName(service, `${REGISTRY}/shop/checkout:${tag}`, 'unique');
    expect(MAX_DEPLOYMENT_ID_LENGTH).toBe(43);
    expect(name.length).toBeLessThanOrEqual(43);
    expect(name).toMatch(/^s-long-service-name.*-v+-[a-f0-9]{8}$/);
    expect(name).toMatch(SAFE);
  });

  it('shortens the service name before the version', () => {
    const name = deploymentName('a'.repeat(63), `${REGISTRY}/x:2026.03.01-1`, 'unique');
    expect(name).toMatch(/^a+-2026.03.01-1-[a-f0-9]{8}$/);
    expect(name).toHaveLength(43);
  });

  it('uses only characters Step Functions accepts in an execution name', () => {
    for (const tag of ['v1+build.7', '__weird__', 'a..b', '-leading', 'trailing.', '1.0~rc1']) {
      const name = deploymentName('checkout', `${REGISTRY}/shop/checkout:${tag}`, tag);
      expect(name).toMatch(SAFE);
      expect(name).not.toMatch(/--/);
    }
  });

  it('names a digest-only image by sha- and the first hex digits of its digest', () => {
    expect(deploymentName('checkout', `${REGISTRY}/shop/checkout@${DIGEST}`, 'unique')).toMatch(
      /^checkout-sha-9f2c1a7b-[a-f0-9]{8}$/,
    );
    expect(deploymentName('checkout', `${REGISTRY}/shop/checkout`, 'unique', DIGEST)).toMatch(
      /^checkout-sha-9f2c1a7b-[a-f0-9]{8}$/,
    );
  });

  it('does not take a registry port for a tag', () => {
    expect(deploymentName('checkout', 'localhost:5000/checkout', 'unique')).toMatch(
      /^checkout-image-[a-f0-9]{8}$/,
    );
    expect(deploymentName('checkout', 'localhost:5000/checkout:2.0', 'unique')).toMatch(
      /^checkout-2\.0-[a-f0-9]{8}$/,
    );
  });
});
