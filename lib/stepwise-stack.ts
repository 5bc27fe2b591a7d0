import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { ServiceEntry } from '../lambdas/domain/registry.ts';
import { STRATEGIES, type StrategyName } from '../lambdas/domain/strategy-names.ts';
import { ControlPlane } from './control/control-plane.ts';
import { ServiceRegistry } from './registry/service-registry.ts';
import { StepwiseTable } from './storage/stepwise-table.ts';
import { inCreationOrder, STRATEGY_CONSTRUCTS, stateMachinePlaceholder } from './strategies/strategies.ts';
import type { Strategy } from './strategies/strategy.ts';
import { StrategyStateMachine } from './strategies/strategy-state-machine.ts';
import { TaskFunctions } from './tasks/task-functions.ts';

export interface StepwiseStackProps extends StackProps {
  /**
   * The registered services (the registry file, validated): each one's CONFIG item is written to the
   * table at deploy time and the provider-calling task roles get its provider's permissions.
   * @default - none: the stack deploys no service configuration and no provider permissions
   */
  readonly services?: readonly ServiceEntry[];
  /**
   * Also set the account's API Gateway CloudWatch role (`StepwiseApiProps.cloudWatchRole`), which the
   * API's logging needs once per account and region.
   * @default false: the account's setting is left as it is
   */
  readonly apiGatewayCloudWatchRole?: boolean;
}

/**
 * Stepwise on AWS: the table, one Lambda function per task, and one state machine per strategy
 * (`STRATEGIES`), each named `<stack name>-<strategy>` and allowed to invoke only the functions its
 * ASL file names. A definition may also start other strategies' state machines as child executions,
 * naming each `${<Id>StateMachineArn}` (ring does): it is created after them and may start only those.
 * `Control` (the REST API, dispatch from ECR pushes, the reconciler of ended executions) comes after the
 * state machines, which it starts and watches. With registered services, `Registry` writes their
 * configuration and grants their providers' permissions (to `providerRoles`).
 * Construct ids are a contract: renaming one replaces its resources (the table is
 * retained, not replaced in place).
 *
 * Outputs: `TableName`, and per strategy `<Id>StateMachineArn` and `<Id>ExecutionsConsoleUrl` (`Id` as
 * in `STRATEGY_CONSTRUCTS`: `CanaryStateMachineArn`, `AllAtOnceExecutionsConsoleUrl`, ...). The canary's
 * are also given under their first names, `StateMachineArn` and `ExecutionsConsoleUrl`. `ApiUrl` (the
 * API stage), `DispatchDeadLetterQueueUrl`, `ReconcileDeadLetterQueueUrl` and `AlarmChangedDeadLetterQueueUrl`.
 */
export class StepwiseStack extends Stack {
  readonly table: StepwiseTable;
  readonly tasks: TaskFunctions;
  readonly stateMachines: Readonly<Record<StrategyName, StrategyStateMachine>>;
  /** The API, and the functions run by ECR pushes and by ended executions. */
  readonly control: ControlPlane;
  /** The registered services' configuration and provider grants; undefined when none are registered. */
  readonly registry?: ServiceRegistry;

  constructor(scope: Construct, id: string, props: StepwiseStackProps = {}) {
    const { services = [], apiGatewayCloudWatchRole = false, ...stackProps } = props;
    super(scope, id, stackProps);
    this.table = new StepwiseTable(this, 'Table');
    this.tasks = new TaskFunctions(this, 'Tasks', { table: this.table });

    new CfnOutput(this, 'TableName', {
      description: 'DynamoDB table: service configuration, locks, deployments and the audit trail',
      value: this.table.tableName,
    });

    // A strategy that starts other strategies' state machines (ring) is created after them, and may start them.
    const strategies = new Map(STRATEGIES.map((name) => [name, STRATEGY_CONSTRUCTS[name].create()]));
    const created: Record<string, StrategyStateMachine> = {};
    const stateMachines: Partial<Record<StrategyName, StrategyStateMachine>> = {};
    for (const name of inCreationOrder(STRATEGIES, (name) => strategies.get(name)?.placeholders() ?? [])) {
      const { id: strategyId } = STRATEGY_CONSTRUCTS[name];
      const strategy = new StrategyStateMachine(this, strategyId, {
        strategy: strategies.get(name) as Strategy,
        tasks: this.tasks,
        table: this.table,
        stateMachines: { ...created },
      });
      created[stateMachinePlaceholder(strategyId)] = strategy;
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
    // In STRATEGIES order, whatever order they were created in.
    this.stateMachines = Object.fromEntries(
      STRATEGIES.map((name) => [name, stateMachines[name] as StrategyStateMachine]),
    ) as Record<StrategyName, StrategyStateMachine>;

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

    // After the state machines: the control functions are given their ARNs.
    this.control = new ControlPlane(this, 'Control', {
      table: this.table,
      stateMachines: this.stateMachines,
      cloudWatchRole: apiGatewayCloudWatchRole,
    });
    new CfnOutput(this, 'ApiUrl', {
      description: 'The Stepwise REST API (IAM authentication): the stepwise CLI takes it as --api',
      value: this.control.api.url,
    });
    new CfnOutput(this, 'DispatchDeadLetterQueueUrl', {
      description:
        'ECR push events the dispatch function could not handle (replay: invoke it with a message body)',
      value: this.control.dispatch.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'ReconcileDeadLetterQueueUrl', {
      description:
        'Execution-ended events the reconciler could not handle: traffic, lock or audit trail may be left open',
      value: this.control.reconcile.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'AlarmChangedDeadLetterQueueUrl', {
      description:
        'Alarm events the alarm-changed function could not handle: those bakes ran to their end and were judged there',
      value: this.control.alarmChanged.deadLetterQueue.queueUrl,
    });

    if (services.length > 0) {
      this.registry = new ServiceRegistry(this, 'Registry', {
        table: this.table,
        services,
        providerRoles: this.providerRoles,
      });
    }
  }

  /**
   * The roles that call the traffic providers and so get the registered services' provider grants:
   * the provider-calling task roles (`usesProvider`) and the reconciler's, which restores traffic.
   */
  get providerRoles(): Role[] {
    return [...this.tasks.providerRoles, ...this.control.providerRoles];
  }
}
