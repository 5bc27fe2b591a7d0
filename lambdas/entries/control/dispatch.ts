import type { EventBridgeEvent } from 'aws-lambda';
import { awsControlDeps } from '../../adapters/aws-control-deps.ts';
import { dispatchEvent } from '../../control/dispatch.ts';

const { deps } = awsControlDeps('stepwise-dispatch');

/**
 * Lambda entry: the target of the ECR push rule. A transient failure is thrown so that
 * EventBridge retries the event and, in the end, sends it to the dead-letter queue.
 */
export const handler = (event: EventBridgeEvent<string, unknown>) => dispatchEvent(deps, event);
