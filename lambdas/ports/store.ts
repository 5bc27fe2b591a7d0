import type { SegmentMatch } from '../domain/steps.ts';
import type {
  AuditEvent,
  AuditEventInput,
  DeploymentControl,
  DeploymentSummary,
  ServiceConfig,
  Weights,
} from '../domain/types.ts';

/** The last version that held all traffic and passed its checks. */
export interface ServiceStatus {
  service: string;
  liveVersion: string;
  liveDeploymentId?: string;
  updatedAt: string;
}

/** Routes of the simulated traffic provider: the weights as the "cloud" holds them. */
export interface RouteRecord {
  service: string;
  weights: Weights;
  /** Requests matching this rule go to `segment.version`, whatever the weights. */
  segment?: { match: SegmentMatch; version: string };
  /** Versions that are stopped: requests routed to them fail. */
  stopped?: string[];
  updatedAt: string;
}

/** Who holds a service's lock, and until when (epoch seconds) before anyone may take it over. */
export interface LockRecord {
  holder: string;
  acquiredAt: string;
  expiresAt: number;
}

/** A deployment waiting for its service's lock. */
export interface QueueEntry {
  deploymentId: string;
  requestedAt: string;
}

/** One page of a service's history, newest first; `cursor` fetches the next. */
export interface DeploymentPage {
  items: DeploymentSummary[];
  cursor?: string;
}

/**
 * Configuration, locks, deployments and the audit trail. One DynamoDB table on AWS; the same
 * adapter against dynalite locally. Every write that a retried task may repeat is conditional.
 */
/** A bake under way, as the Bake state writes it: which task token to fail when a watched alarm fires. */
export interface BakeRecord {
  service: string;
  deploymentId: string;
  taskToken: string;
  /** The alarms the bake watches (the service's, less those firing before it started), as JSON. */
  alarms: string;
  /** When the bake ends (ISO 8601). */
  until: string;
}

export interface Store {
  /** The registered configuration of a service, or undefined. */
  getServiceConfig(service: string): Promise<ServiceConfig | undefined>;
  /** Every registered service's configuration, by name. */
  listServiceConfigs(): Promise<ServiceConfig[]>;
  /** Registers or replaces a service's configuration. */
  putServiceConfig(config: ServiceConfig): Promise<void>;
  /** The live version of a service, or undefined when it has never been deployed. */
  getServiceStatus(service: string): Promise<ServiceStatus | undefined>;
  /** The status of each of `services` that has one, read in batches (one request per 100), not one by one. */
  getServiceStatuses(services: readonly string[]): Promise<Map<string, ServiceStatus>>;
  /** Records which version now holds all traffic. */
  setLiveVersion(status: ServiceStatus): Promise<void>;
  /** Takes the service lock for a deployment; re-entrant for the same deployment; throws LockHeldError otherwise. */
  acquireLock(service: string, deploymentId: string, now: Date, ttlSeconds: number): Promise<void>;
  /** Releases the lock if this deployment holds it; a no-op otherwise. */
  releaseLock(service: string, deploymentId: string): Promise<void>;
  /** Who holds the service lock now, if anyone (an expired lock is returned too: check `expiresAt`). */
  getLock(service: string): Promise<LockRecord | undefined>;
  /** The bakes under way (and ended ones not yet expired: check `until`), as the Bake state wrote them. */
  listBakes(): Promise<BakeRecord[]>;
  /** The service's last bake, under way or not (check `deploymentId` and `until`). */
  getBake(service: string): Promise<BakeRecord | undefined>;
  /**
   * Records a requested deployment (status QUEUED) if no deployment has its id; returns false,
   * changing nothing, when one has: a second delivery of the same request.
   */
  requestDeployment(summary: DeploymentSummary): Promise<boolean>;
  /**
   * Creates the summary once, or fills in the QUEUED one its request left (keeping its request, a
   * control asked for meanwhile and the execution's ARN); a retried call leaves an IN_PROGRESS one
   * in place; an ended one (say, cancelled while it queued) is refused with InvalidInputError.
   */
  createDeployment(summary: DeploymentSummary): Promise<void>;
  /** The service's queue, oldest first. */
  listQueue(service: string): Promise<QueueEntry[]>;
  enqueue(service: string, entry: QueueEntry): Promise<void>;
  dequeue(service: string, entry: QueueEntry): Promise<void>;
  /**
   * Claims an image digest for a service's push deployment: the first claim wins, and every later
   * one (the same image pushed with another tag, a redelivery) gets the first deployment's id.
   */
  claimDigest(service: string, digest: string, deploymentId: string): Promise<string>;
  /** Deployments of an image digest (one per service it was deployed to). */
  findByDigest(digest: string): Promise<string[]>;
  /** Removes the pending approval if it is still the one with this token; false when it was already answered. */
  clearPendingApproval(deploymentId: string, taskToken: string): Promise<boolean>;
  /** Records a promote-now or abort request unless the deployment has ended or one was already made; false then. */
  requestControl(deploymentId: string, control: DeploymentControl): Promise<boolean>;
  /** Updates fields of a summary. */
  updateDeployment(deploymentId: string, patch: Partial<DeploymentSummary>): Promise<void>;
  getDeployment(deploymentId: string): Promise<DeploymentSummary | undefined>;
  /** A service's deployments, newest first. */
  listDeployments(service: string, limit: number): Promise<DeploymentSummary[]>;
  /** Every QUEUED or IN_PROGRESS deployment of a service, oldest first, however long its history. */
  listOpenDeployments(service: string): Promise<DeploymentSummary[]>;
  /** A page of a service's deployments, newest first, after `cursor` (from the previous page). */
  pageDeployments(service: string, limit: number, cursor?: string): Promise<DeploymentPage>;
  /** Appends an event to a trail; an event with the same key already there is returned instead. */
  appendAuditEvent(deploymentId: string, event: AuditEventInput): Promise<AuditEvent>;
  /** A trail in sequence order. */
  listAuditEvents(deploymentId: string): Promise<AuditEvent[]>;
  /** Routes of the simulated provider. */
  getRoutes(service: string): Promise<RouteRecord | undefined>;
  putRoutes(routes: RouteRecord): Promise<void>;
}
