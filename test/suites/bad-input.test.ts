import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrPushEvent } from '../../lambdas/domain/ecr-push.ts';
import type { ServiceEntry } from '../../lambdas/domain/registry.ts';
import { loadRegistry } from '../../registry/load.ts';
import { type Harness, openHarness } from '../e2e/support/local-plane.ts';

/**
 * The bad-input suite: malformed API requests, ECR push events and registry files, generated with
 * fast-check from a valid request, event or file with one thing broken. Each must be refused —
 * the API with a 4xx and a message, dispatch by ignoring the event with a reason naming the field
 * (or a named error), the registry loader with a named error naming the field — and a full scan of
 * the table must be unchanged afterwards. `npm test` runs a sample; `.ci/run` all of it
 * (STEPWISE_FULL_SUITES=1). Prints its figures. The seed is fixed (STEPWISE_SEED overrides it), so
 * a failure reproduces.
 */

const FULL = process.env.STEPWISE_FULL_SUITES === '1';
const SEED = Number(process.env.STEPWISE_SEED ?? 20261203);
const RUNS = FULL ? { api: 320, events: 160, registry: 160 } : { api: 40, events: 20, registry: 20 };

const REPOSITORY = 'shop/checkout';

/** A valid service of the registry; each registry case breaks one thing in it. */
const VALID_SERVICE: ServiceEntry = {
  name: 'checkout',
  environment: 'test',
  provider: { kind: 'simulated' },
  strategy: 'canary',
  alarms: ['checkout-error-rate'],
  trigger: { repository: REPOSITORY, tagPattern: 'v*' },
};

// ---------------------------------------------------------------------------------------------
// Strings that break a grammar in the ways people and attackers do.

/** Bidirectional overrides, zero-width and other invisible or control characters. */
const INVISIBLE = ['\u202e', '\u202d', '\u2066', '\u200b', '\u200d', '\ufeff', '\u0000', '\u0007', '\u2028'];

/** A valid-looking string with one invisible character inserted somewhere. */
const withInvisible = (base: fc.Arbitrary<string>) =>
  fc
    .tuple(base, fc.constantFrom(...INVISIBLE), fc.nat())
    .map(([s, c, at]) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1)));

const tagLike = fc.stringMatching(/^v[0-9]{1,3}\.[0-9]{1,3}$/);
const imageLike = tagLike.map((t) => `shop:${t}`);

/** Not a value of any JSON type the field takes. */
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

const badServiceName = fc.oneof(
  fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,10}$/),
  fc.stringMatching(/^-[a-z0-9]{1,10}$/),
  fc.constant(''),
  fc.stringMatching(/^[a-z]{64,80}$/),
  fc.stringMatching(/^[a-z]{1,5} [a-z]{1,5}$/),
  withInvisible(fc.stringMatching(/^[a-z]{2,10}$/)),
);

const badImage = fc.oneof(
  fc.constant('baseline (simulated)'),
  fc.stringMatching(/^[a-z]{1,6} [a-z]{1,6}:[0-9]$/),
  fc.stringMatching(/^[A-Z]{1,8}:v1$/),
  fc.constant(''),
  fc.stringMatching(/^shop:[a-z]{129,140}$/),
  fc.stringMatching(/^shop:[a-z]{1,5}\/[a-z]{1,5}$/),
  fc.constant('shop:'),
  fc.constant(':v1'),
  withInvisible(imageLike),
);

const badDigest = fc.oneof(
  fc.stringMatching(/^md5:[0-9a-f]{32}$/),
  fc.stringMatching(/^sha256:[0-9a-f]{10,63}$/),
  fc.stringMatching(/^sha256:[0-9A-F]{64}$/),
  fc.stringMatching(/^[0-9a-f]{64}$/),
);

const badPlan = fc.oneof(
  fc.record({ steps: fc.constant([]) }),
  fc.integer({ min: 101, max: 10_000 }).map((w) => ({ steps: [{ weight: w }] })),
  fc.integer({ min: -10_000, max: -1 }).map((w) => ({ steps: [{ weight: w }, { weight: 100 }] })),
  fc
    .double({ min: 0.01, max: 99.99, noNaN: true })
    .filter((w) => !Number.isInteger(w))
    .map((w) => ({ steps: [{ weight: w }, { weight: 100 }] })),
  fc
    .tuple(fc.integer({ min: 51, max: 99 }), fc.integer({ min: 1, max: 50 }))
    .map(([a, b]) => ({ steps: [{ weight: a }, { weight: b }, { weight: 100 }] })),
  fc
    .integer({ min: -1_000_000, max: -1 })
    .map((s) => ({ steps: [{ weight: 10, bakeSeconds: s }, { weight: 100 }] })),
  fc.string({ minLength: 1, maxLength: 8 }).map((k) => ({ steps: [{ weight: 100, [`x${k}`]: 1 }] })),
  wrongType.map((steps) => ({ steps })),
);

// ---------------------------------------------------------------------------------------------
// API requests.

interface ApiCase {
  what: string;
  method: string;
  path: string;
  body?: unknown;
}

const post = (what: string, body: unknown): ApiCase => ({ what, method: 'POST', path: '/deployments', body });
const valid = { service: 'checkout', image: 'shop:v9.9', reason: 'suite' };

/** A hook on a host nobody registered (the services register none). */
const foreignHook = fc.tuple(fc.domain(), fc.webPath()).map(([host, path]) => ({
  bakeSeconds: 60,
  preTrafficHooks: [{ name: 'smoke', http: { url: `https://${host}${path}` } }],
}));

/** A ring plan that cannot deploy: a ring of itself, of a ring rollout, of nobody, or one service twice. */
const badRings = fc.oneof(
  fc.constant({ what: 'a ring of itself', rings: [{ name: 'a', service: 'rollout' }] }),
  fc.constant({ what: 'a ring of a ring rollout', rings: [{ name: 'a', service: 'rollout-b' }] }),
  fc
    .stringMatching(/^zz[a-z0-9]{1,20}$/)
    .map((service) => ({ what: 'a ring of an unknown service', rings: [{ name: 'a', service }] })),
  fc.constant({
    what: 'one service in two rings',
    rings: [
      { name: 'a', service: 'checkout' },
      { name: 'b', service: 'checkout' },
    ],
  }),
);

const apiCases: fc.Arbitrary<ApiCase> = fc.oneof(
  foreignHook.map((plan) =>
    post('a hook on a host the service does not register', { ...valid, strategy: 'blue-green', plan }),
  ),
  badRings.map(({ what, rings }) =>
    post(what, { service: 'rollout', image: 'shop:v9.9', strategy: 'ring', plan: { rings } }),
  ),
  fc.constant(post('a ring rollout without its plan', { ...valid, strategy: 'ring' })),
  wrongType.map((body) => post('body not an object', body)),
  fc
    .string({ maxLength: 20 })
    .filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    })
    .map((s) => post('body not JSON', s)),
  fc.constant(post('no service', { image: 'shop:v9.9' })),
  fc.constant(post('no image or digest', { service: 'checkout' })),
  wrongType.map((service) => post('service of another type', { ...valid, service })),
  badServiceName.map((service) => post(`service ${JSON.stringify(service)}`, { ...valid, service })),
  fc.stringMatching(/^zz[a-z0-9]{1,20}$/).map((service) => post('unknown service', { ...valid, service })),
  badImage.map((image) => post(`image ${JSON.stringify(image)}`, { ...valid, image })),
  wrongType.map((image) => post('image of another type', { ...valid, image })),
  badDigest.map((digest) => post(`digest ${digest}`, { service: 'checkout', digest })),
  badPlan.map((plan) =>
    post(`plan ${JSON.stringify(plan).slice(0, 60)}`, { ...valid, strategy: 'canary', plan }),
  ),
  fc
    .stringMatching(/^[a-z]{1,12}$/)
    .filter((s) => !['canary', 'linear', 'rolling', 'recreate', 'ring'].includes(s))
    .map((strategy) => post(`strategy ${strategy}`, { ...valid, strategy })),
  fc
    .stringMatching(/^[a-zA-Z]{1,12}$/)
    .filter(
      (k) =>
        ![
          'service',
          'image',
          'digest',
          'strategy',
          'plan',
          'reason',
          'commitSha',
          'allowFiringAlarms',
          'gate',
        ].includes(k),
    )
    .map((key) => post(`unknown field ${key}`, { ...valid, [key]: 1 })),
  fc
    .oneof(fc.constant(''), fc.string({ minLength: 501, maxLength: 600 }))
    .map((reason) => post('reason empty or too long', { ...valid, reason })),
  withInvisible(fc.stringMatching(/^[a-z][a-z ]{0,40}$/)).map((reason) =>
    post('reason with an invisible character', { ...valid, reason }),
  ),
  fc
    .oneof(fc.integer(), fc.string(), fc.constant(null))
    .map((allowFiringAlarms) => post('allowFiringAlarms not a boolean', { ...valid, allowFiringAlarms })),
  wrongType.map((gate) => post('gate malformed', { ...valid, gate })),
  fc
    .tuple(fc.constantFrom('approve', 'abort', 'promote', 'resume'), fc.stringMatching(/^[a-z0-9-]{1,30}$/))
    .map(([verb, id]) => ({
      what: `${verb} of an unknown deployment`,
      method: 'POST',
      path: `/deployments/nope-${id}/${verb}`,
      body: {},
    })),
  wrongType.map((approved) => ({
    what: 'approve with approved not a boolean',
    method: 'POST',
    path: '/deployments/nope-1/approve',
    body: { approved },
  })),
  fc.stringMatching(/^zz[a-z0-9]{1,20}$/).map((name) => ({
    what: 'rollback of an unknown service',
    method: 'POST',
    path: `/services/${name}/rollback`,
    body: { reason: 'suite' },
  })),
  badImage.map((version) => ({
    what: `rollback to ${JSON.stringify(version)}`,
    method: 'POST',
    path: '/services/checkout/rollback',
    body: { version, reason: 'suite' },
  })),
  fc.constantFrom('PUT', 'DELETE', 'PATCH').map((method) => ({
    what: `${method} /deployments`,
    method,
    path: '/deployments',
    body: valid,
  })),
);

// ---------------------------------------------------------------------------------------------
// ECR push events: a push that would deploy (repository and tag match the service), one field broken.

interface EventCase {
  what: string;
  /** What the refusal must name. */
  names: string;
  event: Record<string, unknown>;
}

/** A fresh valid digest per case, so that no case finds another's claim. */
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);
const push = (sha: string) =>
  ecrPushEvent({
    repository: REPOSITORY,
    tag: 'v1.0',
    digest: sha,
    account: '123456789012',
    region: 'eu-west-1',
  });
const withDetail = (sha: string, detail: Record<string, unknown>) => {
  const event = push(sha);
  return { ...event, detail: { ...(event.detail as object), ...detail } };
};

const eventCases: fc.Arbitrary<EventCase> = fc.oneof(
  fc
    .oneof(
      fc.stringMatching(/^v[0-9] [0-9]$/),
      fc.stringMatching(/^v[a-z]{128,140}$/),
      fc.stringMatching(/^v[0-9]:[0-9]$/),
      fc.stringMatching(/^v[0-9]\/[0-9]$/),
      withInvisible(tagLike),
    )
    .chain((tag) =>
      digest.map((sha) => ({
        what: `tag ${JSON.stringify(tag)}`,
        names: 'image-tag',
        event: withDetail(sha, { 'image-tag': tag }),
      })),
    ),
  fc
    .oneof(
      fc.stringMatching(/^[a-z]{2} [a-z]{4}$/),
      fc.stringMatching(/^[A-Z]{2}-[A-Z]{4}-[0-9]$/),
      fc.constant(''),
      withInvisible(fc.constant('eu-west-1')),
    )
    .chain((region) =>
      digest.map((sha) => ({
        what: `region ${JSON.stringify(region)}`,
        names: 'region',
        event: { ...push(sha), region },
      })),
    ),
  fc
    .oneof(
      fc.stringMatching(/^[0-9]{1,11}$/),
      fc.stringMatching(/^[0-9]{13,15}$/),
      fc.stringMatching(/^[a-z]{12}$/),
    )
    .chain((account) =>
      digest.map((sha) => ({
        what: `account ${account}`,
        names: 'account',
        event: { ...push(sha), account },
      })),
    ),
  badDigest.map((bad) => ({
    what: `digest ${bad}`,
    names: 'image-digest',
    event: withDetail('sha256:0', { 'image-digest': bad }),
  })),
  fc
    .oneof(
      fc.stringMatching(/^[A-Z][a-z]{1,8}\/checkout$/),
      fc.stringMatching(/^shop\/\/checkout$/),
      fc.constant(''),
      withInvisible(fc.constant(REPOSITORY)),
    )
    .chain((repository) =>
      digest.map((sha) => ({
        what: `repository ${JSON.stringify(repository)}`,
        names: 'repository-name',
        event: withDetail(sha, { 'repository-name': repository }),
      })),
    ),
  fc
    .tuple(
      fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 })),
      digest,
    )
    .map(([detail, sha]) => ({ what: 'detail malformed', names: 'detail', event: { ...push(sha), detail } })),
);

// ---------------------------------------------------------------------------------------------
// Registry files: the valid service with one thing broken; the error must name the field.

interface RegistryCase {
  what: string;
  names: string;
  /** The file's text. */
  text: string;
}

const file = (services: unknown): string => JSON.stringify({ services }, null, 2);
const entry = (change: Record<string, unknown>, drop?: string): string => {
  const broken: Record<string, unknown> = { ...VALID_SERVICE, ...change };
  if (drop) delete broken[drop];
  return file([broken]);
};

const registryCases: fc.Arbitrary<RegistryCase> = fc.oneof(
  badServiceName.map((name) => ({
    what: `name ${JSON.stringify(name)}`,
    names: 'services[0].name',
    text: entry({ name }),
  })),
  fc
    .constantFrom('name', 'environment', 'provider', 'strategy', 'alarms')
    .map((field) => ({ what: `no ${field}`, names: field, text: entry({}, field) })),
  wrongType.map((environment) => ({
    what: 'environment of another type',
    names: 'services[0].environment',
    text: entry({ environment }),
  })),
  fc.oneof(fc.constant(''), fc.string({ minLength: 65, maxLength: 80 })).map((environment) => ({
    what: 'environment empty or too long',
    names: 'services[0].environment',
    text: entry({ environment }),
  })),
  fc
    .stringMatching(/^[a-z]{3,12}$/)
    .filter((k) => !['simulated', 'ecs', 'lambda'].includes(k))
    .map((kind) => ({
      what: `provider kind ${kind}`,
      names: 'services[0].provider',
      text: entry({ provider: { kind } }),
    })),
  fc
    .stringMatching(/^[a-z]{3,12}$/)
    .filter((s) => !['canary', 'linear', 'rolling', 'recreate', 'ring'].includes(s))
    .map((strategy) => ({
      what: `strategy ${strategy}`,
      names: 'services[0].strategy',
      text: entry({ strategy }),
    })),
  fc
    .oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }))
    .map((alarms) => ({ what: 'alarms malformed', names: 'services[0].alarms', text: entry({ alarms }) })),
  badPlan.map((plan) => ({
    what: `plan ${JSON.stringify(plan).slice(0, 60)}`,
    names: 'services[0].plan',
    text: entry({ plan }),
  })),
  fc.oneof(wrongType, fc.stringMatching(/^[a-z]{1,10}$/)).map((concurrency) => ({
    what: 'concurrency not queue/supersede',
    names: 'services[0].concurrency',
    text: entry({ concurrency }),
  })),
  wrongType.map((trigger) => ({
    what: 'trigger malformed',
    names: 'services[0].trigger',
    text: entry({ trigger }),
  })),
  fc
    .stringMatching(/^[a-zA-Z]{1,12}$/)
    .filter(
      (k) =>
        !(k in VALID_SERVICE) && !['plan', 'insufficientData', 'concurrency', 'firingAlarms'].includes(k),
    )
    .map((key) => ({ what: `unknown field ${key}`, names: key, text: entry({ [key]: true }) })),
  fc.constant({ what: 'no services', names: 'services', text: file([]) }),
  fc.constant({
    what: 'no alarms without noAlarms',
    names: 'services[0].alarms',
    text: entry({ alarms: [] }),
  }),
  fc.constant({
    what: 'noAlarms with alarms',
    names: 'services[0].noAlarms',
    text: entry({ noAlarms: true }),
  }),
  fc.constantFrom('recreate', 'ab-segment').map((strategy) => ({
    what: `lambda-alias with ${strategy}`,
    names: 'services[0].strategy',
    text: entry({ strategy, provider: { kind: 'lambda-alias', functionName: 'checkout', alias: 'live' } }),
  })),
  foreignHook.map((plan) => ({
    what: 'a hook on a host the service does not register',
    names: 'allowedHosts',
    text: entry({ strategy: 'blue-green', plan }),
  })),
  badRings.map(({ what, rings }) => ({
    what,
    names: 'services[1].plan.rings',
    text: file([
      VALID_SERVICE,
      {
        name: 'rollout',
        environment: 'test',
        provider: { kind: 'simulated' },
        strategy: 'ring',
        alarms: [],
        plan: { rings },
      },
      {
        name: 'rollout-b',
        environment: 'test',
        provider: { kind: 'simulated' },
        strategy: 'ring',
        alarms: [],
        plan: { rings: [{ name: 'a', service: 'checkout' }] },
      },
    ]),
  })),
  fc.constant({ what: 'the same name twice', names: 'checkout', text: file([VALID_SERVICE, VALID_SERVICE]) }),
  fc
    .integer({ min: 1, max: 200 })
    .map((cut) => ({ what: 'truncated JSON', names: 'not JSON', text: file([VALID_SERVICE]).slice(0, cut) })),
);

// ---------------------------------------------------------------------------------------------

let h: Harness;
let before = '';
const dir = mkdtempSync(join(tmpdir(), 'stepwise-bad-input-'));
const figures = { api: 0, events: 0, registry: 0 };
const violations = { api: [] as string[], events: [] as string[], registry: [] as string[] };

beforeAll(async () => {
  const ring = (name: string): ServiceEntry => ({
    name,
    environment: 'test',
    provider: { kind: 'simulated' },
    strategy: 'ring',
    alarms: [],
    plan: { rings: [{ name: 'a', service: 'checkout' }] },
  });
  h = await openHarness([VALID_SERVICE, ring('rollout'), ring('rollout-b')]);
  before = await h.snapshot();
});

afterAll(async () => {
  await h?.close();
  const total = figures.api + figures.events + figures.registry;
  console.log(
    `bad input${FULL ? '' : ' (sample)'} seed ${SEED}: ${total} inputs (${figures.api} API requests, ` +
      `${figures.events} push events, ${figures.registry} registry files), ${violations.api.length + violations.events.length + violations.registry.length} violations`,
  );
});

async function unchanged(what: string, found: string[]): Promise<void> {
  const after = await h.snapshot();
  if (after !== before) {
    found.push(`${what}: the table changed`);
    before = after;
  }
}

describe('bad input is refused and changes nothing', () => {
  it(`${RUNS.api} malformed API requests: a 4xx with a message`, async () => {
    for (const c of fc.sample(apiCases, { numRuns: RUNS.api, seed: SEED })) {
      figures.api += 1;
      const res = await h.call(c.method, c.path, c.body);
      const message = (res.body as { message?: unknown }).message;
      if (res.status < 400 || res.status >= 500) {
        violations.api.push(`${c.what}: answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      } else if (typeof message !== 'string' || message === '') {
        violations.api.push(`${c.what}: ${res.status} without a message`);
      }
      await unchanged(c.what, violations.api);
    }
    expect(violations.api).toEqual([]);
  });

  it(`${RUNS.events} malformed push events: ignored with a reason naming the field, or a named error`, async () => {
    for (const c of fc.sample(eventCases, { numRuns: RUNS.events, seed: SEED })) {
      figures.events += 1;
      try {
        const result = await h.plane.dispatch(c.event);
        if (result.deployments.length > 0 || !result.ignored) {
          violations.events.push(`push with ${c.what}: ${JSON.stringify(result).slice(0, 200)}`);
        } else if (!result.ignored.includes(c.names)) {
          violations.events.push(
            `push with ${c.what}: ignored, but the reason does not name ${c.names}: ${result.ignored}`,
          );
        }
      } catch (error) {
        const { name, message } = error as Error;
        if (!name.startsWith('Stepwise.') || !message.includes(c.names)) {
          violations.events.push(`push with ${c.what}: ${name}: ${message}`);
        }
      }
      await unchanged(`push with ${c.what}`, violations.events);
    }
    expect(violations.events).toEqual([]);
  });

  it(`${RUNS.registry} malformed registry files: a named error naming the field`, async () => {
    for (const c of fc.sample(registryCases, { numRuns: RUNS.registry, seed: SEED })) {
      figures.registry += 1;
      const path = join(dir, `stepwise.config.${figures.registry}.json`);
      writeFileSync(path, c.text);
      try {
        // As `serve --config` does: what the loader accepts is registered.
        await h.plane.register(await loadRegistry(path));
        violations.registry.push(`registry with ${c.what}: accepted`);
      } catch (error) {
        const { name, message } = error as Error;
        if (!name.startsWith('Stepwise.') || !message.includes(c.names)) {
          violations.registry.push(`registry with ${c.what}: ${name}: ${message.slice(0, 300)}`);
        }
      }
      await unchanged(`registry with ${c.what}`, violations.registry);
    }
    expect(violations.registry).toEqual([]);
  });
});
