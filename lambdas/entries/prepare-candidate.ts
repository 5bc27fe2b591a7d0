import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makePrepareCandidateHandler } from '../handlers/prepare-candidate.ts';

/** Lambda entry: the prepare candidate task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makePrepareCandidateHandler(awsTaskDeps());
