import { awsProviders, awsStore } from '../adapters/aws-deps.ts';
import { makeRollBackHandler } from '../handlers/roll-back.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the roll back task, wired to DynamoDB and the traffic providers: the ports its handler takes, and no other SDK client. */
export const handler = makeRollBackHandler({ store, clock: systemClock, providers: awsProviders(store) });
