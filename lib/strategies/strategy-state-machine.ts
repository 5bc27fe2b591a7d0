import { Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TaskFunctions } from '../tasks/task-functions.ts';
import { sdkActions } from './placeholders.ts';
import type { ChildStateMachine, Strategy } from './strategy.ts';

export interface StrategyStateMachineProps {
  readonly strategy: Strategy;
  /** The task functions; the strategy takes the ones its definition names by placeholder. */
  readonly tasks: TaskFunctions;
  /**
   * The state machines the strategy may start as child executions, keyed by the placeholder that
   * names each (`${CanaryStateMachineArn}`); it takes the ones its definition uses. @default - none
   */
  readonly stateMachines?: Readonly<Record<string, ChildStateMachine>>;
  /** The Stepwise table: a definition's `aws-sdk:dynamodb:*` tasks (the Bake state) write to it. */
  readonly table: ITableV2;
  /** @default RetentionDays.THREE_MONTHS, as long as Step Functions keeps a closed execution's history. */
  readonly logRetention?: RetentionDays;
}

/**
 * The managed rule Step Functions puts in the account to learn when a child execution started with
 * `startExecution.sync` ends (Step Functions developer guide, IAM policies for nested executions).
 */
const SYNC_EXECUTION_RULE_ARN = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;

/** Every execution of the state machine named `name`, in this account and region. */
export const executionArns = (name: string) =>
  `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${name}:*`;
/** `executionArns(name)` as cdk-nag names it in an AwsSolutions-IAM5 finding. */
const executionArnsFinding = (name: string) =>
  `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*`;

/**
 * The Standard state machine of one strategy, named `<stack name>-<strategy>` so the console lists
 * it by name, built from the strategy's ASL file as it is (`fromString`, so the definition is in the
 * template for tests and `cdk diff`). It logs every event, errors included, without execution data,
 * and is traced. It may invoke exactly the functions and start exactly the state machines its
 * definition names.
 */
export class StrategyStateMachine extends Construct implements ChildStateMachine {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  /** `<stack name>-<strategy>`, a literal (unlike `stateMachine.stateMachineName`, a token). */
  readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: StrategyStateMachineProps) {
    super(scope, id);
    const { strategy } = props;
    const config = strategy.bind(props.tasks, props.stateMachines, props.table.tableName);
    const stateMachineName = `${Stack.of(this).stackName}-${strategy.name}`;
    this.stateMachineName = stateMachineName;

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
      // No execution data: an approval's input carries its task token, and anyone who could read the
      // log and call states:SendTaskSuccess could answer the approval. The execution history (its own
      // permission) and the audit trail keep the data.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
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

    // Its SDK integrations, from the ASL too: the Bake state's dynamodb:putItem.waitForTaskToken, on
    // the table only (Step Functions calls with the state machine's role).
    const sdk = sdkActions(config.definition);
    const foreign = sdk.filter((action) => !action.startsWith('dynamodb:'));
    if (foreign.length > 0) {
      throw new Error(
        `strategy ${strategy.name} calls ${foreign.join(', ')}: only the table's DynamoDB actions are granted`,
      );
    }
    if (sdk.length > 0) {
      const integrations = new Policy(this, 'SdkIntegrations', {
        roles: [this.stateMachine.role],
        statements: [new PolicyStatement({ actions: sdk, resources: [props.table.tableArn] })],
      });
      this.stateMachine.node.findChild('Resource').node.addDependency(integrations);
    }

    const children = config.childStateMachines;
    if (children.length > 0) {
      // startExecution.sync:2 from a file: start exactly the state machines the ASL names, and, to wait
      // for them, describe and stop their executions and keep the managed rule that reports their end.
      const startChildren = new Policy(this, 'StartChildren', {
        roles: [this.stateMachine.role],
        statements: [
          new PolicyStatement({
            actions: ['states:StartExecution'],
            resources: children.map((child) => child.stateMachineArn),
          }),
          new PolicyStatement({
            actions: ['states:DescribeExecution', 'states:StopExecution'],
            resources: children.map((child) => executionArns(child.stateMachineName)),
          }),
          new PolicyStatement({
            actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
            resources: [SYNC_EXECUTION_RULE_ARN],
          }),
        ],
      });
      this.stateMachine.node.findChild('Resource').node.addDependency(startChildren);
      Validations.of(startChildren).acknowledge(
        ...children.map((child) => ({
          id: `AwsSolutions-IAM5[Resource::${executionArnsFinding(child.stateMachineName)}]`,
          reason:
            `Child executions of ${child.stateMachineName} are named per deployment at run time; ` +
            'startExecution.sync:2 describes and stops them, so the grant covers the executions of that ' +
            'one state machine only (Step Functions IAM policies for nested executions).',
        })),
      );
    }

    Validations.of(this.stateMachine.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by CDK for logging and tracing: the CloudWatch Logs delivery actions (logs:CreateLogDelivery and ' +
        'related) and X-Ray actions (xray:PutTraceSegments and related) support no resource-level permissions.',
    });
  }

  /** The state machine's ARN (`Ref`), under the name `ChildStateMachine` gives it. */
  get stateMachineArn(): string {
    return this.stateMachine.stateMachineArn;
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
