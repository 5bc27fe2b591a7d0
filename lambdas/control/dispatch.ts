import { imageOf, readEcrEvent } from '../domain/ecr-push.ts';
import { StepwiseError, TransientError } from '../domain/errors.ts';
import { matchPush } from '../domain/triggers.ts';
import type { ControlDeps } from './deps.ts';
import { checkSubmission, submitDeployment } from './launcher.ts';

/** What dispatch did with one event: each matching service's deployment, and why others got none. */
export interface DispatchResult {
  /** Set when the event starts nothing at all (not a successful push, or no service matches). */
  ignored?: string;
  deployments: { service: string; deploymentId: string; status: string; duplicate: boolean }[];
  skipped: { service: string; reason: string }[];
}

/**
 * Image push → deployments: reads the ECR event, finds the registered services whose repository
 * and tag pattern match, and submits one deployment per service, named from service and image
 * digest so that a second delivery of the same push starts nothing. A service that refuses the
 * push (say, the image is already live) is skipped with the reason; a transient failure is
 * thrown so that EventBridge retries the event (and, in the end, dead-letters it).
 */
export async function dispatchEvent(deps: ControlDeps, event: unknown): Promise<DispatchResult> {
  const log = deps.logger;
  const reading = readEcrEvent(event);
  if ('ignored' in reading) {
    log?.info('event ignored', { reason: reading.ignored });
    return { ignored: reading.ignored, deployments: [], skipped: [] };
  }
  const { push } = reading;
  const services = await deps.store.listServiceConfigs();
  const matches = matchPush(services, push);
  const skipped = matches.flatMap((m) => (m.matched ? [] : [{ service: m.service, reason: m.reason }]));
  const matched = matches.filter((m) => m.matched);
  if (matched.length === 0) {
    const ignored =
      skipped.length > 0
        ? `no service takes ${imageOf(push)}: ${skipped.map((s) => `${s.service}: ${s.reason}`).join('; ')}`
        : `no service is triggered by repository ${push.repository}`;
    log?.info('push ignored', {
      repository: push.repository,
      tag: push.tag,
      digest: push.digest,
      reason: ignored,
    });
    return { ignored, deployments: [], skipped };
  }
  const deployments: DispatchResult['deployments'] = [];
  for (const { service } of matched) {
    try {
      const image = imageOf(push);
      const unique = `${service}@${push.digest}`;
      const request = {
        service,
        artifact: { image, digest: push.digest },
        trigger: { source: 'ecr-push', principal: `event:${push.eventId}` },
        reason: `image pushed to ${push.repository}${push.tag ? ` with tag ${push.tag}` : ' without a tag'}`,
        unique,
      };
      // Refused before the claim: a push refused here must not keep a later good push of its digest from deploying.
      const { deploymentId: mine } = await checkSubmission(deps, request);
      // One image, one deployment per service: the same digest pushed under another tag (or
      // delivered twice, concurrently) finds the deployment that claimed it first.
      // (If the first is still being recorded, its own event, or that event's redelivery, records it.)
      const owner = await deps.store.claimDigest(service, push.digest, mine);
      if (owner !== mine) {
        const first = await deps.store.getDeployment(owner);
        deployments.push({
          service,
          deploymentId: owner,
          status: first?.status ?? 'QUEUED',
          duplicate: true,
        });
        log?.info('image already deployed under another tag', { service, deploymentId: owner, image });
        continue;
      }
      const { deployment, duplicate } = await submitDeployment(deps, request);
      deployments.push({
        service,
        deploymentId: deployment.deploymentId,
        status: deployment.status,
        duplicate,
      });
      log?.info(duplicate ? 'duplicate push: deployment already exists' : 'deployment submitted', {
        service,
        deploymentId: deployment.deploymentId,
        status: deployment.status,
      });
    } catch (error) {
      if (error instanceof TransientError || !(error instanceof StepwiseError)) throw error;
      skipped.push({ service, reason: error.message });
      log?.warn('push refused', { service, reason: error.message });
    }
  }
  return { deployments, skipped };
}
