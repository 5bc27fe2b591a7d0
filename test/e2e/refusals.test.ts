import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../lambdas/control/operations.ts';
import { ecrPushEvent } from '../../lambdas/domain/ecr-push.ts';
import { type Harness, openHarness, service } from './support/local-plane.ts';

// Requests that were answered 202 and then failed, and pushes that were recorded and then failed:
// each is refused now before anything is written, which a full scan of the table shows.
let h: Harness;

beforeAll(async () => {
  h = await openHarness([
    service('svc-a'),
    service('svc-b'),
    service('svc-c', { trigger: { repository: 'shop/c', tagPattern: 'v*' } }),
    service('st-ring', { strategy: 'ring', plan: { rings: [{ name: 'a', service: 'svc-a' }] } }),
  ]);
  // A service on a provider the local runtime cannot run, registered as the CDK app would: its
  // requests are refused before they reach the provider, so nothing of it ever runs here.
  await h.plane.runtime.store.putServiceConfig({
    service: 'fn',
    environment: 'test',
    provider: 'lambda-alias',
    providerConfig: { functionName: 'fn', alias: 'live' },
    alarms: ['fn-errors'],
    insufficientData: 'healthy',
    strategy: 'canary',
    plan: { steps: [{ weight: 100, bakeSeconds: 60 }] },
    trigger: { repository: 'shop/fn' },
  });
});

afterAll(async () => {
  await h.close();
});

const ended = (v: DeploymentView) => ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CANCELLED'].includes(v.status);

describe('POST /deployments refuses, before anything is recorded', () => {
  it.each([
    [
      {
        service: 'svc-a',
        image: 'a:2',
        strategy: 'ring',
        plan: { rings: [{ name: 'a', service: 'svc-a' }] },
      },
      422,
      'plan.rings[0].service svc-a is the service this ring rollout deploys',
    ],
    [
      {
        service: 'st-ring',
        image: 'a:2',
        strategy: 'ring',
        plan: { rings: [{ name: 'a', service: 'st-ring' }] },
      },
      422,
      'plan.rings[0].service st-ring is the service this ring rollout deploys',
    ],
    [
      {
        service: 'svc-b',
        image: 'a:2',
        strategy: 'ring',
        plan: { rings: [{ name: 'r', service: 'st-ring' }] },
      },
      422,
      'plan.rings[0].service st-ring is itself a ring rollout: rings do not nest',
    ],
    [
      {
        service: 'svc-b',
        image: 'a:2',
        strategy: 'ring',
        plan: { rings: [{ name: 'r', service: 'nobody' }] },
      },
      422,
      'plan.rings[0].service nobody is not registered',
    ],
    [
      {
        service: 'st-ring',
        image: 'a:2',
        strategy: 'ring',
        plan: { rings: [{ name: 'a', service: 'svc-a', strategy: 'linear' }] },
      },
      422,
      "plan.rings[0].strategy linear differs from svc-a's (canary): give its plan too",
    ],
    [
      {
        service: 'st-ring',
        image: 'a:2',
        strategy: 'ring',
        plan: {
          rings: [
            { name: 'a', service: 'svc-a' },
            { name: 'b', service: 'svc-a' },
          ],
        },
      },
      422,
      'plan.rings[1].service svc-a is deployed by ring a already',
    ],
    [
      { service: 'svc-a', image: 'a:2', strategy: 'ring' },
      422,
      "deployment.strategy ring differs from the service's (canary): give its plan too",
    ],
    [
      { service: 'svc-a', image: 'baseline (simulated)' },
      400,
      'body.image baseline (simulated) is the simulated',
    ],
    [
      { service: 'svc-a', image: 'shop:\u202e1.1' },
      400,
      'body.image holds the invisible or control character U+202E',
    ],
    [
      { service: 'svc-a', image: 'shop:1.1\u200b' },
      400,
      'body.image holds the invisible or control character U+200B',
    ],
    [{ service: 'svc-a', image: '🚀' }, 400, 'body.image holds the character 🚀 (U+1F680)'],
    [
      { service: 'svc-a', image: 'shop:1.2', reason: 'approved by \u202eeve' },
      400,
      'body.reason holds the invisible or control character U+202E at index 12: the audit trail must read as it was written',
    ],
    [{ service: 'svc-a', image: 'shop:v 1' }, 400, 'body.image holds a space'],
    [
      { service: 'fn', image: 'fn:2', strategy: 'recreate', plan: { startupSeconds: 30, bakeSeconds: 60 } },
      422,
      'strategy recreate cannot run on the lambda-alias provider',
    ],
    [
      {
        service: 'fn',
        image: 'fn:2',
        strategy: 'ab-segment',
        plan: { match: { header: 'x-b', value: '1' }, bakeSeconds: 60 },
      },
      422,
      'strategy ab-segment cannot run on the lambda-alias provider',
    ],
  ])('%j → %i naming the field', async (body, status, message) => {
    const before = await h.snapshot();
    const res = await h.call('POST', '/deployments', body);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe('InvalidRequest');
    expect(res.body.message).toContain(message);
    expect(await h.snapshot()).toBe(before);
  });

  it('refuses the simulated baseline as a rollback version too', async () => {
    const before = await h.snapshot();
    const res = await h.call('POST', '/services/svc-a/rollback', { version: 'baseline (simulated)' });
    expect(res).toMatchObject({ status: 400, body: { error: 'InvalidRequest' } });
    expect(res.body.message).toContain('body.version baseline (simulated)');
    expect(await h.snapshot()).toBe(before);
  });

  it('still takes a ring over other registered services', async () => {
    const res = await h.call<DeploymentView>('POST', '/deployments', {
      service: 'st-ring',
      image: 'r:2',
      strategy: 'ring',
      plan: { rings: [{ name: 'b', service: 'svc-b' }] },
    });
    expect(res.status).toBe(202);
    expect((await h.until(res.body.deploymentId, ended)).status).toBe('SUCCEEDED');
  });
});

describe('GET query parameters', () => {
  it.each([
    [
      '/deployments?service=UPPER',
      'query service must be a service name (lowercase letters, digits, dashes; at most 63), got "UPPER"',
    ],
    ['/deployments?service=svc-a&service=svc-b', 'query service is given 2 times: give it once'],
    [
      '/deployments?service=svc-a&colour=red',
      'query colour is not a parameter of GET /deployments; parameters: service, digest, status, limit, cursor',
    ],
    ['/deployments?service=svc-a&limit=5&limit=6', 'query limit is given 2 times'],
    ['/services?verbose=1', 'query verbose is not a parameter of GET /services: it takes none'],
    [
      '/services/svc-a/deployments?service=svc-b',
      'query service is not a parameter of GET /services/{name}/deployments',
    ],
  ])('%s → 400 naming the parameter', async (path, message) => {
    const before = await h.snapshot();
    const res = await h.call('GET', path);
    expect(res).toMatchObject({
      status: 400,
      body: { error: 'InvalidRequest', message: expect.stringContaining(message) },
    });
    expect(await h.snapshot()).toBe(before);
  });

  it('repeats at most 100 characters of a huge value', async () => {
    const res = await h.call('GET', `/deployments?service=svc-a&status=${'X'.repeat(5000)}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^query status must be one of .*, got "X{99}…$/);
    const key = await h.call('POST', '/deployments', {
      service: 'svc-a',
      image: 'a:2',
      [`k${'y'.repeat(5000)}`]: 1,
    });
    expect(key.status).toBe(400);
    expect(String(key.body.message).length).toBeLessThan(200);
  });
});

describe('an image push refuses, before anything is recorded', () => {
  const digest = `sha256:${'c0ffee00'.repeat(8)}`;

  it.each([
    [{ tag: 'v 1' }, "the ECR push event's detail.image-tag must be 1 to 128 of letters"],
    [{ region: 'eu west' }, "the ECR push event's region must be a region name such as eu-west-1"],
    [{ account: '../../x' }, "the ECR push event's account must be a 12-digit AWS account id"],
    [
      { tag: 'v1\u200b' },
      "the ECR push event's detail.image-tag holds the invisible or control character U+200B",
    ],
  ])('%j with a named error', async (fields, message) => {
    const before = await h.snapshot();
    const event = ecrPushEvent({
      repository: 'shop/c',
      tag: 'v1',
      digest,
      account: '123456789012',
      region: 'eu-west-1',
    });
    const broken = {
      ...event,
      ...('region' in fields ? { region: fields.region } : {}),
      ...('account' in fields ? { account: fields.account } : {}),
      detail: { ...(event.detail as object), ...('tag' in fields ? { 'image-tag': fields.tag } : {}) },
    };
    await expect(h.plane.dispatch(broken)).rejects.toMatchObject({
      name: 'Stepwise.InvalidInput',
      message: expect.stringContaining(message),
    });
    expect(await h.snapshot()).toBe(before);
  });

  it('does not let a refused push claim its digest: a good push of the same digest then deploys', async () => {
    const before = await h.snapshot();
    await expect(
      h.plane.dispatch(ecrPushEvent({ repository: 'shop/c', tag: 'v 1', digest })),
    ).rejects.toThrow(/detail\.image-tag/);
    expect(await h.snapshot()).toBe(before);
    const good = await h.plane.dispatch(ecrPushEvent({ repository: 'shop/c', tag: 'v1', digest }));
    expect(good.deployments).toEqual([expect.objectContaining({ service: 'svc-c', duplicate: false })]);
    const done = await h.until(good.deployments[0]?.deploymentId as string, ended);
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      candidateVersion: expect.stringMatching(/shop\/c:v1$/),
    });
  });

  it('skips a service that would refuse the push, and records nothing for it, not even a digest claim', async () => {
    // Registered before this check existed: a strategy its provider cannot run.
    await h.plane.runtime.store.putServiceConfig({
      service: 'fn-old',
      environment: 'test',
      provider: 'lambda-alias',
      providerConfig: { functionName: 'fn-old', alias: 'live' },
      alarms: ['fn-old-errors'],
      insufficientData: 'healthy',
      strategy: 'recreate',
      plan: { startupSeconds: 30, bakeSeconds: 60 },
      trigger: { repository: 'shop/fn-old' },
    });
    const before = await h.snapshot();
    const result = await h.plane.dispatch(ecrPushEvent({ repository: 'shop/fn-old', tag: 'v1', digest }));
    expect(result.deployments).toEqual([]);
    expect(result.skipped).toEqual([
      {
        service: 'fn-old',
        reason: expect.stringContaining('strategy recreate cannot run on the lambda-alias provider'),
      },
    ]);
    expect(await h.snapshot()).toBe(before);
  });
});
