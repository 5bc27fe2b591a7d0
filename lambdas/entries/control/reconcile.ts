import type { EventBridgeEvent } from 'aws-lambda';
import { awsControlDeps } from '../../adapters/aws-control-deps.ts';
import { executionEnded } from '../../control/execution-events.ts';
import { reconcile } from '../../control/reconciler.ts';

const { deps } = awsControlDeps('stepwise-reconcile');

/** Lambda entry: the target of the `Step Functions Execution Status Change` rule. */
export const handler = async (event: EventBridgeEvent<string, unknown>) => {
  const ended = await executionEnded(deps.executions, event);
  return ended ? reconcile(deps, ended) : { ignored: 'not an ended execution' };
};
