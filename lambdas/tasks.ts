import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { makeCheckAlarmsHandler } from './handlers/check-alarms.ts';
import type { TaskDeps } from './handlers/deps.ts';
import { makePrepareCandidateHandler } from './handlers/prepare-candidate.ts';
import { makePromoteHandler } from './handlers/promote.ts';
import { makeRecordEventHandler } from './handlers/record-event.ts';
import { makeRollBackHandler } from './handlers/roll-back.ts';
import { makeShiftTrafficHandler } from './handlers/shift-traffic.ts';
import { makeStartDeploymentHandler } from './handlers/start-deployment.ts';

/** A task as Lambda (and the local runtime) calls it. */
export type TaskLambda = (event: unknown, context: Context) => Promise<unknown>;

export type DynamoDbAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

/**
 * Every Lambda task of the state machines: the `${Placeholder}` its ASL Task names, its entry
 * file, its factory, and exactly what it may touch. The CDK stack builds one function per entry
 * and grants just these actions; the local runtime maps placeholders to the same factories.
 */
export interface TaskDefinition {
  /** Construct id of the function; renaming it replaces the function on AWS. */
  id: string;
  /** The `${...}` substitution the ASL uses as FunctionName. */
  placeholder: string;
  /** File under lambdas/entries/ that exports `handler`. */
  entry: string;
  make: (deps: TaskDeps, logger?: Logger) => TaskLambda;
  dynamodb: DynamoDbAction[];
  /** CloudWatch read actions, for tasks that judge health. */
  cloudwatch?: ('cloudwatch:DescribeAlarms' | 'cloudwatch:DescribeAlarmHistory')[];
}

export const TASKS: TaskDefinition[] = [
  {
    id: 'StartDeployment',
    placeholder: 'StartDeploymentFunctionArn',
    entry: 'start-deployment.ts',
    make: makeStartDeploymentHandler,
    dynamodb: ['GetItem', 'PutItem', 'DeleteItem', 'Query'],
  },
  {
    id: 'PrepareCandidate',
    placeholder: 'PrepareCandidateFunctionArn',
    entry: 'prepare-candidate.ts',
    make: makePrepareCandidateHandler,
    dynamodb: ['GetItem', 'PutItem', 'Query'],
  },
  {
    id: 'ShiftTraffic',
    placeholder: 'ShiftTrafficFunctionArn',
    entry: 'shift-traffic.ts',
    make: makeShiftTrafficHandler,
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
  },
  {
    id: 'CheckAlarms',
    placeholder: 'CheckAlarmsFunctionArn',
    entry: 'check-alarms.ts',
    make: makeCheckAlarmsHandler,
    dynamodb: ['PutItem', 'Query'],
    cloudwatch: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
  },
  {
    id: 'Promote',
    placeholder: 'PromoteFunctionArn',
    entry: 'promote.ts',
    make: makePromoteHandler,
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
  },
  {
    id: 'RollBack',
    placeholder: 'RollBackFunctionArn',
    entry: 'roll-back.ts',
    make: makeRollBackHandler,
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
  },
  {
    id: 'RecordEvent',
    placeholder: 'RecordEventFunctionArn',
    entry: 'record-event.ts',
    make: makeRecordEventHandler,
    dynamodb: ['PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
  },
];
