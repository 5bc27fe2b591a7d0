import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeRollBackHandler } from '../handlers/roll-back.ts';

/** Lambda entry: the roll back task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeRollBackHandler(awsTaskDeps());
