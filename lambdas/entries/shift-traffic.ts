import { awsProviders, awsStore } from '../adapters/aws-deps.ts';
import { makeShiftTrafficHandler } from '../handlers/shift-traffic.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the shift traffic task, wired to DynamoDB and the traffic providers: the ports its handler takes, and no other SDK client. */
export const handler = makeShiftTrafficHandler({ store, clock: systemClock, providers: awsProviders(store) });
