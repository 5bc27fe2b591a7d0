import { awsProviders, awsStore } from '../adapters/aws-deps.ts';
import { makeRecreateStepHandler } from '../handlers/recreate-step.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the recreate step task, wired to DynamoDB and the traffic providers: the ports its handler takes, and no other SDK client. */
export const handler = makeRecreateStepHandler({ store, clock: systemClock, providers: awsProviders(store) });
