import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makePromoteHandler } from '../handlers/promote.ts';

/** Lambda entry: the promote task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makePromoteHandler(awsTaskDeps());
