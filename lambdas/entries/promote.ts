import { awsProviders, awsStore } from '../adapters/aws-deps.ts';
import { makePromoteHandler } from '../handlers/promote.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the promote task, wired to DynamoDB and the traffic providers: the ports its handler takes, and no other SDK client. */
export const handler = makePromoteHandler({ store, clock: systemClock, providers: awsProviders(store) });
