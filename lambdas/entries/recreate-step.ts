import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeRecreateStepHandler } from '../handlers/recreate-step.ts';

/** Lambda entry: the recreate step task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeRecreateStepHandler(awsTaskDeps());
