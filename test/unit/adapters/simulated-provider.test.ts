import { beforeEach, describe, expect, it } from 'vitest';
import { makeProviderFactory, PROVIDER_KINDS } from '../../../lambdas/adapters/traffic/providers.ts';
import { SimulatedTrafficProvider } from '../../../lambdas/adapters/traffic/simulated/simulated-provider.ts';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import type { SegmentMatch } from '../../../lambdas/domain/steps.ts';
import type { TrafficTarget } from '../../../lambdas/ports/traffic.ts';
import { fixedClock, RoutesOnlyStore, T0 } from '../fixtures.ts';

const target: TrafficTarget = { service: 'shop', stableVersion: 'v1', candidateVersion: 'v2' };
const beta: SegmentMatch = { header: 'x-beta', value: 'yes' };
let store: RoutesOnlyStore;
let provider: SimulatedTrafficProvider;

beforeEach(() => {
  store = new RoutesOnlyStore();
  provider = new SimulatedTrafficProvider(store, fixedClock());
});

describe('makeProviderFactory', () => {
  it('builds the simulated provider', () => {
    const providers = makeProviderFactory({ store, clock: fixedClock() });
    expect(providers('simulated')).toBeInstanceOf(SimulatedTrafficProvider);
  });

  it('refuses an unknown provider kind, naming it and listing the known ones', () => {
    const providers = makeProviderFactory({ store, clock: fixedClock() });
    expect(() => providers('nginx-ingress')).toThrow(InvalidInputError);
    expect(() => providers('nginx-ingress')).toThrow(
      `unknown traffic provider 'nginx-ingress'; known providers: ${PROVIDER_KINDS.join(', ')}`,
    );
    expect(PROVIDER_KINDS).toContain('simulated');
  });

  it('refuses a real provider where no AWS clients are wired (the local runtime), before any call', () => {
    const providers = makeProviderFactory({ store, clock: fixedClock() });
    expect(() => providers('lambda-alias', { functionName: 'f', alias: 'live' })).toThrow(
      'this runtime has no AWS clients: only the simulated provider runs here',
    );
  });
});

describe('SimulatedTrafficProvider', () => {
  it('reads all traffic on the stable version before anything was routed', async () => {
    expect(await provider.getWeights(target)).toEqual({ v1: 100 });
  });

  it('prepares the candidate with no traffic, once', async () => {
    await provider.prepare(target);
    await provider.prepare(target);
    expect(await provider.getWeights(target)).toEqual({ v1: 100, v2: 0 });
    expect(store.writes).toHaveLength(1);
  });

  it('forgets versions with no traffic that are neither stable nor candidate when preparing', async () => {
    await store.putRoutes({ service: 'shop', weights: { v0: 0, v1: 100 }, updatedAt: T0.toISOString() });
    await provider.prepare(target);
    expect(await provider.getWeights(target)).toEqual({ v1: 100, v2: 0 });
  });

  it('keeps a version that still takes traffic when preparing', async () => {
    await store.putRoutes({ service: 'shop', weights: { v0: 30, v1: 70 }, updatedAt: T0.toISOString() });
    await provider.prepare(target);
    expect(await provider.getWeights(target)).toEqual({ v0: 30, v1: 70, v2: 0 });
  });

  it('routes by the weights it is given and stamps the time', async () => {
    await provider.setWeights(target, { v1: 75, v2: 25 });
    expect(await provider.getWeights(target)).toEqual({ v1: 75, v2: 25 });
    expect(await store.getRoutes('shop')).toEqual({
      service: 'shop',
      weights: { v1: 75, v2: 25 },
      updatedAt: T0.toISOString(),
    });
  });

  it('writes nothing when the weights are already in effect', async () => {
    await provider.setWeights(target, { v1: 90, v2: 10 });
    await provider.setWeights(target, { v2: 10, v1: 90 });
    expect(store.writes).toHaveLength(1);
  });

  it('writes nothing when asked for the implicit starting weights', async () => {
    await provider.setWeights(target, { v1: 100, v2: 0 });
    expect(store.writes).toHaveLength(0);
  });

  it.each([
    [{ v1: 90, v2: 20 }, 'weights must sum to 100, got 110'],
    [{ v1: 50, v2: 40 }, 'weights must sum to 100, got 90'],
    [{ v1: 110, v2: -10 }, 'weights must be integers from 0 to 100, got 110'],
  ])('refuses %j and writes nothing', async (weights, message) => {
    await expect(provider.setWeights(target, weights)).rejects.toThrow(message);
    expect(store.writes).toHaveLength(0);
    expect(await provider.getWeights(target)).toEqual({ v1: 100 });
  });

  it('promotes: the candidate ends with all traffic', async () => {
    await provider.setWeights(target, { v1: 50, v2: 50 });
    await provider.promote(target);
    expect(await provider.getWeights(target)).toEqual({ v2: 100 });
  });

  it('rolls back: the stable version ends with all traffic', async () => {
    await provider.setWeights(target, { v1: 50, v2: 50 });
    await provider.rollback(target);
    expect(await provider.getWeights(target)).toEqual({ v1: 100 });
  });

  it('rolls back without a write when no traffic ever moved', async () => {
    await provider.rollback(target);
    expect(store.writes).toHaveLength(0);
    expect(await provider.getWeights(target)).toEqual({ v1: 100 });
  });

  it('promotes: any segment rule and stopped version are gone', async () => {
    await provider.setSegment(target, beta);
    await provider.stopVersion(target, 'v1');
    await provider.promote(target);
    expect(await store.getRoutes('shop')).toEqual({
      service: 'shop',
      weights: { v2: 100 },
      updatedAt: T0.toISOString(),
    });
  });

  it('keeps services apart', async () => {
    await provider.setWeights(target, { v1: 50, v2: 50 });
    expect(await provider.getWeights({ ...target, service: 'cart' })).toEqual({ v1: 100 });
  });
});

describe('SimulatedTrafficProvider segments', () => {
  it('has no segment rule before one is routed', async () => {
    expect(await provider.getSegment(target)).toBeUndefined();
  });

  it('routes matching requests to the candidate, keeping the weights', async () => {
    await provider.setWeights(target, { v1: 90, v2: 10 });
    await provider.setSegment(target, beta);
    expect(await provider.getSegment(target)).toEqual(beta);
    expect(await store.getRoutes('shop')).toEqual({
      service: 'shop',
      weights: { v1: 90, v2: 10 },
      segment: { match: beta, version: 'v2' },
      updatedAt: T0.toISOString(),
    });
  });

  it('writes nothing when the same rule is routed again', async () => {
    await provider.setSegment(target, beta);
    await provider.setSegment(target, { header: 'x-beta', value: 'yes' });
    expect(store.writes).toHaveLength(1);
  });

  it('replaces a rule with another', async () => {
    await provider.setSegment(target, beta);
    await provider.setSegment(target, { cookie: 'beta', value: '1' });
    expect(await provider.getSegment(target)).toEqual({ cookie: 'beta', value: '1' });
  });

  it('removes the rule, and writes nothing when there is none to remove', async () => {
    await provider.setSegment(target, undefined);
    expect(store.writes).toHaveLength(0);
    await provider.setSegment(target, beta);
    await provider.setSegment(target, undefined);
    expect(await provider.getSegment(target)).toBeUndefined();
    expect(store.writes).toHaveLength(2);
  });

  it('rolls back: the rule is gone and the stable version has all traffic', async () => {
    await provider.setSegment(target, beta);
    await provider.rollback(target);
    expect(await store.getRoutes('shop')).toEqual({
      service: 'shop',
      weights: { v1: 100 },
      updatedAt: T0.toISOString(),
    });
  });

  it('rolls back a segment that took no weight, once', async () => {
    await provider.setSegment(target, beta);
    await provider.rollback(target);
    await provider.rollback(target);
    expect(store.writes).toHaveLength(2);
  });
});

describe('SimulatedTrafficProvider stop and start', () => {
  it('stops a version: it keeps its routes but is marked stopped', async () => {
    await provider.stopVersion(target, 'v1');
    expect(await store.getRoutes('shop')).toEqual({
      service: 'shop',
      weights: { v1: 100 },
      stopped: ['v1'],
      updatedAt: T0.toISOString(),
    });
  });

  it('writes nothing when stopping a version that is already stopped', async () => {
    await provider.stopVersion(target, 'v1');
    await provider.stopVersion(target, 'v1');
    expect(store.writes).toHaveLength(1);
  });

  it('starts a version with all traffic; the version stopped before stays stopped', async () => {
    await provider.prepare(target);
    await provider.stopVersion(target, 'v1');
    await provider.startVersion(target, 'v2');
    expect(await store.getRoutes('shop')).toMatchObject({ weights: { v2: 100 }, stopped: ['v1'] });
  });

  it('writes nothing when starting a version that already has all traffic and is not stopped', async () => {
    await provider.stopVersion(target, 'v1');
    await provider.startVersion(target, 'v2');
    await provider.startVersion(target, 'v2');
    expect(store.writes).toHaveLength(2);
  });

  it('starts a stopped version again', async () => {
    await provider.stopVersion(target, 'v1');
    await provider.startVersion(target, 'v1');
    expect(await store.getRoutes('shop')).toMatchObject({ weights: { v1: 100 }, stopped: [] });
  });

  it('rolls back: the stopped stable version serves all traffic again', async () => {
    await provider.stopVersion(target, 'v1');
    await provider.startVersion(target, 'v2');
    await provider.rollback(target);
    expect(await store.getRoutes('shop')).toEqual({
      service: 'shop',
      weights: { v1: 100 },
      updatedAt: T0.toISOString(),
    });
  });

  it('rolls back a stop that moved no traffic', async () => {
    await provider.stopVersion(target, 'v1');
    await provider.rollback(target);
    expect((await store.getRoutes('shop'))?.stopped).toBeUndefined();
    expect(store.writes).toHaveLength(2);
  });
});
