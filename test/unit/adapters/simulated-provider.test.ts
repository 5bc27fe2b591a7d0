import { beforeEach, describe, expect, it } from 'vitest';
import { makeProviderFactory, PROVIDER_KINDS } from '../../../lambdas/adapters/traffic/providers.ts';
import { SimulatedTrafficProvider } from '../../../lambdas/adapters/traffic/simulated-provider.ts';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import type { TrafficTarget } from '../../../lambdas/ports/traffic.ts';
import { fixedClock, RoutesOnlyStore, T0 } from '../fixtures.ts';

const target: TrafficTarget = { service: 'shop', stableVersion: 'v1', candidateVersion: 'v2' };
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
    expect(() => providers('ecs-alb')).toThrow(InvalidInputError);
    expect(() => providers('ecs-alb')).toThrow(
      `unknown traffic provider 'ecs-alb'; known providers: ${PROVIDER_KINDS.join(', ')}`,
    );
    expect(PROVIDER_KINDS).toContain('simulated');
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

  it('keeps services apart', async () => {
    await provider.setWeights(target, { v1: 50, v2: 50 });
    expect(await provider.getWeights({ ...target, service: 'cart' })).toEqual({ v1: 100 });
  });
});
