import { awsStore } from '../adapters/aws-deps.ts';
import { makeNextStepHandler } from '../handlers/next-step.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the next step task, wired to DynamoDB: the ports its handler takes, and no other SDK client. */
export const handler = makeNextStepHandler({ store, clock: systemClock });
