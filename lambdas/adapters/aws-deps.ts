import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadConfig } from '../config.ts';
import type { AlarmSource } from '../ports/alarms.ts';
import { systemClock } from '../ports/clock.ts';
import type { HookRunner } from '../ports/hooks.ts';
import type { DeploymentAlarms, VersionMetrics } from '../ports/metrics.ts';
import type { Store } from '../ports/store.ts';
import { CloudWatchAlarmSource } from './cloudwatch/cloudwatch-alarms.ts';
import { CloudWatchVersionMetrics } from './cloudwatch/cloudwatch-metrics.ts';
import { CloudWatchDeploymentAlarms } from './cloudwatch/deployment-alarms.ts';
import { DynamoDbStore } from './dynamodb/dynamodb-store.ts';
import { DefaultHookRunner } from './hooks/hook-runner.ts';
import { type AwsProviderClients, makeProviderFactory, type ProviderFactory } from './traffic/providers.ts';

/*
 * The AWS adapters of the ports, one function each, and the SDK clients they share, each made once
 * per container on first use. An entry calls only the ones its handler takes: esbuild then leaves
 * every other adapter and SDK client out of that function's bundle (and its cold start).
 */

let dynamodbClient: DynamoDBClient | undefined;
let cloudwatchClient: CloudWatchClient | undefined;
let lambdaClient: LambdaClient | undefined;

/** The DynamoDB client of this container. */
export function dynamodb(): DynamoDBClient {
  dynamodbClient ??= new DynamoDBClient({});
  return dynamodbClient;
}

/** The CloudWatch client of this container. */
export function cloudwatch(): CloudWatchClient {
  cloudwatchClient ??= new CloudWatchClient({});
  return cloudwatchClient;
}

function lambda(): LambdaClient {
  lambdaClient ??= new LambdaClient({});
  return lambdaClient;
}

/** The Stepwise table, named by `TABLE_NAME`. */
export function awsStore(env: NodeJS.ProcessEnv = process.env): Store {
  return new DynamoDbStore(dynamodb(), loadConfig(env).TABLE_NAME);
}

/** The service's alarms, as CloudWatch reports them. */
export function awsAlarmSource(): AlarmSource {
  return new CloudWatchAlarmSource(cloudwatch());
}

/** Per-version metrics for the baseline comparison (GetMetricData). */
export function awsVersionMetrics(): VersionMetrics {
  return new CloudWatchVersionMetrics(cloudwatch());
}

/** The alarms Stepwise makes for a deployment (PutMetricAlarm, DeleteAlarms). */
export function awsDeploymentAlarms(): DeploymentAlarms {
  return new CloudWatchDeploymentAlarms(cloudwatch());
}

/** Hooks: HTTP checks, and Lambda functions invoked synchronously. */
export function awsHooks(): HookRunner {
  return new DefaultHookRunner({ lambda: lambda() });
}

/** The real providers' clients, made on first use (a function deploying only simulated services makes none). */
export function awsProviderClients(): () => AwsProviderClients {
  let clients: AwsProviderClients | undefined;
  return () => {
    clients ??= {
      ecs: new ECSClient({}),
      elbv2: new ElasticLoadBalancingV2Client({}),
      lambda: lambda(),
      appconfig: new AppConfigClient({}),
    };
    return clients;
  };
}

/** The traffic providers, by the kind each service is registered with. */
export function awsProviders(store: Store): ProviderFactory {
  return makeProviderFactory({ store, clock: systemClock, aws: awsProviderClients() });
}
