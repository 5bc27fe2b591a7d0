import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { STRATEGIES } from '../../lambdas/domain/strategy-names.ts';
import { API_ROUTES, API_STAGE } from '../../lib/control/stepwise-api.ts';
import type { TriggeredFunction } from '../../lib/control/triggers.ts';
import {
  grantLines,
  renderCfn,
  roleStatements,
  synthStepwise,
  TEST_ACCOUNT,
  TEST_REGION,
} from './support.ts';

const { stack, template, logicalId } = await synthStepwise();
const { api, dispatch, reconcile, alarmChanged } = stack.control;
/** Every resource of the template by logical id (`findResources` types their bodies as it does). */
const resources: ReturnType<typeof template.findResources> = template.toJSON().Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const properties = (construct: Parameters<typeof logicalId>[0]) =>
  resources[logicalId(construct)]?.Properties ?? {};

const stateMachineRefs = STRATEGIES.map(
  (name) => `<Ref:${logicalId(stack.stateMachines[name].stateMachine)}>`,
);
const executionsOf = (name: string) =>
  `arn:<Ref:AWS::Partition>:states:<Ref:AWS::Region>:<Ref:AWS::AccountId>:execution:Stepwise-${name}:*`;
const tableArn = `<${logicalId(stack.table)}.Arn>`;

/** One line per action and resource a role (by logical id) allows: `action on resource`. */
const grants = (roleId: string) => grantLines(roleStatements(template, roleId));
const grantsOf = (role: Parameters<typeof logicalId>[0]) => grants(logicalId(role));

/** What every control function may do: its logs, traces, the table and its index, stop the Stepwise executions. */
function commonGrants(logGroup: Parameters<typeof logicalId>[0]): string[] {
  return [
    `logs:CreateLogStream on <${logicalId(logGroup)}.Arn>`,
    `logs:PutLogEvents on <${logicalId(logGroup)}.Arn>`,
    'xray:PutTelemetryRecords on *',
    'xray:PutTraceSegments on *',
    ...['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'].map((a) => `dynamodb:${a} on ${tableArn}`),
    `dynamodb:Query on ${tableArn}/index/byService`,
    ...stateMachineRefs.map((ref) => `states:StartExecution on ${ref}`),
    ...STRATEGIES.map((name) => `states:StopExecution on ${executionsOf(name)}`),
  ];
}

/** The reconciler's only extra: reading how an execution ended. */
const describeExecutions = STRATEGIES.map((name) => `states:DescribeExecution on ${executionsOf(name)}`);

describe('the control plane', () => {
  it('keeps its construct ids: Control/Api, Control/Dispatch, Control/Reconcile', () => {
    expect([api, dispatch, reconcile].map((construct) => construct.node.path)).toEqual([
      'StepwiseStack/Control/Api',
      'StepwiseStack/Control/Dispatch',
      'StepwiseStack/Control/Reconcile',
    ]);
  });

  describe.each([
    { name: 'api', fn: api.handler },
    { name: 'dispatch', fn: dispatch.handler },
    { name: 'reconcile', fn: reconcile.handler },
  ])('the $name function', ({ name, fn }) => {
    const props = properties(fn.function);

    it(`runs lambdas/entries/control/${name}.ts on Node.js 24, arm64, traced, with a 30 s timeout`, () => {
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Timeout: 30,
      });
      expect(props.Description).toContain(`lambdas/entries/control/${name}.ts`);
    });

    it('is told the table, every strategy’s state machine and this account’s ECR registry', () => {
      const variables = props.Environment.Variables;
      expect(variables.TABLE_NAME).toEqual({ Ref: logicalId(stack.table) });
      expect(variables.POWERTOOLS_SERVICE_NAME).toBe(`stepwise-${name}`);
      expect(JSON.parse(renderCfn(variables.STATE_MACHINE_ARNS))).toEqual(
        Object.fromEntries(STRATEGIES.map((strategy, i) => [strategy, stateMachineRefs[i]])),
      );
      expect(renderCfn(variables.REGISTRY_HOST)).toBe(
        '<Ref:AWS::AccountId>.dkr.ecr.<Ref:AWS::Region>.<Ref:AWS::URLSuffix>',
      );
    });
  });

  it('lets the API start only the Stepwise state machines, complete approvals, read alarms and read services in batches', () => {
    expect(grantsOf(api.handler.role)).toEqual(
      [
        ...commonGrants(api.handler.logGroup),
        `dynamodb:BatchGetItem on ${tableArn}`,
        'states:SendTaskSuccess on *',
        'cloudwatch:DescribeAlarms on *',
      ].sort(),
    );
  });

  // The reconciler deletes the alarms a deployment that ended unclosed left, and only those (stepwise-*).
  const deploymentAlarms =
    'cloudwatch:DeleteAlarms on arn:<Ref:AWS::Partition>:cloudwatch:<Ref:AWS::Region>:<Ref:AWS::AccountId>:alarm:stepwise-*';
  it.each([
    ['dispatch', dispatch, []],
    ['reconcile', reconcile, [...describeExecutions, deploymentAlarms]],
  ] as [string, TriggeredFunction, string[]][])(
    'lets %s start only the Stepwise state machines and send to its dead-letter queue, no approvals or alarm reads',
    (_, triggered, extra) => {
      expect(grantsOf(triggered.handler.role)).toEqual(
        [
          ...commonGrants(triggered.handler.logGroup),
          ...extra,
          `sqs:SendMessage on <${logicalId(triggered.deadLetterQueue)}.Arn>`,
        ].sort(),
      );
    },
  );

  it('lets only the reconciler describe executions: the API and dispatch never ask how one ended', () => {
    const describes = (role: Parameters<typeof logicalId>[0]) =>
      grantsOf(role).some((grant) => grant.startsWith('states:DescribeExecution '));
    expect([api, dispatch, reconcile].map((c) => describes(c.handler.role))).toEqual([false, false, true]);
  });

  it('is the only thing besides ring that may start a state machine', () => {
    const starters = ofType('AWS::IAM::Role')
      .filter(([id]) => grants(id).some((grant) => grant.startsWith('states:StartExecution ')))
      .map(([id]) => id)
      .sort();
    expect(starters).toEqual(
      [
        logicalId(api.handler.role),
        logicalId(dispatch.handler.role),
        logicalId(reconcile.handler.role),
        resources[logicalId(stack.stateMachines.ring.stateMachine)]?.Properties.RoleArn['Fn::GetAtt'][0],
      ].sort(),
    );
  });
});

describe('the ECR push rule', () => {
  const rule = properties(dispatch.rule);

  it('matches successful image pushes only', () => {
    expect(rule.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] },
    });
    expect(rule.State).toBe('ENABLED');
  });
});

describe('the execution status-change rule', () => {
  const rule = properties(reconcile.rule);

  it('matches every ended execution, SUCCEEDED included, of every Stepwise state machine and no other', () => {
    const { stateMachineArn, ...detail } = rule.EventPattern.detail;
    expect({ ...rule.EventPattern, detail }).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    expect((stateMachineArn as unknown[]).map(renderCfn).sort()).toEqual([...stateMachineRefs].sort());
  });
});

describe('the alarm state-change rule', () => {
  const rule = properties(alarmChanged.rule);

  it('matches every CloudWatch alarm going into ALARM, and no other change', () => {
    expect(rule.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { state: { value: ['ALARM'] } },
    });
  });

  it('runs the alarm-changed function, EventBridge retrying for up to 15 minutes (a later event ends no bake)', () => {
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(alarmChanged.handler.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(alarmChanged.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 900 },
      }),
    ]);
  });

  it('lets the function read the bakes and fail their task tokens, and nothing else: no execution, no other item', () => {
    const logGroup = alarmChanged.handler.logGroup;
    expect(grantsOf(alarmChanged.handler.role).sort()).toEqual(
      [
        `logs:CreateLogStream on <${logicalId(logGroup)}.Arn>`,
        `logs:PutLogEvents on <${logicalId(logGroup)}.Arn>`,
        'xray:PutTelemetryRecords on *',
        'xray:PutTraceSegments on *',
        `dynamodb:Query on ${tableArn}`,
        'states:SendTaskFailure on *',
        `sqs:SendMessage on <${logicalId(alarmChanged.deadLetterQueue)}.Arn>`,
      ].sort(),
    );
  });
});

describe('the reconcile sweep', () => {
  it('runs the reconciler every 5 minutes, retrying briefly, dead-lettering to its queue', () => {
    const rule = properties(reconcile.scheduleRule as NonNullable<TriggeredFunction['scheduleRule']>);
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(reconcile.handler.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(reconcile.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
      }),
    ]);
  });

  it('is not given to dispatch', () => {
    expect(dispatch.scheduleRule).toBeUndefined();
  });
});

describe.each([
  { name: 'dispatch', triggered: dispatch, output: 'DispatchDeadLetterQueueUrl' },
  { name: 'reconcile', triggered: reconcile, output: 'ReconcileDeadLetterQueueUrl' },
])('the $name trigger', ({ name, triggered, output }) => {
  const rules = [triggered.rule, ...(triggered.scheduleRule ? [triggered.scheduleRule] : [])];
  const queueId = logicalId(triggered.deadLetterQueue);
  const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };

  it(`runs ${name}, EventBridge retrying 8 times for up to 2 hours, then dead-lettering the event`, () => {
    expect(properties(triggered.rule).Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(triggered.handler.function), 'Arn'] },
        DeadLetterConfig: { Arn: queueArn },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      }),
    ]);
  });

  it('has a dead-letter queue, encrypted, keeping messages 14 days', () => {
    expect(resources[queueId]?.Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
  });

  it('refuses requests to the queue without TLS, and takes events from its rule only', () => {
    const [[, policy] = []] = ofType('AWS::SQS::QueuePolicy').filter(([, p]) =>
      JSON.stringify(p.Properties.Queues).includes(queueId),
    );
    expect(policy?.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: queueArn,
        }),
        ...rules.map((rule) =>
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(rule), 'Arn'] } } },
            Resource: queueArn,
          }),
        ),
      ]),
    );
  });

  it('dead-letters the events the function failed on after Lambda’s own retries to the same queue', () => {
    expect(properties(triggered.handler.function).DeadLetterConfig).toEqual({ TargetArn: queueArn });
  });

  it(`is the output ${output}`, () => {
    expect(template.findOutputs(output)[output]?.Value).toEqual({ Ref: queueId });
  });

  it('lets only its rules invoke the function', () => {
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) =>
        JSON.stringify(p.Properties.FunctionName) ===
        JSON.stringify({ 'Fn::GetAtt': [logicalId(triggered.handler.function), 'Arn'] }),
    );
    expect(permissions.map(([, p]) => [p.Properties.Principal, p.Properties.SourceArn])).toEqual(
      rules.map((rule) => ['events.amazonaws.com', { 'Fn::GetAtt': [logicalId(rule), 'Arn'] }]),
    );
  });
});

describe('the REST API', () => {
  const restApiId = logicalId(api.restApi);
  const stage = properties(api.restApi.deploymentStage);
  const stageRef = `<Ref:${logicalId(api.restApi.deploymentStage)}>`;

  /** A resource's path, from its PathPart and its parents' up to the API's root. */
  function pathOf(resourceId: unknown): string {
    const ref = (resourceId as { Ref?: string }).Ref;
    if (!ref) return '';
    const { ParentId, PathPart } = resources[ref]?.Properties ?? {};
    return `${pathOf(ParentId)}/${PathPart}`;
  }
  const methods = ofType('AWS::ApiGateway::Method').map(([, method]) => method.Properties);

  it('serves exactly the routes the API function routes', () => {
    expect(API_ROUTES.map(({ method, path }) => `${method} ${path}`)).toEqual(
      ROUTES.map(({ method, path }) => `${method} ${path}`),
    );
    expect(methods.map((method) => `${method.HttpMethod} ${pathOf(method.ResourceId)}`).sort()).toEqual(
      [
        'POST /deployments',
        'GET /deployments',
        'GET /deployments/{id}',
        'GET /deployments/{id}/audit',
        'POST /deployments/{id}/approve',
        'POST /deployments/{id}/abort',
        'POST /deployments/{id}/promote',
        'POST /deployments/{id}/resume',
        'GET /services',
        'GET /services/{name}',
        'GET /services/{name}/deployments',
        'POST /services/{name}/rollback',
      ].sort(),
    );
  });

  it('requires IAM authentication on every method and proxies each to the API function', () => {
    for (const method of methods) {
      expect(method.AuthorizationType, `${method.HttpMethod} ${pathOf(method.ResourceId)}`).toBe('AWS_IAM');
      expect(method.Integration.Type).toBe('AWS_PROXY');
      expect(renderCfn(method.Integration.Uri)).toContain(
        `<${logicalId(api.handler.function)}.Arn>/invocations`,
      );
    }
  });

  it('lets API Gateway invoke the function for each method on its stage only, never from the console test', () => {
    const permissions = ofType('AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter((p) => JSON.stringify(p.FunctionName).includes(logicalId(api.handler.function)));
    expect(permissions.every((p) => p.Principal === 'apigateway.amazonaws.com')).toBe(true);
    expect(permissions.map((p) => renderCfn(p.SourceArn)).sort()).toEqual(
      API_ROUTES.map(
        ({ method, path }) =>
          `arn:aws:execute-api:${TEST_REGION}:${TEST_ACCOUNT}:` +
          `<Ref:${restApiId}>/${stageRef}/${method}${path.replace(/\{[^}]+\}/g, '*')}`,
      ).sort(),
    );
  });

  it(`is deployed to the stage ${API_STAGE}, throttled at 20 requests a second with bursts of 40`, () => {
    expect(stage.StageName).toBe(API_STAGE);
    expect(stage.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 20,
        ThrottlingBurstLimit: 40,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
      }),
    ]);
    expect(stage.TracingEnabled).toBe(true);
  });

  it('writes a JSON access log with the caller to its own log group', () => {
    expect(stage.AccessLogSetting.DestinationArn).toEqual({
      'Fn::GetAtt': [logicalId(api.accessLogs), 'Arn'],
    });
    const format = JSON.parse(stage.AccessLogSetting.Format) as Record<string, string>;
    expect(format).toMatchObject({
      caller: '$context.identity.caller',
      user: '$context.identity.user',
      httpMethod: '$context.httpMethod',
      resourcePath: '$context.resourcePath',
      status: '$context.status',
    });
  });

  it('leaves the account’s API Gateway CloudWatch role alone unless asked: it is account-wide', () => {
    expect(ofType('AWS::ApiGateway::Account')).toEqual([]);
    expect(api.restApi.node.tryFindChild('CloudWatchRole')).toBeUndefined();
  });

  it('sets the account’s API Gateway CloudWatch role, which logging needs, with context apiGatewayCloudWatchRole=true', async () => {
    const withRole = await synthStepwise({ context: { apiGatewayCloudWatchRole: 'true' } });
    const all: ReturnType<typeof template.findResources> = withRole.template.toJSON().Resources;
    const accounts = Object.entries(all).filter(([, r]) => r.Type === 'AWS::ApiGateway::Account');
    expect(accounts).toHaveLength(1);
    const [[accountId, account] = []] = accounts;
    const roleId = account?.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    expect(all[roleId]?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'apigateway.amazonaws.com' } }),
    ]);
    const stageId = withRole.logicalId(withRole.stack.control.api.restApi.deploymentStage);
    expect(all[stageId]?.DependsOn).toContain(accountId);
  });

  it('is the output ApiUrl, the stage URL the CLI takes as --api', () => {
    const outputs = template.findOutputs('*');
    expect(renderCfn(outputs.ApiUrl?.Value)).toBe(
      `https://<Ref:${restApiId}>.execute-api.${TEST_REGION}.<Ref:AWS::URLSuffix>/${stageRef}/`,
    );
    // No second output with the same URL.
    expect(Object.values(outputs).filter((o) => renderCfn(o.Value).includes('execute-api'))).toHaveLength(1);
  });
});
