import { Validations } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { TASKS } from '../../lambdas/tasks.ts';
import {
  REAL_LISTENER,
  REAL_PROVIDERS,
  REAL_TEST_LISTENER,
  writeRegistry,
  ZIP_FUNCTION,
} from './registries.ts';
import { actionsOf, grantLines, roleStatements, synthStepwise } from './support.ts';

const { stack, template, logicalId } = await synthStepwise({
  context: { config: writeRegistry(REAL_PROVIDERS) },
});
// Four services' grants fit one managed policy.
const [policyConstruct, ...more] = stack.registry?.providerAccess ?? [];
if (!policyConstruct || more.length > 0) throw new Error('expected one ProviderAccess policy');
const policy = template.findResources('AWS::IAM::ManagedPolicy')[logicalId(policyConstruct)]?.Properties;

/** `arn:<partition>:<service>:<region>:<account>:<resource>` as the stack names it (pseudo parameters). */
const local = (service: string, resource: string) =>
  `arn:<Ref:AWS::Partition>:${service}:<Ref:AWS::Region>:<Ref:AWS::AccountId>:${resource}`;

const PASSED_TO_ECS_TASKS = ' if {"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}';
const rulesOf = (listener: string) => `${listener.replace(':listener/', ':listener-rule/')}/*`;

/** What each service's provider may do, written out from docs/providers and the Service Authorization Reference. */
const EXPECTED: Record<string, string[]> = {
  'ecs-alb (shop-web)': [
    ...['shop-blue', 'shop-green'].flatMap((s) => [
      `ecs:DescribeServices on ${local('ecs', `service/prod/${s}`)}`,
      // A pre-2021 service's own ARN, read only so that Prepare can refuse it with the way out.
      `ecs:DescribeServices on ${local('ecs', `service/${s}`)}`,
      `ecs:UpdateService on ${local('ecs', `service/prod/${s}`)}`,
    ]),
    'ecs:DescribeTaskDefinition on *',
    'ecs:RegisterTaskDefinition on *',
    `iam:PassRole on arn:aws:iam::123456789012:role/shop/web-task${PASSED_TO_ECS_TASKS}`,
    `iam:PassRole on arn:aws:iam::123456789012:role/shop/web-execution${PASSED_TO_ECS_TASKS}`,
    'elasticloadbalancing:DescribeListeners on *',
    'elasticloadbalancing:DescribeRules on *',
    'elasticloadbalancing:DescribeTargetHealth on *',
    `elasticloadbalancing:ModifyListener on ${REAL_LISTENER}`,
    `elasticloadbalancing:ModifyListener on ${REAL_TEST_LISTENER}`,
    `elasticloadbalancing:CreateRule on ${REAL_LISTENER}`,
    `elasticloadbalancing:CreateRule on ${rulesOf(REAL_LISTENER)}`,
    `elasticloadbalancing:ModifyRule on ${rulesOf(REAL_LISTENER)}`,
    `elasticloadbalancing:DeleteRule on ${rulesOf(REAL_LISTENER)}`,
  ],
  'ecs-rolling (billing)': [
    ...['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:TagResource', 'ecs:UntagResource'].map(
      (action) => `${action} on arn:aws:ecs:eu-west-1:123456789012:service/prod/billing`,
    ),
    'ecs:DescribeServices on arn:aws:ecs:eu-west-1:123456789012:service/billing',
    'ecs:DescribeTaskDefinition on *',
    'ecs:RegisterTaskDefinition on *',
    'ecs:ListTaskDefinitions on *',
    `iam:PassRole on arn:aws:iam::123456789012:role/billing-execution${PASSED_TO_ECS_TASKS}`,
    `ecs:TagResource on ${local('ecs', 'task-definition/*')} if {"StringEquals":{"ecs:CreateAction":"RegisterTaskDefinition"}}`,
  ],
  ...Object.fromEntries(
    ['thumbnails'].map((fn) => [
      `lambda-alias (${fn})`,
      [
        ...[
          'lambda:GetFunction',
          'lambda:ListVersionsByFunction',
          'lambda:UpdateFunctionCode',
          'lambda:PublishVersion',
          'lambda:TagResource',
          'lambda:ListTags',
          'lambda:GetFunctionConfiguration',
          'lambda:GetAlias',
          'lambda:UpdateAlias',
        ].map((action) => `${action} on ${local('lambda', `function:${fn}`)}`),
        `lambda:GetFunctionConfiguration on ${local('lambda', `function:${fn}:*`)}`,
        `lambda:GetAlias on ${local('lambda', `function:${fn}:live`)}`,
        `lambda:UpdateAlias on ${local('lambda', `function:${fn}:live`)}`,
      ],
    ]),
  ),
  // The image function: Lambda pulls with its own principal, and may add that pull statement to the
  // repository policy during UpdateFunctionCode if the caller may read and set it. No ECR read.
  'lambda-alias (thumbnails) image': [
    `ecr:GetRepositoryPolicy on ${local('ecr', 'repository/media/thumbnails')}`,
    `ecr:SetRepositoryPolicy on ${local('ecr', 'repository/media/thumbnails')}`,
  ],
  'appconfig-flag (new-checkout)': (() => {
    const application = local('appconfig', 'application/abc1234');
    const profile = `${application}/configurationprofile/prf9012`;
    const environment = `${application}/environment/env5678`;
    const strategy = local('appconfig', 'deploymentstrategy/qk4zs2x');
    const on = (actions: string[], resources: string[]) =>
      actions.flatMap((action) => resources.map((resource) => `appconfig:${action} on ${resource}`));
    return [
      ...on(
        ['GetApplication', 'GetEnvironment', 'GetConfigurationProfile', 'GetDeploymentStrategy'],
        [application, environment, profile, strategy],
      ),
      ...on(
        [
          'ListHostedConfigurationVersions',
          'GetHostedConfigurationVersion',
          'CreateHostedConfigurationVersion',
        ],
        [application, profile, `${profile}/hostedconfigurationversion/*`],
      ),
      ...on(
        ['ListDeployments', 'GetDeployment', 'StartDeployment', 'StopDeployment'],
        [application, profile, environment, `${environment}/deployment/*`, strategy],
      ),
    ];
  })(),
};

/** Actions the Service Authorization Reference lists with no resource type: `*` is their only resource. */
const NO_RESOURCE_LEVEL = [
  'ecs:DescribeTaskDefinition',
  'ecs:RegisterTaskDefinition',
  'ecs:ListTaskDefinitions',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetHealth',
];

describe('the provider permissions of registered services', () => {
  const granted = grantLines(policy.PolicyDocument.Statement);

  it('are exactly what each provider calls, on exactly the registered resources', () => {
    expect(granted).toEqual([...new Set(Object.values(EXPECTED).flat())].sort());
  });

  it('use * only for actions without resource-level permissions', () => {
    const everywhere = granted.filter((line) => / on \*( if |$)/.test(line));
    expect([...new Set(everywhere.map((line) => line.split(' ')[0]))].sort()).toEqual(
      [...NO_RESOURCE_LEVEL].sort(),
    );
  });

  it('pass to ECS tasks only the roles the services’ configs name', () => {
    expect(granted.filter((line) => line.startsWith('iam:PassRole'))).toEqual(
      [
        'arn:aws:iam::123456789012:role/billing-execution',
        'arn:aws:iam::123456789012:role/shop/web-execution',
        'arn:aws:iam::123456789012:role/shop/web-task',
      ].map((role) => `iam:PassRole on ${role}${PASSED_TO_ECS_TASKS}`),
    );
  });

  it('never let a provider pass a role when its config names none', async () => {
    const [web] = REAL_PROVIDERS.services;
    const { taskRoleArn: _task, executionRoleArn: _execution, ...provider } = web?.provider ?? {};
    const bare = await synthStepwise({
      context: { config: writeRegistry({ services: [{ ...web, provider }] }) },
    });
    const lines = grantLines(
      Object.values(bare.template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      ),
    );
    expect(lines.filter((line) => line.startsWith('iam:'))).toEqual([]);
    expect(lines).toContain('ecs:RegisterTaskDefinition on *');
  });

  it('give ECR permissions only on the repository of an image function, never ECR reads or *', () => {
    expect(granted.filter((line) => line.startsWith('ecr:'))).toEqual([
      `ecr:GetRepositoryPolicy on ${local('ecr', 'repository/media/thumbnails')}`,
      `ecr:SetRepositoryPolicy on ${local('ecr', 'repository/media/thumbnails')}`,
    ]);
  });

  it('give a .zip function read on its artifact bucket and no ECR permission at all', async () => {
    const zip = await synthStepwise({ context: { config: writeRegistry({ services: [ZIP_FUNCTION] }) } });
    const lines = grantLines(
      Object.values(zip.template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      ),
    );
    expect(lines.filter((line) => !line.startsWith('lambda:'))).toEqual([
      's3:GetObject on arn:<Ref:AWS::Partition>:s3:::media-artifacts/*',
    ]);
  });

  it('go to the tasks that call the traffic provider and to the reconciler, and to no other', () => {
    const providerTasks = TASKS.filter((task) => task.usesProvider);
    expect(providerTasks.map((task) => task.id)).toEqual([
      'PrepareCandidate',
      'ShiftTraffic',
      'RouteSegment',
      'RecreateStep',
      'Promote',
      'RollBack',
    ]);
    const { api, dispatch, reconcile } = stack.control;
    expect(policy.Roles).toEqual([
      ...providerTasks.map((task) => ({ Ref: logicalId(stack.tasks.get(task.id).role) })),
      { Ref: logicalId(reconcile.handler.role) },
    ]);
    const callsProviders = (role: string) =>
      roleStatements(template, role)
        .flatMap(actionsOf)
        .some((a) => /^(ecs|elasticloadbalancing|lambda:Get|appconfig|iam):/.test(a));
    for (const task of TASKS) {
      expect(callsProviders(logicalId(stack.tasks.get(task.id).role)), task.id).toBe(
        Boolean(task.usesProvider),
      );
    }
    // The reconciler restores traffic when an execution could not; the API and dispatch only start executions.
    expect(callsProviders(logicalId(reconcile.handler.role))).toBe(true);
    expect(callsProviders(logicalId(api.handler.role))).toBe(false);
    expect(callsProviders(logicalId(dispatch.handler.role))).toBe(false);
  });

  it('are acknowledged for cdk-nag only where a resource has a wildcard, each with a reason', () => {
    const acknowledged = policyConstruct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    const finding = (resource: string) =>
      `Annotation::AwsSolutions-IAM5[Resource::${resource.replace(/<Ref:([^>]+)>/g, '<$1>')}]`;
    expect(acknowledged.map(([id]) => id).sort()).toEqual(
      [
        '*',
        rulesOf(REAL_LISTENER),
        local('ecs', 'task-definition/*'),
        local('lambda', 'function:thumbnails:*'),
        `${local('appconfig', 'application/abc1234')}/configurationprofile/prf9012/hostedconfigurationversion/*`,
        `${local('appconfig', 'application/abc1234')}/environment/env5678/deployment/*`,
      ]
        .map(finding)
        .sort(),
    );
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(60);
  });
});
