import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { STRATEGIES, type StrategyName } from '../lambdas/domain/strategy-names.ts';
import { StepwiseTable } from './storage/stepwise-table.ts';
import { STRATEGY_CONSTRUCTS } from './strategies/strategies.ts';
import { StrategyStateMachine } from './strategies/strategy-state-machine.ts';
import { TaskFunctions } from './tasks/task-functions.ts';

/**
 * Stepwise on AWS: the table, one Lambda function per task, and one state machine per strategy
 * (`STRATEGIES`), each named `<stack name>-<strategy>` and allowed to invoke only the functions its
 * ASL file names. Construct ids are a contract: renaming one replaces its resources (the table is
 * retained, not replaced in place).
 *
 * Outputs: `TableName`, and per strategy `<Id>StateMachineArn` and `<Id>ExecutionsConsoleUrl` (`Id` as
 * in `STRATEGY_CONSTRUCTS`: `CanaryStateMachineArn`, `AllAtOnceExecutionsConsoleUrl`, ...). The canary's
 * are also given under their first names, `StateMachineArn` and `ExecutionsConsoleUrl`.
 */
export class StepwiseStack extends Stack {
  readonly table: StepwiseTable;
  readonly tasks: TaskFunctions;
  readonly stateMachines: Readonly<Record<StrategyName, StrategyStateMachine>>;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.table = new StepwiseTable(this, 'Table');
    this.tasks = new TaskFunctions(this, 'Tasks', { table: this.table });

    new CfnOutput(this, 'TableName', {
      description: 'DynamoDB table: service configuration, locks, deployments and the audit trail',
      value: this.table.tableName,
    });

    const stateMachines: Partial<Record<StrategyName, StrategyStateMachine>> = {};
    for (const name of STRATEGIES) {
      const { id: strategyId, create } = STRATEGY_CONSTRUCTS[name];
      const strategy = new StrategyStateMachine(this, strategyId, { strategy: create(), tasks: this.tasks });
      stateMachines[name] = strategy;
      new CfnOutput(this, `${strategyId}StateMachineArn`, {
        description: `The ${name} state machine: start one execution per deployment`,
        value: strategy.stateMachine.stateMachineArn,
      });
      new CfnOutput(this, `${strategyId}ExecutionsConsoleUrl`, {
        description: `The ${name} state machine and its executions in the Step Functions console`,
        value: strategy.executionsConsoleUrl,
      });
    }
    this.stateMachines = stateMachines as Record<StrategyName, StrategyStateMachine>;

    // The names the stack had when canary was its only strategy; the README and scripts use them.
    new CfnOutput(this, 'StateMachineArn', {
      description: 'The canary state machine (same as CanaryStateMachineArn)',
      value: this.stateMachines.canary.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'ExecutionsConsoleUrl', {
      description:
        'The canary state machine and its executions in the console (same as CanaryExecutionsConsoleUrl)',
      value: this.stateMachines.canary.executionsConsoleUrl,
    });
  }
}
