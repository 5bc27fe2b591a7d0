import { createHash } from 'node:crypto';
import type { ImagePush } from './ecr-push.ts';
import { wildcardMatches } from './wildcard.ts';

/** What starts a deployment of a service on an image push (the registry's `trigger`). */
export interface ServiceTrigger {
  /** The ECR repository name, e.g. `shop/checkout`. */
  repository: string;
  /** Tags that deploy, with `*` (any run of characters) and `?` (one character); default `*`. */
  tagPattern?: string;
  /** Whether a push without a tag (by digest only) deploys; default `ignore`. */
  untaggedPushes?: 'deploy' | 'ignore';
}

export interface TriggeredService {
  service: string;
  trigger?: ServiceTrigger;
}

/** A service a push starts, or one it does not and why (dispatch logs both). */
export type TriggerMatch =
  | { service: string; matched: true }
  | { service: string; matched: false; reason: string };

/** Whether a tag fits a pattern: `*` is any run of characters, `?` one, everything else literal. */
export function tagMatches(pattern: string, tag: string): boolean {
  return wildcardMatches(pattern, tag);
}

/**
 * Which services a push deploys: those whose trigger names the push's repository and whose tag
 * pattern fits its tag. A push without a tag deploys only services that take untagged pushes.
 */
export function matchPush(services: TriggeredService[], push: ImagePush): TriggerMatch[] {
  return services
    .filter((s) => s.trigger?.repository === push.repository)
    .map((s): TriggerMatch => {
      const trigger = s.trigger as ServiceTrigger;
      if (push.tag === undefined) {
        return trigger.untaggedPushes === 'deploy'
          ? { service: s.service, matched: true }
          : {
              service: s.service,
              matched: false,
              reason: 'the push has no tag and the service ignores untagged pushes',
            };
      }
      const pattern = trigger.tagPattern ?? '*';
      return tagMatches(pattern, push.tag)
        ? { service: s.service, matched: true }
        : { service: s.service, matched: false, reason: `tag ${push.tag} does not match ${pattern}` };
    });
}

/** Step Functions allows 80 characters; a ring's child runs `<id>-undo-<ring name of up to 31>`, so ids keep to 43. */
export const MAX_DEPLOYMENT_ID_LENGTH = 43;
const ID_HEX = 8;
const MAX_VERSION = 12;

/** Characters Step Functions accepts in an execution name and that read well in a URL. */
function sanitize(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .replace(/-{2,}/g, '-');
}

/** The short version a name shows: the tag, or `sha-` and the digest's first hex digits. */
function shortVersion(image: string, digest?: string): string {
  const tag = /:([^:/@]+)$/.exec(image.split('@')[0] ?? '')?.[1];
  if (tag)
    return (
      sanitize(tag)
        .slice(0, MAX_VERSION)
        .replace(/[-.]+$/, '') || 'image'
    );
  const hex = (digest ?? image).split('sha256:')[1];
  return hex ? `sha-${hex.slice(0, MAX_VERSION - 4)}` : 'image';
}

/**
 * The deployment id, which is also its execution's name: `<service>-<version>-<8 hex>`, e.g.
 * `checkout-1.4.2-9f2c1a7b`, so the console's list reads as a release log. The hex part is a hash
 * of `unique`: the same push gives the same name (a second delivery starts nothing), anything
 * else a new one. At most 43 characters; the service name is shortened first, then the version.
 */
export function deploymentName(service: string, image: string, unique: string, digest?: string): string {
  const id = createHash('sha256').update(unique).digest('hex').slice(0, ID_HEX);
  const version = shortVersion(image, digest);
  const room = MAX_DEPLOYMENT_ID_LENGTH - ID_HEX - version.length - 2;
  const svc = service.slice(0, Math.max(room, 8)).replace(/-+$/, '');
  const name = `${svc}-${version}-${id}`;
  return name.length <= MAX_DEPLOYMENT_ID_LENGTH
    ? name
    : `${svc}-${version.slice(0, MAX_DEPLOYMENT_ID_LENGTH - ID_HEX - svc.length - 2)}-${id}`;
}
