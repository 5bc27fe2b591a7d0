import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadConfig } from '../config.ts';
import type { TaskDeps } from '../handlers/deps.ts';
import { systemClock } from '../ports/clock.ts';
import { CloudWatchAlarmSource } from './cloudwatch/cloudwatch-alarms.ts';
import { CloudWatchVersionMetrics } from './cloudwatch/cloudwatch-metrics.ts';
import { CloudWatchDeploymentAlarms } from './cloudwatch/deployment-alarms.ts';
import { DynamoDbStore } from './dynamodb/dynamodb-store.ts';
import { DefaultHookRunner } from './hooks/hook-runner.ts';
import { type AwsProviderClients, makeProviderFactory } from './traffic/providers.ts';

/** The real providers' clients, made on first use (a function deploying only simulated services makes none). */
export function awsProviderClients(lambda?: LambdaClient): () => AwsProviderClients {
  let clients: AwsProviderClients | undefined;
  return () => {
    clients ??= {
      ecs: new ECSClient({}),
      elbv2: new ElasticLoadBalancingV2Client({}),
      lambda: lambda ?? new LambdaClient({}),
      appconfig: new AppConfigClient({}),
    };
    return clients;
  };
}

/** Wires the AWS adapters for a Lambda task, from the environment. */
export function awsTaskDeps(env: NodeJS.ProcessEnv = process.env): TaskDeps {
  const config = loadConfig(env);
  const store = new DynamoDbStore(new DynamoDBClient({}), config.TABLE_NAME);
  const lambda = new LambdaClient({});
  const aws = awsProviderClients(lambda);
  const cloudwatch = new CloudWatchClient({});
  return {
    store,
    clock: systemClock,
    alarms: new CloudWatchAlarmSource(cloudwatch),
    metrics: new CloudWatchVersionMetrics(cloudwatch),
    deploymentAlarms: new CloudWatchDeploymentAlarms(cloudwatch),
    providers: makeProviderFactory({ store, clock: systemClock, aws }),
    hooks: new DefaultHookRunner({ lambda }),
  };
}
