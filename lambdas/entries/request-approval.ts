import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeRequestApprovalHandler } from '../handlers/request-approval.ts';

/** Lambda entry: the request approval task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeRequestApprovalHandler(awsTaskDeps());
