import {
  CfnOutput,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Peer, Port, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  HttpCodeTarget,
  ListenerAction,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Policy, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { nagResourceFinding } from '../nag-findings.ts';
import { ServiceRegistry } from '../registry/service-registry.ts';
import type { StepwiseStack } from '../stepwise-stack.ts';
import { EXAMPLE_SERVICE_NAMES, exampleServices } from './example-services.ts';

export interface ExampleWorkloadStackProps extends StackProps {
  /** The Stepwise stack the example registers its services with (its table and task roles). */
  readonly stepwise: StepwiseStack;
  /** Service names the registry file already declares: the example's must differ. @default - none */
  readonly registered?: readonly string[];
}

/** What the sample container serves; any public image that answers HTTP on port 80 would do. */
const SAMPLE_IMAGE = 'public.ecr.aws/nginx/nginx:stable-alpine';
/** The alias callers invoke; Stepwise moves its weights between versions. */
const FUNCTION_ALIAS = 'live';

/**
 * A small workload to try Stepwise end to end in a sandbox account: `npx cdk deploy --all -c
 * example=true` deploys it after the Stepwise stack, whose table and provider-calling roles it reads.
 *
 *
 * - `example-web`: two Fargate services (blue, green), each in its own target group, behind an
 *   internet-facing ALB whose HTTP listener forwards by weight (blue 100, green 0). Provider ecs-alb.
 * - `example-function`: a Lambda function with the alias `live` on its first version. Provider
 *   lambda-alias. Its new versions are .zip packages uploaded to the `ArtifactsBucket` output and
 *   deployed as `s3://<bucket>/<key>`; Lambda reads them with the task roles' credentials, which
 *   this stack lets read that bucket (the registry names no bucket for a provider grant to scope).
 *
 * Both are registered with Stepwise here, not in the registry file: this stack writes their CONFIG
 * items to the Stepwise table and gives the provider-calling roles (`StepwiseStack.providerRoles`: the
 * task roles and the reconciler's) their permissions, so
 * deleting it unregisters them. Each has a CloudWatch alarm that gates its rollouts.
 *
 * Stepwise changes what CloudFormation created (task definitions, desired counts, listener
 * weights, alias versions): a later deploy of this stack puts them back, as for any resource a
 * deployment tool manages.
 */
export class ExampleWorkloadStack extends Stack {
  readonly registry: ServiceRegistry;

  constructor(scope: Construct, id: string, props: ExampleWorkloadStackProps) {
    const { stepwise, registered = [], ...stackProps } = props;
    super(scope, id, stackProps);
    // Weak references (Fn::GetStackOutput, no exports): the Stepwise stack stays free to replace its
    // table or task roles, and this stack follows at its next deploy instead of blocking that update.
    CrossStackReferences.of(this).consume(ReferenceStrength.WEAK);
    const clash = EXAMPLE_SERVICE_NAMES.filter((name) => registered.includes(name));
    if (clash.length > 0) {
      throw new Error(
        `the registry file declares ${clash.join(', ')}, which the example workload registers; rename it or leave out context example`,
      );
    }

    // Public subnets only: no NAT gateway to pay for; the tasks get public IPs to pull the image.
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
    });
    const cluster = new Cluster(this, 'Cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });

    const albSecurityGroup = new SecurityGroup(this, 'AlbSecurityGroup', {
      vpc,
      description: 'Stepwise example ALB: HTTP from anywhere',
      allowAllOutbound: false,
    });
    albSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(80), 'HTTP from anywhere');
    const alb = new ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
    });

    const logGroup = new LogGroup(this, 'WebLogs', {
      retention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // One task role and one execution role for both sides: Stepwise copies the live side's task
    // definition to the idle side, and may pass to ECS only the roles the registry entry names.
    const taskRole = new Role(this, 'WebTaskRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Stepwise example: the web tasks (no permissions: the sample calls nothing)',
    });
    const executionRole = new Role(this, 'WebExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Stepwise example: ECS starts the web tasks with it (writes their logs)',
    });
    const sides = (['Blue', 'Green'] as const).map((side, i) => {
      const taskDefinition = new FargateTaskDefinition(this, `${side}TaskDefinition`, {
        cpu: 256,
        memoryLimitMiB: 512,
        taskRole,
        executionRole,
      });
      taskDefinition.addContainer('web', {
        image: ContainerImage.fromRegistry(SAMPLE_IMAGE),
        portMappings: [{ containerPort: 80 }],
        logging: LogDrivers.awsLogs({ logGroup, streamPrefix: side.toLowerCase() }),
        essential: true,
      });
      const service = new FargateService(this, `${side}Service`, {
        cluster,
        taskDefinition,
        // Green starts empty: Stepwise scales it up with the candidate and down after promotion.
        desiredCount: i === 0 ? 1 : 0,
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        assignPublicIp: true,
        vpcSubnets: { subnetType: SubnetType.PUBLIC },
        circuitBreaker: { enable: true, rollback: false },
      });
      const targetGroup = new ApplicationTargetGroup(this, `${side}TargetGroup`, {
        vpc,
        port: 80,
        protocol: ApplicationProtocol.HTTP,
        targetType: TargetType.IP,
        healthCheck: { path: '/', interval: Duration.seconds(10), healthyThresholdCount: 2 },
        // Short, so a shift or a rollback drains in seconds.
        deregistrationDelay: Duration.seconds(10),
      });
      service.attachToApplicationTargetGroup(targetGroup);
      return { service, targetGroup };
    });
    const [blue, green] = sides as [(typeof sides)[0], (typeof sides)[0]];
    const listener = alb.addListener('Http', {
      port: 80,
      protocol: ApplicationProtocol.HTTP,
      open: false,
      defaultAction: ListenerAction.weightedForward([
        { targetGroup: blue.targetGroup, weight: 100 },
        { targetGroup: green.targetGroup, weight: 0 },
      ]),
    });
    const webAlarm = new Alarm(this, 'Web5xxAlarm', {
      alarmDescription: 'Stepwise example: the web service answers 5xx',
      metric: alb.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1) }),
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const functionLogs = new LogGroup(this, 'FunctionLogs', {
      retention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const functionRole = new Role(this, 'FunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        Logs: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [functionLogs.logGroupArn],
            }),
          ],
        }),
      },
    });
    const fn = new LambdaFunction(this, 'Function', {
      description: 'Stepwise example: answers with the version that served the request',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: Code.fromInline(
        "export const handler = async () => ({ statusCode: 200, body: 'version ' + process.env.AWS_LAMBDA_FUNCTION_VERSION });",
      ),
      role: functionRole,
      logGroup: functionLogs,
      loggingFormat: LoggingFormat.JSON,
      timeout: Duration.seconds(10),
    });
    const alias = fn.addAlias(FUNCTION_ALIAS);
    // Empty it before deleting the stack: a bucket with objects is not deleted (no auto-delete
    // custom resource for a sample).
    const artifacts = new Bucket(this, 'Artifacts', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const functionAlarm = new Alarm(this, 'FunctionErrorsAlarm', {
      alarmDescription: 'Stepwise example: the function alias fails',
      metric: alias.metricErrors({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.registry = new ServiceRegistry(this, 'Registry', {
      table: stepwise.table,
      providerRoles: stepwise.providerRoles,
      services: exampleServices({
        cluster: cluster.clusterName,
        services: [blue.service.serviceName, green.service.serviceName],
        targetGroupArns: [blue.targetGroup.targetGroupArn, green.targetGroup.targetGroupArn],
        listenerArn: listener.listenerArn,
        taskRoleArn: taskRole.roleArn,
        executionRoleArn: executionRole.roleArn,
        webAlarm: webAlarm.alarmName,
        functionName: fn.functionName,
        alias: FUNCTION_ALIAS,
        functionAlarm: functionAlarm.alarmName,
      }),
    });

    // The task roles only: the reconciler restores traffic between published versions and never reads a package.
    const artifactReads = new Policy(this, 'ArtifactReads', {
      roles: stepwise.tasks.providerRoles,
      statements: [
        new PolicyStatement({ actions: ['s3:GetObject'], resources: [artifacts.arnForObjects('*')] }),
      ],
    });
    Validations.of(artifactReads).acknowledge({
      id: nagResourceFinding(artifactReads, artifacts.arnForObjects('*')),
      reason:
        'Each deployment of example-function names its .zip package (s3://bucket/key), which Lambda reads with ' +
        'the credentials of the calling task role; the keys are not known at deploy time. Read only, this bucket only.',
    });

    new CfnOutput(this, 'Url', {
      description: 'The example web service (blue until a Stepwise rollout shifts traffic)',
      value: `http://${alb.loadBalancerDnsName}/`,
    });
    new CfnOutput(this, 'ArtifactsBucket', {
      description: 'Upload example-function packages here; deploy them as s3://<bucket>/<key>',
      value: artifacts.bucketName,
    });
    new CfnOutput(this, 'FunctionAliasArn', {
      description: 'Invoke this alias to see which version serves',
      value: alias.functionArn,
    });

    this.acknowledgeSampleShortcuts(vpc, alb, albSecurityGroup, artifacts);
  }

  /** What a sample leaves out on purpose, each with its reason (cdk-nag AwsSolutions). */
  private acknowledgeSampleShortcuts(
    vpc: Vpc,
    alb: ApplicationLoadBalancer,
    albSecurityGroup: SecurityGroup,
    artifacts: Bucket,
  ) {
    Validations.of(artifacts).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds the sample function packages only, uploaded by the person trying the example; server ' +
        'access logs would need a second bucket, and CloudTrail data events can record reads if wanted.',
    });
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason:
        'A sandbox sample network carrying only the HTTP traffic of the sample; VPC flow logs would add a log ' +
        'group and a role per try for nothing the example demonstrates.',
    });
    Validations.of(alb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'Access logs need an S3 bucket with its own policy and lifecycle; the sample shows rollouts through ' +
        'CloudWatch metrics and alarms, which the ALB publishes without one.',
    });
    Validations.of(albSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The sample ALB is meant to be called from a browser or curl anywhere: port 80 only, from any IPv4 ' +
        'address. There is no TLS certificate for a sample domain, so it is HTTP.',
    });
  }
}
