import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeCheckAlarmsHandler } from '../handlers/check-alarms.ts';

/** Lambda entry: the check alarms task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeCheckAlarmsHandler(awsTaskDeps());
