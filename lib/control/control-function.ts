import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '../../lambdas/adapters/dynamodb/table.ts';
import type { StrategyName } from '../../lambdas/domain/strategy-names.ts';
import {
  type AlarmReadAction,
  deploymentAlarmGrant,
  StepwiseFunction,
  type StepwiseFunctionOptions,
} from '../functions/stepwise-function.ts';
import type { WildcardResource } from '../nag-findings.ts';
import type { ChildStateMachine } from '../strategies/strategy.ts';
import { executionArns } from '../strategies/strategy-state-machine.ts';

/** The control functions, each `lambdas/entries/control/<entry>.ts`. */
export type ControlEntry = 'api' | 'dispatch' | 'reconcile' | 'alarm-changed';

export interface ControlFunctionProps extends StepwiseFunctionOptions {
  /** Which control function: its entry file is `lambdas/entries/control/<entry>.ts`. */
  readonly entry: ControlEntry;
  /** What it does, for the role's and the function's descriptions. */
  readonly description: string;
  /** The Stepwise table: configuration, locks, deployments, idempotency records. */
  readonly table: ITableV2;
  /**
   * Every Stepwise state machine by strategy name: passed as `STATE_MACHINE_ARNS`; the function may
   * start these state machines and stop their executions, and no others.
   */
  readonly stateMachines: Readonly<Record<StrategyName, ChildStateMachine>>;
  /**
   * Reads how executions ended (`states:DescribeExecution`), as the reconciler does for an ended
   * execution's error and cause and for its sweep. @default false
   */
  readonly describesExecutions?: boolean;
  /** Completes manual approvals (`states:SendTaskSuccess`). @default false */
  readonly sendsTaskTokens?: boolean;
  /** Fails waiting tasks (`states:SendTaskFailure`), as an alarm ends a bake. @default false */
  readonly failsTasks?: boolean;
  /**
   * Only reads the bakes under way (`dynamodb:Query` on the table), starting and stopping no
   * execution: the alarm-changed function. @default false - the table's items, its history index,
   * and starting and stopping the Stepwise executions
   */
  readonly readsBakesOnly?: boolean;
  /** Deletes the alarms made for a deployment that ended unclosed (the reconciler). @default false */
  readonly deletesDeploymentAlarms?: boolean;
  /** Reads many items in one request (`dynamodb:BatchGetItem`): the API's list of services. @default false */
  readonly readsInBatches?: boolean;
  /** Runs the pre-flight alarm check before it accepts a deployment. @default - reads no alarms */
  readonly alarmReads?: readonly AlarmReadAction[];
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Where Lambda sends an asynchronous event it failed to handle. @default - none */
  readonly deadLetterQueue?: IQueue;
}

/** What every control function does to the table: the store's items and Powertools' idempotency records. */
const TABLE_ACTIONS = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'] as const;

/**
 * One control-plane function (the API, dispatch from ECR pushes, the reconciler) with its own role
 * and log group, like a `TaskFunction`. Its role may use the table's items and query its history
 * index (`byService`), start exactly the Stepwise state machines and stop their executions; the
 * reconciler may also describe them, and the API complete approvals and read alarms. Traffic-provider permissions are not here:
 * `ServiceRegistry` grants them to the roles that need them (the reconciler's).
 *
 * Its environment is what `loadControlConfig` reads: `TABLE_NAME`, `STATE_MACHINE_ARNS` (a JSON
 * object, strategy → ARN) and `REGISTRY_HOST` (this account's ECR registry, for digest-only requests).
 */
export class ControlFunction extends StepwiseFunction {
  constructor(scope: Construct, id: string, props: ControlFunctionProps) {
    const {
      entry,
      stateMachines,
      sendsTaskTokens = false,
      failsTasks = false,
      readsBakesOnly = false,
      describesExecutions = false,
      deletesDeploymentAlarms = false,
      readsInBatches = false,
      timeout = Duration.seconds(30),
      ...options
    } = props;
    const machines = readsBakesOnly ? [] : Object.values(stateMachines);
    const statements = readsBakesOnly
      ? []
      : [
          new PolicyStatement({
            sid: 'StartStateMachines',
            actions: ['states:StartExecution'],
            resources: machines.map((machine) => machine.stateMachineArn),
          }),
          new PolicyStatement({
            sid: 'ManageExecutions',
            actions: ['states:StopExecution', ...(describesExecutions ? ['states:DescribeExecution'] : [])],
            resources: machines.map((machine) => executionArns(machine.stateMachineName)),
          }),
        ];
    const wildcards: WildcardResource[] = machines.map((machine) => ({
      resource: executionArns(machine.stateMachineName),
      reason:
        `Executions of ${machine.stateMachineName} are named per deployment at run time; stopping them (abort, ` +
        `supersede)${describesExecutions ? ' and describing them' : ''} needs the execution ARN, so the grant ` +
        'covers the executions of that one state machine only.',
    }));
    if (failsTasks) {
      statements.push(
        new PolicyStatement({
          sid: 'EndBakes',
          actions: ['states:SendTaskFailure'],
          resources: ['*'],
        }),
      );
      wildcards.push({
        resource: '*',
        reason:
          'Bakes: states:SendTaskFailure takes a task token, not an ARN, and supports no resource-level ' +
          'permission (Service Authorization Reference, AWS Step Functions).',
      });
    }
    if (deletesDeploymentAlarms) {
      const grant = deploymentAlarmGrant(['cloudwatch:DeleteAlarms']);
      statements.push(grant.statement);
      wildcards.push(grant.wildcard);
    }
    if (sendsTaskTokens) {
      statements.push(
        new PolicyStatement({
          sid: 'CompleteApprovals',
          actions: ['states:SendTaskSuccess'],
          resources: ['*'],
        }),
      );
      wildcards.push({
        resource: '*',
        reason:
          'Approvals: states:SendTaskSuccess takes a task token, not an ARN, and supports no resource-level ' +
          'permission (Service Authorization Reference, AWS Step Functions).',
      });
    }

    super(scope, id, {
      ...options,
      entry: `control/${entry}.ts`,
      description: `Stepwise control: ${props.description}`,
      policyName: 'Control',
      timeout,
      tableActions: readsBakesOnly
        ? ['Query']
        : [...TABLE_ACTIONS, ...(readsInBatches ? (['BatchGetItem'] as const) : [])],
      ...(readsBakesOnly ? {} : { queriesIndex: TABLE_KEYS.historyIndex.name }),
      statements,
      wildcards,
      environment: {
        STATE_MACHINE_ARNS: Stack.of(scope).toJsonString(
          Object.fromEntries(
            Object.entries(stateMachines).map(([name, machine]) => [name, machine.stateMachineArn]),
          ),
        ),
        REGISTRY_HOST: `${Aws.ACCOUNT_ID}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}`,
      },
    });
  }
}
