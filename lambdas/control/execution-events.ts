import type { ExecutionStatus, Executions } from '../ports/executions.ts';
import type { ExecutionEnded } from './reconciler.ts';

const ENDED: ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/**
 * Reads a `Step Functions Execution Status Change` event. Its detail carries the execution's
 * ARN, name, status and input; error and cause are asked of DescribeExecution when the event
 * leaves them out.
 */
export async function executionEnded(
  executions: Executions,
  raw: unknown,
): Promise<ExecutionEnded | undefined> {
  const event = raw as { source?: string; 'detail-type'?: string; detail?: Record<string, unknown> };
  if (event.source !== 'aws.states' || event['detail-type'] !== 'Step Functions Execution Status Change') {
    return undefined;
  }
  const detail = event.detail ?? {};
  const status = detail.status as ExecutionStatus;
  if (!ENDED.includes(status) || typeof detail.executionArn !== 'string' || typeof detail.name !== 'string') {
    return undefined;
  }
  let error = typeof detail.error === 'string' ? detail.error : undefined;
  let cause = typeof detail.cause === 'string' ? detail.cause : undefined;
  if (status !== 'SUCCEEDED' && error === undefined) {
    const described = await executions.describe(detail.executionArn);
    error = described.error;
    cause = described.cause;
  }
  return {
    executionArn: detail.executionArn,
    name: detail.name,
    status,
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
    ...(typeof detail.input === 'string' ? { input: detail.input } : {}),
  };
}
