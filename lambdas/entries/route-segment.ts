import { awsProviders, awsStore } from '../adapters/aws-deps.ts';
import { makeRouteSegmentHandler } from '../handlers/route-segment.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the route segment task, wired to DynamoDB and the traffic providers: the ports its handler takes, and no other SDK client. */
export const handler = makeRouteSegmentHandler({ store, clock: systemClock, providers: awsProviders(store) });
