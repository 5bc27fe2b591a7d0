import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeShiftTrafficHandler } from '../handlers/shift-traffic.ts';

/** Lambda entry: the shift traffic task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeShiftTrafficHandler(awsTaskDeps());
