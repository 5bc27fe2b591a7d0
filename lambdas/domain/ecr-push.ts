import { createHash } from 'node:crypto';
import { partition } from '@aws-sdk/core/client';
import { InvalidInputError } from './errors.ts';
import { clip, IMAGE_DIGEST_PATTERN, IMAGE_TAG_PATTERN, refuseInvisible, shown } from './schemas.ts';

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
/** An ECR repository name (2 to 256 characters): lowercase path components separated by `/`. */
const REPOSITORY = /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const TAG = new RegExp(IMAGE_TAG_PATTERN);
const ACCOUNT = /^[0-9]{12}$/;
/** A region is one DNS label of the registry host (`eu-west-1`; the local runtime's `local`). */
const REGION = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A push event that names its image in a way no registry could: refused naming the field. */
function refuse(field: string, rule: string, value: unknown): never {
  throw new InvalidInputError(`the ECR push event's ${field} ${rule}, got ${shown(value)}`);
}

/**
 * Reads an EventBridge event as ECR sends it. Only a `PUSH` whose `result` is `SUCCESS` is a
 * push; failed pushes, deletions, pull-through-cache syncs and anything else are ignored with the
 * reason, so that dispatch can log why nothing started. A push whose repository, digest, tag,
 * account or region no registry could hold is refused (InvalidInputError naming the field):
 * ECR never sends one, and the image it would name is not a version.
 */
export function readEcrEvent(raw: unknown): PushReading {
  const event = (raw ?? {}) as EcrEvent;
  const type = event['detail-type'];
  if (event.source !== 'aws.ecr')
    return { ignored: `not an ECR event (source ${clip(String(event.source))})` };
  if (type === 'ECR Pull Through Cache Action') {
    return { ignored: 'a pull-through cache sync is not a release' };
  }
  if (type !== 'ECR Image Action')
    return { ignored: `ECR event '${clip(String(type))}' is not an image action` };
  if (!event.detail || typeof event.detail !== 'object' || Array.isArray(event.detail)) {
    refuse('detail', 'must be an object (the image action)', event.detail);
  }
  const detail = event.detail;
  const action = detail['action-type'];
  if (action !== 'PUSH') return { ignored: `image action ${clip(String(action))} is not a push` };
  if (detail.result !== 'SUCCESS')
    return { ignored: `the push did not succeed (result ${clip(String(detail.result))})` };
  const repository = detail['repository-name'];
  const digest = detail['image-digest'];
  const rawTag = detail['image-tag'];
  if (typeof repository !== 'string' || !REPOSITORY.test(repository)) {
    refuse(
      'detail.repository-name',
      'must be an ECR repository name (lowercase, 2 to 256 characters)',
      repository,
    );
  }
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    refuse('detail.image-digest', 'must be sha256:<64 hex digits>', digest);
  }
  if (rawTag !== undefined && typeof rawTag !== 'string')
    refuse('detail.image-tag', 'must be a string', rawTag);
  const tag = rawTag === '' ? undefined : rawTag;
  if (tag !== undefined) {
    refuseInvisible(tag, "the ECR push event's detail.image-tag");
    if (!TAG.test(tag)) {
      refuse(
        'detail.image-tag',
        'must be 1 to 128 of letters, digits, _ . - (not starting with . or -)',
        tag,
      );
    }
  }
  if (event.account !== undefined && (typeof event.account !== 'string' || !ACCOUNT.test(event.account))) {
    refuse('account', 'must be a 12-digit AWS account id', event.account);
  }
  if (event.region !== undefined && (typeof event.region !== 'string' || !REGION.test(event.region))) {
    refuse('region', 'must be a region name such as eu-west-1', event.region);
  }
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
