import { awsStore } from '../adapters/aws-deps.ts';
import { makeRequestApprovalHandler } from '../handlers/request-approval.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the request approval task, wired to DynamoDB: the ports its handler takes, and no other SDK client. */
export const handler = makeRequestApprovalHandler({ store, clock: systemClock });
