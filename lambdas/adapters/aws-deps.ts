import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadConfig } from '../config.ts';
import type { TaskDeps } from '../handlers/deps.ts';
import { systemClock } from '../ports/clock.ts';
import { CloudWatchAlarmSource } from './cloudwatch/cloudwatch-alarms.ts';
import { DynamoDbStore } from './dynamodb/dynamodb-store.ts';
import { DefaultHookRunner } from './hooks/hook-runner.ts';
import { makeProviderFactory } from './traffic/providers.ts';

/** Wires the AWS adapters for a Lambda task, from the environment. */
export function awsTaskDeps(env: NodeJS.ProcessEnv = process.env): TaskDeps {
  const config = loadConfig(env);
  const store = new DynamoDbStore(new DynamoDBClient({}), config.TABLE_NAME);
  return {
    store,
    clock: systemClock,
    alarms: new CloudWatchAlarmSource(new CloudWatchClient({})),
    providers: makeProviderFactory({ store, clock: systemClock }),
    hooks: new DefaultHookRunner({ lambda: new LambdaClient({}) }),
  };
}
