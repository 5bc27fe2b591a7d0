import { Aws, Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  HOOK_FUNCTION_PREFIX,
  TASK_FUNCTION_TIMEOUT_SECONDS,
  type TaskDefinition,
} from '../../lambdas/tasks.ts';
import {
  deploymentAlarmGrant,
  StepwiseFunction,
  type StepwiseFunctionOptions,
} from '../functions/stepwise-function.ts';
import type { WildcardResource } from '../nag-findings.ts';

/**
 * The Lambda hooks a task with `invokesHooks` may call: functions of this account and region whose
 * name starts with `HOOK_FUNCTION_PREFIX`, and their versions and aliases (`*` also matches `:alias`).
 * Pseudo parameters rather than the stack's env, so the ARN (and its cdk-nag finding) is the same
 * whether or not the stack is bound to an account.
 */
const HOOK_FUNCTION_ARNS = `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${HOOK_FUNCTION_PREFIX}*`;

export interface TaskFunctionProps extends StepwiseFunctionOptions {
  /** The task from the `TASKS` registry: entry file, placeholder, and the actions it may use. */
  readonly task: TaskDefinition;
  /** The table the task reads and writes; its name is passed as `TABLE_NAME`. */
  readonly table: ITableV2;
  /**
   * @default Duration.seconds(TASK_FUNCTION_TIMEOUT_SECONDS), 60: under the Task's `TimeoutSeconds`
   * (120) in the state machines, so a hung invocation ends as a Lambda timeout the state machine's
   * Retry sees, not a States.Timeout.
   */
  readonly timeout?: Duration;
}

/**
 * One Lambda function for one state-machine task, with its own role and log group. The role holds
 * exactly what the task's `TASKS` entry lists: its DynamoDB actions on the table (not its indexes),
 * its CloudWatch reads if any, invoking `stepwise-hook-*` functions if it runs hooks, and writes to
 * its own log group. A task without DynamoDB actions gets no table statement at all.
 */
export class TaskFunction extends StepwiseFunction {
  readonly task: TaskDefinition;

  constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    const { task, timeout = Duration.seconds(TASK_FUNCTION_TIMEOUT_SECONDS), ...options } = props;
    const statements: PolicyStatement[] = [];
    const wildcards: WildcardResource[] = [];
    if (task.invokesHooks) {
      statements.push(
        new PolicyStatement({
          sid: 'InvokeHooks',
          actions: ['lambda:InvokeFunction'],
          resources: [HOOK_FUNCTION_ARNS],
        }),
      );
      wildcards.push({
        resource: HOOK_FUNCTION_ARNS,
        reason:
          'Lambda hooks are named by each service configuration, not known at deploy time; the grant is ' +
          `limited to functions named ${HOOK_FUNCTION_PREFIX}* in this account and region ` +
          '(HOOK_FUNCTION_PREFIX), qualified or not.',
      });
    }
    if (task.deploymentAlarms?.length) {
      const grant = deploymentAlarmGrant(task.deploymentAlarms);
      statements.push(grant.statement);
      wildcards.push(grant.wildcard);
    }
    super(scope, id, {
      ...options,
      entry: task.entry,
      description: `Stepwise task ${task.id}`,
      policyName: 'Task',
      timeout,
      tableActions: task.dynamodb,
      alarmReads: task.cloudwatch,
      ...(statements.length > 0 ? { statements, wildcards } : {}),
    });
    this.task = task;
  }
}
