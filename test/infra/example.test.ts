import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { PROVIDER_CONFIG_CHECKS, PROVIDER_LIMITS } from '../../lambdas/adapters/traffic/providers.ts';
import { validateRegistry } from '../../lambdas/domain/registry.ts';
import { EXAMPLE_SERVICE_NAMES, exampleServices } from '../../lib/example/example-services.ts';
import { buildStepwise, configWrites, fromItem, renderCfn } from './support.ts';

const [{ app, stack: stepwise, example }, plain] = await Promise.all([
  buildStepwise({ context: { example: 'true' } }),
  buildStepwise(),
]);
if (!example) throw new Error('no example stack with context example=true');
const template = Template.fromStack(example);
const id = (construct: { node: { defaultChild?: unknown } }) =>
  example.getLogicalId(construct.node.defaultChild as never);
const ids = (type: string) => Object.keys(template.findResources(type));

describe('the example workload', () => {
  it('is left out of the app unless context example is true', () => {
    expect(plain.example).toBeUndefined();
    expect(plain.app.synth().stacks.map((s) => s.stackName)).toEqual(['Stepwise']);
  });

  it('leaves the Stepwise stack as it is but for the outputs it reads', () => {
    expect(Template.fromStack(stepwise).toJSON().Resources).toEqual(
      Template.fromStack(plain.stack).toJSON().Resources,
    );
  });

  it('synthesizes as <stackName>-example, and cdk-nag finds nothing unacknowledged', () => {
    expect(example.stackName).toBe('Stepwise-example');
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });

  it('acknowledges only what a sample leaves out, each with a reason', () => {
    const acknowledged = example.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([rule, reason]) => ({
            at: construct.node.path.replace('StepwiseExampleStack/', ''),
            rule: rule.replace(/^Annotation::/, '').replace(/\[Resource::.*\]$/, '[Resource::…]'),
            reason,
          })),
        ),
    );
    expect(acknowledged.map(({ at, rule }) => `${at} ${rule}`).sort()).toEqual(
      [
        // aws-cdk-lib's own, for the VPC's availability zones (Stack.availabilityZones).
        'StepwiseExampleStack CloudFormation-Validate::W3010',
        'Vpc AwsSolutions-VPC7',
        'Alb AwsSolutions-ELB2',
        'AlbSecurityGroup AwsSolutions-EC23',
        'Artifacts AwsSolutions-S1',
        'ArtifactReads AwsSolutions-IAM5[Resource::…]',
        // ecs-alb: ECS task definitions and ELB reads (*), the listener's segment rules; lambda-alias:
        // the function's versions.
        'Registry/ProviderAccess AwsSolutions-IAM5[Resource::…]',
        'Registry/ProviderAccess AwsSolutions-IAM5[Resource::…]',
        'Registry/ProviderAccess AwsSolutions-IAM5[Resource::…]',
      ].sort(),
    );
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(60);
  });

  it('has two Fargate services, each in its own target group, behind a listener forwarding by weight', () => {
    const services = template.findResources('AWS::ECS::Service');
    expect(Object.values(services).map((s) => s.Properties.LaunchType)).toEqual(['FARGATE', 'FARGATE']);
    const groups = Object.values(services).map((s) => s.Properties.LoadBalancers[0].TargetGroupArn.Ref);
    expect(new Set(groups).size).toBe(2);
    const [listener] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener'));
    expect(listener?.Properties.DefaultActions).toEqual([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: { Ref: groups[0] }, Weight: 100 },
            { TargetGroupArn: { Ref: groups[1] }, Weight: 0 },
          ],
        },
      },
    ]);
  });

  it('runs both sides with the one task role and execution role its registry entry names', () => {
    const definitions = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const roles = definitions.map((d) => [
      renderCfn(d.Properties.TaskRoleArn),
      renderCfn(d.Properties.ExecutionRoleArn),
    ]);
    expect(roles).toHaveLength(2);
    expect(roles[1]).toEqual(roles[0]);
    const [web] = configWrites(template).map((w) => fromItem(w.create.parameters.Item ?? {}));
    const config = (web as { providerConfig: Record<string, string> }).providerConfig;
    expect([config.taskRoleArn, config.executionRoleArn]).toEqual(roles[0]);
  });

  it('has a Lambda function with the alias live', () => {
    const [alias] = Object.values(template.findResources('AWS::Lambda::Alias'));
    expect(alias?.Properties).toMatchObject({
      Name: 'live',
      FunctionName: { Ref: ids('AWS::Lambda::Function')[0] },
    });
  });

  it('registers its two services with Stepwise, pointing at its own resources', () => {
    const calls = configWrites(template);
    // The table name is read from the Stepwise stack's outputs (weak reference, no export).
    for (const { create } of calls)
      expect(create.parameters.TableName).toMatch(/^<Output:PublishOutputRefTable/);
    const writes = calls.map((w) => fromItem(w.create.parameters.Item ?? {}));
    expect(writes.map((w) => w.service)).toEqual([...EXAMPLE_SERVICE_NAMES]);
    const [web, fn] = writes;
    const listenerId = ids('AWS::ElasticLoadBalancingV2::Listener')[0];
    expect(web).toMatchObject({
      provider: 'ecs-alb',
      providerConfig: {
        cluster: `<Ref:${ids('AWS::ECS::Cluster')[0]}>`,
        services: ids('AWS::ECS::Service').map((s) => `<${s}.Name>`),
        listenerArn: `<Ref:${listenerId}>`,
      },
      strategy: 'canary',
      alarms: [`<Ref:${id(example.node.findChild('Web5xxAlarm') as never)}>`],
    });
    expect(fn).toMatchObject({
      provider: 'lambda-alias',
      providerConfig: { functionName: `<Ref:${ids('AWS::Lambda::Function')[0]}>`, alias: 'live' },
      strategy: 'linear',
    });
  });

  it('has registry entries the runtime accepts (with real identifiers in place of tokens)', () => {
    const services = exampleServices({
      cluster: 'StepwiseExample-ClusterEB0386A7-abc',
      services: ['StepwiseExample-BlueService-1', 'StepwiseExample-GreenService-2'],
      targetGroupArns: [
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/Stepw-BlueT-1/0123456789abcdef',
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/Stepw-Green-2/fedcba9876543210',
      ],
      listenerArn:
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/Stepw-Alb-3/50dc6c495c0c9188/f2f7dc8efc522ab2',
      taskRoleArn: 'arn:aws:iam::123456789012:role/Stepwise-example-WebTaskRole-7',
      executionRoleArn: 'arn:aws:iam::123456789012:role/Stepwise-example-WebExecutionRole-8',
      webAlarm: 'Stepwise-example-Web5xxAlarm-4',
      functionName: 'Stepwise-example-Function76856677-5',
      alias: 'live',
      functionAlarm: 'Stepwise-example-FunctionErrorsAlarm-6',
    });
    expect(() => validateRegistry({ services }, PROVIDER_CONFIG_CHECKS, PROVIDER_LIMITS)).not.toThrow();
  });

  it('grants its services’ provider permissions to the provider-calling task roles and the reconciler', () => {
    const policy = example.registry.providerAccess[0]?.node.defaultChild as never;
    const roles =
      template.findResources('AWS::IAM::ManagedPolicy')[example.getLogicalId(policy)]?.Properties.Roles;
    const logicalIds = [...stepwise.tasks.providerRoles, stepwise.control.reconcile.handler.role].map(
      (role) => stepwise.getLogicalId(role.node.defaultChild as never),
    );
    // Read from the Stepwise stack's outputs (weak references): PublishOutputRef<role logical id><hash>.
    expect((roles as unknown[]).map(renderCfn)).toEqual(
      logicalIds.map((role) => expect.stringMatching(new RegExp(`^<Output:PublishOutputRef${role}`))),
    );
  });

  it('gives the Stepwise provider-calling task roles read access to its artifact bucket only', () => {
    const policy = example.node.findChild('ArtifactReads').node.defaultChild as never;
    const properties = template.findResources('AWS::IAM::Policy')[example.getLogicalId(policy)]?.Properties;
    expect(properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids('AWS::S3::Bucket')[0], 'Arn'] }, '/*']] },
      },
    ]);
    expect(properties.Roles).toHaveLength(stepwise.tasks.providerRoles.length);
  });

  it('refuses a registry file that declares one of its service names', async () => {
    await expect(
      buildStepwise({
        context: { example: true },
        registry: {
          services: [
            {
              name: 'example-web',
              environment: 'dev',
              provider: { kind: 'simulated' },
              strategy: 'canary',
              alarms: [],
            },
          ],
        },
      }),
    ).rejects.toThrow('the registry file declares example-web, which the example workload registers');
  });
});
