import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeStartDeploymentHandler } from '../handlers/start-deployment.ts';

/** Lambda entry: the start deployment task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeStartDeploymentHandler(awsTaskDeps());
