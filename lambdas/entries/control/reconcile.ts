import type { EventBridgeEvent } from 'aws-lambda';
import { awsControlDeps } from '../../adapters/aws-control-deps.ts';
import { CloudWatchDeploymentAlarms } from '../../adapters/cloudwatch/deployment-alarms.ts';
import { executionEnded } from '../../control/execution-events.ts';
import { reconcile } from '../../control/reconciler.ts';
import { sweep } from '../../control/sweeper.ts';

const wired = awsControlDeps('stepwise-reconcile');
// Only the reconciler deletes what a deployment that ended unclosed left behind (its alarms).
const deps = { ...wired.deps, deploymentAlarms: new CloudWatchDeploymentAlarms(wired.cloudwatch) };

/**
 * Lambda entry: the target of the `Step Functions Execution Status Change` rule, and of the
 * schedule that sweeps for what those best-effort events missed.
 */
export const handler = async (event: EventBridgeEvent<string, unknown>) => {
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event') return sweep(deps);
  const ended = await executionEnded(deps.executions, event);
  return ended ? reconcile(deps, ended) : { ignored: 'not an ended execution' };
};
