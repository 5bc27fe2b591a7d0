import type { SegmentMatch } from '../domain/steps.ts';
import type {
  AuditEvent,
  AuditEventInput,
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

/**
 * Configuration, locks, deployments and the audit trail. One DynamoDB table on AWS; the same
 * adapter against dynalite locally. Every write that a retried task may repeat is conditional.
 */
export interface Store {
  /** The registered configuration of a service, or undefined. */
  getServiceConfig(service: string): Promise<ServiceConfig | undefined>;
  /** Registers or replaces a service's configuration. */
  putServiceConfig(config: ServiceConfig): Promise<void>;
  /** The live version of a service, or undefined when it has never been deployed. */
  getServiceStatus(service: string): Promise<ServiceStatus | undefined>;
  /** Records which version now holds all traffic. */
  setLiveVersion(status: ServiceStatus): Promise<void>;
  /** Takes the service lock for a deployment; re-entrant for the same deployment; throws LockHeldError otherwise. */
  acquireLock(service: string, deploymentId: string, now: Date, ttlSeconds: number): Promise<void>;
  /** Releases the lock if this deployment holds it; a no-op otherwise. */
  releaseLock(service: string, deploymentId: string): Promise<void>;
  /** Creates the summary once; a second call for the same id leaves the first in place. */
  createDeployment(summary: DeploymentSummary): Promise<void>;
  /** Updates fields of a summary. */
  updateDeployment(deploymentId: string, patch: Partial<DeploymentSummary>): Promise<void>;
  getDeployment(deploymentId: string): Promise<DeploymentSummary | undefined>;
  /** A service's deployments, newest first. */
  listDeployments(service: string, limit: number): Promise<DeploymentSummary[]>;
  /** Appends an event to a trail; an event with the same key already there is returned instead. */
  appendAuditEvent(deploymentId: string, event: AuditEventInput): Promise<AuditEvent>;
  /** A trail in sequence order. */
  listAuditEvents(deploymentId: string): Promise<AuditEvent[]>;
  /** Routes of the simulated provider. */
  getRoutes(service: string): Promise<RouteRecord | undefined>;
  putRoutes(routes: RouteRecord): Promise<void>;
}
