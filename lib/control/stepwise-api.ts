import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_ROUTES } from '../../lambdas/api/api-routes.ts';
import { ControlFunction, type ControlFunctionProps } from './control-function.ts';

export { API_ROUTES };

/** The stage the API is deployed to: the last segment of `ApiUrl`. Renaming it changes the URL. */
export const API_STAGE = 'v1';

export interface StepwiseApiProps
  extends Omit<
    ControlFunctionProps,
    | 'entry'
    | 'description'
    | 'sendsTaskTokens'
    | 'describesExecutions'
    | 'alarmReads'
    | 'timeout'
    | 'deadLetterQueue'
  > {
  /**
   * Requests per second the stage accepts in the steady state, across all callers; more get 429.
   * @default 20: people and CI pipelines make a few requests a second (a long poll is one request
   * held up to 25 s); the cap bounds what a runaway script costs in Lambda, DynamoDB and Step Functions.
   */
  readonly throttlingRateLimit?: number;
  /** Requests the stage accepts at once above the rate (the token bucket's size). @default 40 */
  readonly throttlingBurstLimit?: number;
  /** @default RetentionDays.ONE_YEAR: the access log is the only record of who called the API, refusals included. */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Create a role for API Gateway to write CloudWatch Logs with and make it the account's
   * (`AWS::ApiGateway::Account`). The stage's access and execution logs need that setting, once per
   * account and region, but it is account-wide: setting it here replaces a role another stack or team
   * may own, and the role stays set when this stack goes.
   * @default false: the account must already have one (any API Gateway logging sets it up)
   */
  readonly cloudWatchRole?: boolean;
}

/**
 * The Stepwise REST API on AWS: an API Gateway REST API (regional) whose every method requires IAM
 * authentication (SigV4; a caller needs `execute-api:Invoke` on it) and proxies to the API function
 * (`lambdas/entries/control/api.ts`, 30 s timeout: API Gateway's 29 s integration timeout ends a
 * request first, and long polls stop at 25 s). The stage `API_STAGE` is throttled, writes a JSON
 * access log (caller, method, path, status) to its own log group, logs execution errors, and is traced.
 *
 * Children: `Handler` (the function), `AccessLogs`, `RestApi`.
 */
export class StepwiseApi extends Construct {
  readonly handler: ControlFunction;
  readonly restApi: RestApi;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: StepwiseApiProps) {
    super(scope, id);
    const {
      throttlingRateLimit = 20,
      throttlingBurstLimit = 40,
      accessLogRetention,
      cloudWatchRole = false,
      ...fn
    } = props;

    this.handler = new ControlFunction(this, 'Handler', {
      ...fn,
      entry: 'api',
      description: 'the REST API (API Gateway proxy)',
      sendsTaskTokens: true,
      // GET /services reads the services' statuses 100 at a time.
      readsInBatches: true,
      // Pre-flight: a deployment is refused up front when its alarms are missing or already firing.
      alarmReads: ['cloudwatch:DescribeAlarms'],
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: accessLogRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'Stepwise: deployments and services (IAM authentication)',
      endpointTypes: [EndpointType.REGIONAL],
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      // Logging needs the account's API Gateway CloudWatch role (one per account and region), which is
      // account-wide: set only when asked. Retained when the stack goes (CDK's default), because other
      // APIs of the account log through the same setting.
      cloudWatchRole,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit,
        throttlingBurstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        // Errors only, and no request or response bodies: the access log says who did what.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
      },
    });
    // The stage URL is the stack output ApiUrl; the RestApi's own Endpoint output would repeat it.
    this.restApi.node.tryRemoveChild('Endpoint');

    // One permission per method, for this stage only. No test-invoke permission: the console's Test
    // button (TestInvokeMethod) skips IAM authentication of the request.
    const integration = new LambdaIntegration(this.handler.function, { allowTestInvoke: false });
    for (const { method, path } of API_ROUTES) {
      this.restApi.root.resourceForPath(path).addMethod(method, integration);
    }

    this.acknowledgeFindings(cloudWatchRole);
  }

  /** The stage's URL, ending in `/`: what the CLI's `--api` takes. */
  get url(): string {
    return this.restApi.url;
  }

  private acknowledgeFindings(cloudWatchRole: boolean) {
    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Request bodies and query strings are validated by the API function against the JSON schemas the local ' +
          'server also uses, answering 400 with the bad field named; an API Gateway model would be a second copy ' +
          'of those schemas with vaguer errors. Path parameters are present by construction of the resources.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'The API uses IAM authorization (AuthorizationType.IAM) on every method instead of a Cognito user pool: ' +
          'its callers are IAM principals (the stepwise CLI, CI roles) allowed by execute-api:Invoke in their policies.',
      },
    );
    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Every method requires IAM (SigV4) authentication, so API Gateway refuses an unsigned or unauthorized ' +
        'request before the function runs, and the stage is throttled; a WAF web ACL would add a monthly charge ' +
        'for no further protection of an API only IAM principals of the account can call. Associate one if ' +
        'your organisation requires it.',
    });
    if (!cloudWatchRole) return;
    Validations.of(this.restApi.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level CloudWatch role (needed for execution logging) takes this AWS-managed " +
        'policy, as the API Gateway developer guide sets it up; it lets API Gateway write only logs.',
    });
  }
}
