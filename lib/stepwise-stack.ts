import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StepwiseTable } from './storage/stepwise-table.ts';
import { CanaryStrategy } from './strategies/canary.ts';
import { StrategyStateMachine } from './strategies/strategy-state-machine.ts';
import { TaskFunctions } from './tasks/task-functions.ts';

/**
 * Stepwise on AWS: the table, one Lambda function per task, and one state machine per strategy.
 * Construct ids are a contract: renaming one replaces its resources (the table is retained, not
 * replaced in place).
 */
export class StepwiseStack extends Stack {
  readonly table: StepwiseTable;
  readonly tasks: TaskFunctions;
  readonly canary: StrategyStateMachine;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.table = new StepwiseTable(this, 'Table');
    this.tasks = new TaskFunctions(this, 'Tasks', { table: this.table });
    this.canary = new StrategyStateMachine(this, 'Canary', {
      strategy: new CanaryStrategy(),
      tasks: this.tasks,
    });

    new CfnOutput(this, 'TableName', {
      description: 'DynamoDB table: service configuration, locks, deployments and the audit trail',
      value: this.table.tableName,
    });
    new CfnOutput(this, 'StateMachineArn', {
      description: 'The canary state machine: start one execution per deployment',
      value: this.canary.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'ExecutionsConsoleUrl', {
      description: 'The canary state machine and its executions in the Step Functions console',
      value: this.canary.executionsConsoleUrl,
    });
  }
}
