import type { AuditEventInput, AuditEventType, Deployment, DeploymentStatus } from './types.ts';

/** What every audit event says about its deployment: a Deployment snapshot or a summary both have it. */
export type AuditSubject = Pick<
  Deployment,
  'environment' | 'service' | 'candidateVersion' | 'trigger' | 'commitSha'
>;

/** Builds an audit event with the fields every event carries, from the deployment snapshot. */
export function auditEvent(
  deployment: AuditSubject,
  type: AuditEventType,
  key: string,
  at: Date,
  options: {
    status?: DeploymentStatus;
    rollback?: boolean;
    version?: string;
    detail?: Record<string, unknown>;
  } = {},
): AuditEventInput {
  return {
    type,
    key,
    at: at.toISOString(),
    environment: deployment.environment,
    service: deployment.service,
    version: options.version ?? deployment.candidateVersion,
    trigger: deployment.trigger,
    commitSha: deployment.commitSha,
    rollback: options.rollback ?? false,
    status: options.status ?? 'IN_PROGRESS',
    detail: options.detail,
  };
}
