import { awsDeploymentAlarms, awsProviders, awsStore } from '../adapters/aws-deps.ts';
import { makePrepareCandidateHandler } from '../handlers/prepare-candidate.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the prepare candidate task, wired to DynamoDB, the deployment's own alarms and the traffic providers: the ports its handler takes, and no other SDK client. */
export const handler = makePrepareCandidateHandler({
  store,
  clock: systemClock,
  providers: awsProviders(store),
  deploymentAlarms: awsDeploymentAlarms(),
});
