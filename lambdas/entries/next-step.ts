import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeNextStepHandler } from '../handlers/next-step.ts';

/** Lambda entry: the next step task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeNextStepHandler(awsTaskDeps());
