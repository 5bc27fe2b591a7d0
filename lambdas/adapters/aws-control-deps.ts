import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type ControlConfig, loadControlConfig } from '../config.ts';
import type { ControlDeps } from '../control/deps.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { StrategyName } from '../domain/strategy-names.ts';
import { systemClock } from '../ports/clock.ts';
import { awsProviders, cloudwatch, dynamodb } from './aws-deps.ts';
import { CloudWatchAlarmSource } from './cloudwatch/cloudwatch-alarms.ts';
import { DynamoDbStore } from './dynamodb/dynamodb-store.ts';
import { SfnExecutions } from './sfn/sfn-executions.ts';

/** The state machine of each strategy, from `STATE_MACHINE_ARNS`. */
export function stateMachineArns(config: ControlConfig): Partial<Record<StrategyName, string>> {
  try {
    return JSON.parse(config.STATE_MACHINE_ARNS) as Partial<Record<StrategyName, string>>;
  } catch {
    throw new InvalidInputError('environment.STATE_MACHINE_ARNS must be a JSON object of strategy → ARN');
  }
}

/** Wires the AWS adapters of a control function (API, dispatch, reconcile) from the environment. */
export function awsControlDeps(serviceName: string, env: NodeJS.ProcessEnv = process.env) {
  const config = loadControlConfig(env);
  const store = new DynamoDbStore(dynamodb(), config.TABLE_NAME);
  const deps: ControlDeps = {
    store,
    executions: new SfnExecutions(new SFNClient({}), stateMachineArns(config)),
    providers: awsProviders(store),
    alarms: new CloudWatchAlarmSource(cloudwatch()),
    clock: systemClock,
    logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName }),
  };
  return { deps, config, dynamodb: dynamodb(), cloudwatch: cloudwatch() };
}
