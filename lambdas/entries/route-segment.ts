import { awsTaskDeps } from '../adapters/aws-deps.ts';
import { makeRouteSegmentHandler } from '../handlers/route-segment.ts';

/** Lambda entry: the route segment task wired to DynamoDB, CloudWatch and the configured traffic provider. */
export const handler = makeRouteSegmentHandler(awsTaskDeps());
