import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TaskFunctions } from '../tasks/task-functions.ts';
import type { Strategy } from './strategy.ts';

export interface StrategyStateMachineProps {
  readonly strategy: Strategy;
  /** The task functions; the strategy takes the ones its definition names by placeholder. */
  readonly tasks: TaskFunctions;
  /** @default RetentionDays.THREE_MONTHS, as long as Step Functions keeps a closed execution's history. */
  readonly logRetention?: RetentionDays;
}

/**
 * The Standard state machine of one strategy, named `<stack name>-<strategy>` so the console lists
 * it by name, built from the strategy's ASL file as it is (`fromString`, so the definition is in the
 * template for tests and `cdk diff`). It logs every event with execution data and is traced.
 */
export class StrategyStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: StrategyStateMachineProps) {
    super(scope, id);
    const { strategy } = props;
    const config = strategy.bind(props.tasks);
    const stateMachineName = `${Stack.of(this).stackName}-${strategy.name}`;

    this.logGroup = new LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from growing per log group.
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      // The audit trail lives in the retained table; these logs are operational and expire anyway.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(config.definition),
      definitionSubstitutions: config.definitionSubstitutions,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });

    // A definition read from a file gets no automatic grants: invoke exactly the functions the ASL names,
    // unqualified, as it names them (plain lambda:invoke and the approval's .waitForTaskToken both call
    // lambda:InvokeFunction). Its own policy keeps it apart from the statements CDK adds.
    const invoke = new Policy(this, 'InvokeTasks', {
      roles: [this.stateMachine.role],
      statements: [
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: config.functions.map((taskFunction) => taskFunction.function.functionArn),
        }),
      ],
    });
    // Nothing can start an execution that cannot invoke its tasks. On the state machine resource only:
    // the construct also holds the role, which the policy itself depends on.
    this.stateMachine.node.findChild('Resource').node.addDependency(invoke);

    Validations.of(this.stateMachine.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by CDK for logging and tracing: the CloudWatch Logs delivery actions (logs:CreateLogDelivery and ' +
        'related) and X-Ray actions (xray:PutTraceSegments and related) support no resource-level permissions.',
    });
  }

  /** The state machine's page in the Step Functions console, which lists its executions. */
  get executionsConsoleUrl(): string {
    const region = Stack.of(this).region;
    return (
      `https://${region}.console.aws.amazon.com/states/home?region=${region}` +
      `#/statemachines/view/${this.stateMachine.stateMachineArn}`
    );
  }
}
