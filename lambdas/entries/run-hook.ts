import { awsHooks, awsStore } from '../adapters/aws-deps.ts';
import { makeRunHookHandler } from '../handlers/run-hook.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the run hook task, wired to DynamoDB and the hook runner: the ports its handler takes, and no other SDK client. */
export const handler = makeRunHookHandler({ store, clock: systemClock, hooks: awsHooks() });
