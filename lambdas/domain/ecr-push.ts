import { createHash } from 'node:crypto';
import { partition } from '@aws-sdk/core/client';
import { IMAGE_DIGEST_PATTERN } from './schemas.ts';

/** A successful image push, as ECR reports it on EventBridge (`ECR Image Action`). */
export interface ImagePush {
  /** The EventBridge event id: the same for every delivery of one event. */
  eventId: string;
  repository: string;
  /** Absent when the image was pushed by digest only. */
  tag?: string;
  digest: string;
  /**
   * `<account>.dkr.ecr.<region>.<partition's DNS suffix>/<repository>` (`amazonaws.com`,
   * `amazonaws.com.cn`, ...), or just the repository when the event does not say.
   */
  registry: string;
  time: string;
}

/** What dispatch makes of an EventBridge event: a push to match, or a reason to start nothing. */
export type PushReading = { push: ImagePush } | { ignored: string };

interface EcrEvent {
  id?: unknown;
  source?: unknown;
  'detail-type'?: unknown;
  account?: unknown;
  region?: unknown;
  time?: unknown;
  detail?: Record<string, unknown>;
}

const DIGEST = new RegExp(IMAGE_DIGEST_PATTERN);

/**
 * Reads an EventBridge event as ECR sends it. Only a `PUSH` whose `result` is `SUCCESS` is a
 * push; failed pushes, deletions, pull-through-cache syncs and anything else are ignored with the
 * reason, so that dispatch can log why nothing started.
 */
export function readEcrEvent(raw: unknown): PushReading {
  const event = (raw ?? {}) as EcrEvent;
  const type = event['detail-type'];
  if (event.source !== 'aws.ecr') return { ignored: `not an ECR event (source ${String(event.source)})` };
  if (type === 'ECR Pull Through Cache Action') {
    return { ignored: 'a pull-through cache sync is not a release' };
  }
  if (type !== 'ECR Image Action') return { ignored: `ECR event '${String(type)}' is not an image action` };
  const detail = event.detail ?? {};
  const action = detail['action-type'];
  if (action !== 'PUSH') return { ignored: `image action ${String(action)} is not a push` };
  if (detail.result !== 'SUCCESS')
    return { ignored: `the push did not succeed (result ${String(detail.result)})` };
  const repository = detail['repository-name'];
  const digest = detail['image-digest'];
  if (typeof repository !== 'string' || repository.length === 0) {
    return { ignored: 'the push names no repository (detail.repository-name)' };
  }
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    return { ignored: `the push carries no sha256 digest (detail.image-digest ${JSON.stringify(digest)})` };
  }
  const tag =
    typeof detail['image-tag'] === 'string' && detail['image-tag'] !== '' ? detail['image-tag'] : undefined;
  const host =
    typeof event.account === 'string' && typeof event.region === 'string'
      ? `${event.account}.dkr.ecr.${event.region}.${partition(event.region).dnsSuffix}/`
      : '';
  return {
    push: {
      eventId: typeof event.id === 'string' ? event.id : 'unknown',
      repository,
      ...(tag ? { tag } : {}),
      digest,
      registry: `${host}${repository}`,
      time: typeof event.time === 'string' ? event.time : new Date(0).toISOString(),
    },
  };
}

/** The image a push deploys: by tag when it has one (readable in the console), else by digest. */
export function imageOf(push: ImagePush): string {
  return push.tag ? `${push.registry}:${push.tag}` : `${push.registry}@${push.digest}`;
}

/** Builds an `ECR Image Action` event as ECR sends it, for `stepwise push` and tests. */
export function ecrPushEvent(options: {
  repository: string;
  tag?: string;
  digest?: string;
  account?: string;
  region?: string;
  time?: Date;
}): Record<string, unknown> {
  const digest =
    options.digest ??
    `sha256:${createHash('sha256')
      .update(`${options.repository}:${options.tag ?? ''}`)
      .digest('hex')}`;
  const time = options.time ?? new Date();
  return {
    version: '0',
    id: createHash('sha256')
      .update(`${options.repository}${digest}${time.toISOString()}`)
      .digest('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5'),
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: options.account ?? '000000000000',
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: options.region ?? 'local',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': options.repository,
      'image-digest': digest,
      'action-type': 'PUSH',
      ...(options.tag ? { 'image-tag': options.tag } : {}),
    },
  };
}
