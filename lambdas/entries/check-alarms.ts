import { awsAlarmSource, awsStore, awsVersionMetrics } from '../adapters/aws-deps.ts';
import { makeCheckAlarmsHandler } from '../handlers/check-alarms.ts';
import { systemClock } from '../ports/clock.ts';

const store = awsStore();

/** Lambda entry: the check alarms task, wired to DynamoDB, CloudWatch alarms and CloudWatch metrics: the ports its handler takes, and no other SDK client. */
export const handler = makeCheckAlarmsHandler({
  store,
  clock: systemClock,
  alarms: awsAlarmSource(),
  metrics: awsVersionMetrics(),
});
