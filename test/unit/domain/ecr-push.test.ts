import { describe, expect, it } from 'vitest';
import { ecrPushEvent, imageOf, readEcrEvent } from '../../../lambdas/domain/ecr-push.ts';
import { DOCUMENTED_PUSH } from '../../samples/ecr-events.ts';
import { T0 } from '../fixtures.ts';

const DIGEST = `sha256:${'7f5b2640'.repeat(8)}`;

/** The documented event with a real-length digest and the detail fields overridden. */
const pushEvent = (detail: Record<string, unknown> = {}, event: Record<string, unknown> = {}) => ({
  ...DOCUMENTED_PUSH,
  ...event,
  detail: { ...DOCUMENTED_PUSH.detail, 'image-digest': DIGEST, ...detail },
});

describe('readEcrEvent', () => {
  it('reads a successful push: repository, tag, digest, the registry it lives in and when', () => {
    expect(readEcrEvent(pushEvent())).toEqual({
      push: {
        eventId: '13cde686-328b-6117-af20-0e5566167482',
        repository: 'my-repository-name',
        tag: 'latest',
        digest: DIGEST,
        registry: '123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name',
        time: '2019-11-16T01:54:34Z',
      },
    });
  });

  it("reads the documentation's sample as it stands, although its digest is shortened to 60 hex digits", () => {
    // A user checking a setup pastes the sample from the docs: it must start a deployment.
    expect(readEcrEvent(DOCUMENTED_PUSH)).toMatchObject({
      push: {
        repository: 'my-repository-name',
        tag: 'latest',
        digest: DOCUMENTED_PUSH.detail['image-digest'],
      },
    });
  });

  it('refuses a push whose digest is not hex, or not sha256, naming detail.image-digest', () => {
    for (const digest of [`sha256:${'z'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, undefined, 42]) {
      expect(() => readEcrEvent(pushEvent({ 'image-digest': digest }))).toThrow(
        expect.objectContaining({
          name: 'Stepwise.InvalidInput',
          message: expect.stringContaining("the ECR push event's detail.image-digest must be sha256:"),
        }),
      );
    }
  });

  it('refuses a push whose tag no registry could hold, naming detail.image-tag', () => {
    expect(() => readEcrEvent(pushEvent({ 'image-tag': 'v 1' }))).toThrow(
      `the ECR push event's detail.image-tag must be 1 to 128 of letters, digits, _ . - (not starting with . or -), got "v 1"`,
    );
    expect(() => readEcrEvent(pushEvent({ 'image-tag': '-v1' }))).toThrow(/detail\.image-tag/);
    expect(() => readEcrEvent(pushEvent({ 'image-tag': 'v1\n' }))).toThrow(
      /detail\.image-tag holds the invisible or control character U\+000A/,
    );
    expect(() => readEcrEvent(pushEvent({ 'image-tag': 'v1\u200b' }))).toThrow(/U\+200B at index 2/);
    expect(() => readEcrEvent(pushEvent({ 'image-tag': 7 }))).toThrow(
      `the ECR push event's detail.image-tag must be a string, got 7`,
    );
    expect(() => readEcrEvent(pushEvent({ 'image-tag': 'v'.repeat(129) }))).toThrow(/detail\.image-tag/);
  });

  it('refuses a push from an account or region that cannot name a registry host', () => {
    expect(() => readEcrEvent(pushEvent({}, { region: 'eu west' }))).toThrow(
      `the ECR push event's region must be a region name such as eu-west-1, got "eu west"`,
    );
    expect(() => readEcrEvent(pushEvent({}, { account: '../../x' }))).toThrow(
      `the ECR push event's account must be a 12-digit AWS account id, got "../../x"`,
    );
    expect(() => readEcrEvent(pushEvent({}, { account: 123456789012 }))).toThrow(/account/);
  });

  it('shows at most 100 characters of a refused value', () => {
    const error = (() => {
      try {
        readEcrEvent(pushEvent({ 'image-tag': 'v'.repeat(5000) }));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/got "v{99}…$/);
  });

  it('ignores a push that failed', () => {
    expect(readEcrEvent(pushEvent({ result: 'FAILURE' }))).toEqual({
      ignored: 'the push did not succeed (result FAILURE)',
    });
  });

  it('ignores a deletion', () => {
    expect(readEcrEvent(pushEvent({ 'action-type': 'DELETE' }))).toEqual({
      ignored: 'image action DELETE is not a push',
    });
  });

  it('ignores a pull-through cache sync, which is not a release', () => {
    expect(readEcrEvent(pushEvent({}, { 'detail-type': 'ECR Pull Through Cache Action' }))).toEqual({
      ignored: 'a pull-through cache sync is not a release',
    });
  });

  it('ignores other ECR events, such as a scan finishing', () => {
    expect(readEcrEvent(pushEvent({}, { 'detail-type': 'ECR Image Scan' }))).toEqual({
      ignored: "ECR event 'ECR Image Scan' is not an image action",
    });
  });

  it('ignores events that ECR did not send, and things that are not events at all', () => {
    expect(readEcrEvent(pushEvent({}, { source: 'aws.states' }))).toEqual({
      ignored: 'not an ECR event (source aws.states)',
    });
    expect(readEcrEvent(undefined)).toEqual({ ignored: 'not an ECR event (source undefined)' });
  });

  it('refuses a push that names no repository, or one ECR could not hold, naming detail.repository-name', () => {
    for (const repository of ['', undefined, 'Shop/Web', 'shop web', '../etc', 'a']) {
      expect(() => readEcrEvent(pushEvent({ 'repository-name': repository }))).toThrow(
        /^the ECR push event's detail\.repository-name must be an ECR repository name/,
      );
    }
  });

  it('reads a push by digest only as a push without a tag', () => {
    const { 'image-tag': _, ...untagged } = pushEvent().detail;
    const reading = readEcrEvent({ ...DOCUMENTED_PUSH, detail: untagged });
    expect(reading).toMatchObject({ push: { repository: 'my-repository-name', digest: DIGEST } });
    expect(reading).not.toHaveProperty('push.tag');
    expect(readEcrEvent(pushEvent({ 'image-tag': '' }))).not.toHaveProperty('push.tag');
  });

  it('names the repository alone as the registry when the event says no account or region', () => {
    const reading = readEcrEvent(pushEvent({}, { account: undefined, region: undefined }));
    expect(reading).toMatchObject({ push: { registry: 'my-repository-name' } });
  });
});

describe('imageOf', () => {
  const push = {
    eventId: 'e-1',
    repository: 'shop/checkout',
    digest: DIGEST,
    registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout',
    time: T0.toISOString(),
  };

  it('deploys a tagged push by its tag, which reads well in the console', () => {
    expect(imageOf({ ...push, tag: '1.4.2' })).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout:1.4.2',
    );
  });

  it('deploys an untagged push by its digest', () => {
    expect(imageOf(push)).toBe(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout@${DIGEST}`);
  });
});

describe('ecrPushEvent', () => {
  it('builds an event that reads back as the push it describes', () => {
    const event = ecrPushEvent({
      repository: 'shop/checkout',
      tag: '1.4.2',
      digest: DIGEST,
      account: '123456789012',
      region: 'eu-west-1',
      time: T0,
    });
    expect(readEcrEvent(event)).toEqual({
      push: {
        eventId: event.id,
        repository: 'shop/checkout',
        tag: '1.4.2',
        digest: DIGEST,
        registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout',
        time: '2026-03-01T10:00:00Z',
      },
    });
  });

  it('makes up a valid digest when none is given, the same one for the same repository and tag', () => {
    const first = readEcrEvent(ecrPushEvent({ repository: 'shop', tag: '2.0', time: T0 }));
    const again = readEcrEvent(ecrPushEvent({ repository: 'shop', tag: '2.0', time: T0 }));
    const other = readEcrEvent(ecrPushEvent({ repository: 'shop', tag: '2.1', time: T0 }));
    expect(first).toMatchObject({ push: { digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/) } });
    expect(again).toEqual(first);
    expect(other).not.toMatchObject({
      push: { digest: (first as { push: { digest: string } }).push.digest },
    });
  });

  it('gives the event an id shaped as EventBridge ids are', () => {
    expect(ecrPushEvent({ repository: 'shop', tag: '2.0', time: T0 }).id).toMatch(
      /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/,
    );
  });

  it('builds a push without a tag that reads back untagged', () => {
    const reading = readEcrEvent(ecrPushEvent({ repository: 'shop', digest: DIGEST }));
    expect(reading).toMatchObject({ push: { repository: 'shop', digest: DIGEST } });
    expect(reading).not.toHaveProperty('push.tag');
  });
});
