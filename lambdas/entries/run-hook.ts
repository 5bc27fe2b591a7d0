import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeRunHookHandler } from '../handlers/run-hook.ts';

/** Lambda entry: the run hook task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeRunHookHandler(awsTaskDeps());
