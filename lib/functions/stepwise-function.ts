import { basename, extname, join } from 'node:path';
import { Aws, type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEPLOYMENT_ALARM_PREFIX } from '../../lambdas/domain/judge/comparison-alarm.ts';
import type { DynamoDbAction } from '../../lambdas/tasks.ts';
import { acknowledgeWildcards, type WildcardResource } from '../nag-findings.ts';
import { ENTRIES_DIR, PROJECT_ROOT } from '../project-paths.ts';
import { LAMBDA_BUNDLE } from './bundle.ts';

export type FunctionLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** What a Stepwise function reads alarms and metrics with: CloudWatch grants no narrower resource than `*`. */
export type AlarmReadAction =
  | 'cloudwatch:DescribeAlarms'
  | 'cloudwatch:DescribeAlarmHistory'
  | 'cloudwatch:GetMetricData';

/** The settings every Stepwise function shares, each with its default. */
export interface StepwiseFunctionOptions {
  /** @default 512: on arm64, CPU grows with memory, which shortens cold starts of the bundled SDK. */
  readonly memorySize?: number;
  /** @default RetentionDays.THREE_MONTHS, as long as Step Functions keeps a closed execution's history. */
  readonly logRetention?: RetentionDays;
  /** Application log level for Powertools and Lambda's log controls. @default 'INFO' */
  readonly logLevel?: FunctionLogLevel;
}

export interface StepwiseFunctionProps extends StepwiseFunctionOptions {
  /** The entry file, relative to `ENTRIES_DIR`, that exports `handler` (`check-alarms.ts`, `control/api.ts`). */
  readonly entry: string;
  /** What the function is, for the role's description; the function's adds its entry file. */
  readonly description: string;
  /** The table the function uses; its name is passed as `TABLE_NAME`. */
  readonly table: ITableV2;
  /** Its DynamoDB actions on the table (not its indexes). @default - none: no table statement */
  readonly tableActions?: readonly DynamoDbAction[];
  /** An index of the table the function queries (`dynamodb:Query` on that index only). @default - none */
  readonly queriesIndex?: string;
  /** Its CloudWatch alarm reads, on `*` (acknowledged). @default - none */
  readonly alarmReads?: readonly AlarmReadAction[];
  /** Any other statements of its inline policy, after the table and alarm ones. @default - none */
  readonly statements?: readonly PolicyStatement[];
  /** The wildcard resources of `statements`, each acknowledged with its reason. @default - none */
  readonly wildcards?: readonly WildcardResource[];
  /** The name of the role's inline policy. */
  readonly policyName: string;
  readonly timeout: Duration;
  /** Variables besides `TABLE_NAME` and the Powertools ones. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Where an asynchronous invocation goes once Lambda's retries are spent (the event as it came).
   * @default - none: a failed asynchronous event is dropped
   */
  readonly deadLetterQueue?: IQueue;
}

/**
 * The alarms Stepwise makes for its deployments, `stepwise-*` in this account and region: the only
 * ones a Stepwise role may create or delete. Pseudo parameters, as for the hook functions.
 */
export const DEPLOYMENT_ALARM_ARNS = `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${DEPLOYMENT_ALARM_PREFIX}*`;

/** The statement that lets a role create or delete the deployments' alarms, and its acknowledged wildcard. */
export function deploymentAlarmGrant(actions: readonly string[]): {
  statement: PolicyStatement;
  wildcard: WildcardResource;
} {
  return {
    statement: new PolicyStatement({
      sid: 'DeploymentAlarms',
      actions: [...actions],
      resources: [DEPLOYMENT_ALARM_ARNS],
    }),
    wildcard: {
      resource: DEPLOYMENT_ALARM_ARNS,
      reason:
        'The comparison alarm of each deployment is named for the deployment at run time; the grant is limited to ' +
        `alarms named ${DEPLOYMENT_ALARM_PREFIX}* in this account and region (DEPLOYMENT_ALARM_PREFIX), which no service alarm is.`,
    },
  };
}

const ALARM_READS_REASON =
  'Read-only alarm checks: the alarms come from each service configuration, and CloudWatch returns ' +
  'composite alarms to DescribeAlarms/DescribeAlarmHistory only when those actions are granted on * ' +
  '(CloudWatch permissions reference); scoped to alarm:* a composite alarm would read as missing and ' +
  'fail the health check, rolling the deployment back. GetMetricData (the baseline comparison) supports ' +
  'no resource-level permissions at all (resource *).';

/**
 * One Stepwise Lambda function with its own role and log group: Node.js 24 on arm64, bundled as ESM
 * with the AWS SDK the tests ran against, traced, logging JSON. The role holds exactly its inline
 * policy (its own log group, its table actions, its alarm reads, `statements`) plus the X-Ray actions
 * CDK adds for tracing. A function without table actions gets no table statement at all.
 * Children: `Logs`, `Role`, `Function`.
 */
export class StepwiseFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: StepwiseFunctionProps) {
    super(scope, id);
    const { entry, table, tableActions = [], alarmReads = [] } = props;
    const logLevel = props.logLevel ?? 'INFO';

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
    if (tableActions.length > 0) {
      statements.push(
        new PolicyStatement({
          sid: 'UseTable',
          actions: tableActions.map((action) => `dynamodb:${action}`),
          resources: [table.tableArn],
        }),
      );
    }
    if (props.queriesIndex) {
      statements.push(
        new PolicyStatement({
          sid: 'QueryIndex',
          actions: ['dynamodb:Query'],
          resources: [`${table.tableArn}/index/${props.queriesIndex}`],
        }),
      );
    }
    const wildcards = [...(props.wildcards ?? [])];
    if (alarmReads.length > 0) {
      statements.push(new PolicyStatement({ sid: 'ReadAlarms', actions: [...alarmReads], resources: ['*'] }));
      wildcards.unshift({ resource: '*', reason: ALARM_READS_REASON });
    }
    statements.push(...(props.statements ?? []));
    // Inline, so the permissions exist as soon as the role does; no AWSLambdaBasicExecutionRole,
    // whose log permissions cover every log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
      inlinePolicies: { [props.policyName]: new PolicyDocument({ statements }) },
    });

    this.function = new NodejsFunction(this, 'Function', {
      description: `${props.description} (lambdas/entries/${entry})`,
      entry: join(ENTRIES_DIR, entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[logLevel],
      environment: {
        TABLE_NAME: table.tableName,
        POWERTOOLS_SERVICE_NAME: `stepwise-${basename(entry, extname(entry))}`,
        POWERTOOLS_LOG_LEVEL: logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        minify: true,
        sourceMap: true,
        // The SDK version the tests ran against, not whichever one the runtime ships this month.
        bundleAwsSDK: true,
        externalModules: [...LAMBDA_BUNDLE.external],
        banner: LAMBDA_BUNDLE.banner,
      },
    });

    // Active tracing makes CDK add xray:PutTraceSegments and xray:PutTelemetryRecords to the role's
    // default policy; the only resource X-Ray accepts for them is "*".
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    acknowledgeWildcards(this.role.node.findChild('Resource'), wildcards);
  }
}
