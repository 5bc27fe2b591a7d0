import { awsAlarmSource, awsProviders, awsStore } from '../adapters/aws-deps.ts';
import { makeStartDeploymentHandler } from '../handlers/start-deployment.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the start deployment task, wired to DynamoDB, CloudWatch alarms and the traffic providers: the ports its handler takes, and no other SDK client. */
export const handler = makeStartDeploymentHandler({
  store,
  clock: systemClock,
  alarms: awsAlarmSource(),
  providers: awsProviders(store),
});
