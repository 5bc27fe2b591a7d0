import type { EventBridgeEvent } from 'aws-lambda';
import { awsControlDeps } from '../../adapters/aws-control-deps.ts';
import { dispatchEvent } from '../../control/dispatch.ts';

const { deps } = awsControlDeps('stepwise-dispatch');

/**
 * Lambda entry: the target of the ECR push rule. A transient failure is thrown: Lambda retries
 * the asynchronous invocation, and an event that still fails lands in the function's
 * dead-letter queue. So does a push whose fields no registry could hold (Stepwise.InvalidInput,
 * nothing recorded), where it can be read.
 */
export const handler = (event: EventBridgeEvent<string, unknown>) => dispatchEvent(deps, event);
