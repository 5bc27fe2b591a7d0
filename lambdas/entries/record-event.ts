import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeRecordEventHandler } from '../handlers/record-event.ts';

/** Lambda entry: the record event task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeRecordEventHandler(awsTaskDeps());
