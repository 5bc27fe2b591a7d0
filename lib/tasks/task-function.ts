import { basename, extname, join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HOOK_FUNCTION_PREFIX, type TaskDefinition } from '../../lambdas/tasks.ts';
import { ENTRIES_DIR, PROJECT_ROOT } from '../project-paths.ts';

/**
 * The Lambda hooks a task with `invokesHooks` may call: functions of this account and region whose
 * name starts with `HOOK_FUNCTION_PREFIX`, and their versions and aliases (`*` also matches `:alias`).
 * Pseudo parameters rather than the stack's env, so the ARN (and its cdk-nag finding) is the same
 * whether or not the stack is bound to an account.
 */
const HOOK_FUNCTION_ARNS = `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${HOOK_FUNCTION_PREFIX}*`;
/** `HOOK_FUNCTION_ARNS` as cdk-nag names it in an AwsSolutions-IAM5 finding. */
const HOOK_FUNCTION_ARNS_FINDING = `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${HOOK_FUNCTION_PREFIX}*`;

export type TaskLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface TaskFunctionProps {
  /** The task from the `TASKS` registry: entry file, placeholder, and the actions it may use. */
  readonly task: TaskDefinition;
  /** The table the task reads and writes; its name is passed as `TABLE_NAME`. */
  readonly table: ITableV2;
  /**
   * @default Duration.seconds(60): under the Task's `TimeoutSeconds` (120) in the state machines, so
   * a hung invocation ends as a Lambda timeout the state machine's Retry sees, not a States.Timeout.
   */
  readonly timeout?: Duration;
  /** @default 512: on arm64, CPU grows with memory, which shortens cold starts of the bundled SDK. */
  readonly memorySize?: number;
  /** @default RetentionDays.THREE_MONTHS, as long as Step Functions keeps a closed execution's history. */
  readonly logRetention?: RetentionDays;
  /** Application log level for Powertools and Lambda's log controls. @default 'INFO' */
  readonly logLevel?: TaskLogLevel;
}

/**
 * One Lambda function for one state-machine task, with its own role and log group. The role holds
 * exactly what the task's `TASKS` entry lists: its DynamoDB actions on the table (not its indexes),
 * its CloudWatch reads if any, invoking `stepwise-hook-*` functions if it runs hooks, and writes to
 * its own log group. A task without DynamoDB actions gets no table statement at all.
 */
export class TaskFunction extends Construct {
  readonly task: TaskDefinition;
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    super(scope, id);
    const { task, table } = props;
    const logLevel = props.logLevel ?? 'INFO';
    this.task = task;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      // The audit trail lives in the retained table; these logs are operational and expire anyway.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const statements = [
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    ];
    if (task.dynamodb.length > 0) {
      statements.push(
        new PolicyStatement({
          sid: 'UseTable',
          actions: task.dynamodb.map((action) => `dynamodb:${action}`),
          resources: [table.tableArn],
        }),
      );
    }
    if (task.cloudwatch?.length) {
      statements.push(
        new PolicyStatement({ sid: 'ReadAlarms', actions: [...task.cloudwatch], resources: ['*'] }),
      );
    }
    if (task.invokesHooks) {
      statements.push(
        new PolicyStatement({
          sid: 'InvokeHooks',
          actions: ['lambda:InvokeFunction'],
          resources: [HOOK_FUNCTION_ARNS],
        }),
      );
    }
    // Inline, so the permissions exist as soon as the role does; no AWSLambdaBasicExecutionRole,
    // whose log permissions cover every log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Stepwise task ${task.id}`,
      inlinePolicies: { Task: new PolicyDocument({ statements }) },
    });

    this.function = new NodejsFunction(this, 'Function', {
      description: `Stepwise task ${task.id} (lambdas/entries/${task.entry})`,
      entry: join(ENTRIES_DIR, task.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      role: this.role,
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[logLevel],
      environment: {
        TABLE_NAME: table.tableName,
        POWERTOOLS_SERVICE_NAME: `stepwise-${basename(task.entry, extname(task.entry))}`,
        POWERTOOLS_LOG_LEVEL: logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // The SDK version the tests ran against, not whichever one the runtime ships this month.
        bundleAwsSDK: true,
        // CommonJS dependencies bundled into ESM still call require().
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });

    // Active tracing makes CDK add xray:PutTraceSegments and xray:PutTelemetryRecords to the role's
    // default policy; the only resource X-Ray accepts for them is "*".
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    if (task.invokesHooks) {
      Validations.of(this.role.node.findChild('Resource')).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${HOOK_FUNCTION_ARNS_FINDING}]`,
        reason:
          `Lambda hooks are named by each service configuration, not known at deploy time; the grant is limited to ` +
          `functions named ${HOOK_FUNCTION_PREFIX}* in this account and region (HOOK_FUNCTION_PREFIX), qualified or not.`,
      });
    }
    if (task.cloudwatch?.length) {
      Validations.of(this.role.node.findChild('Resource')).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Read-only alarm checks: the alarms come from each service configuration, and CloudWatch returns ' +
          'composite alarms to DescribeAlarms/DescribeAlarmHistory only when those actions are granted on * ' +
          '(CloudWatch permissions reference); scoped to alarm:* a composite alarm would read as missing and ' +
          'fail the health check, rolling the deployment back.',
      });
    }
  }
}
