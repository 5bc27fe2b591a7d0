import type { AuditEventInput, AuditEventType, Deployment, DeploymentStatus } from './types.ts';

/** Builds an audit event with the fields every event carries, from the deployment snapshot. */
export function auditEvent(
  deployment: Deployment,
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
