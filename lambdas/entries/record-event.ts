import { awsDeploymentAlarms, awsStore } from '../adapters/aws-deps.ts';
import { makeRecordEventHandler } from '../handlers/record-event.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the record event task, wired to DynamoDB and the deployment's own alarms: the ports its handler takes, and no other SDK client. */
export const handler = makeRecordEventHandler({
  store,
  clock: systemClock,
  deploymentAlarms: awsDeploymentAlarms(),
});
