import { Aws, Fn, Token } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ServiceEntry } from '../../lambdas/domain/registry.ts';
import type { WildcardResource } from '../nag-findings.ts';

/** What the task functions that call a service's traffic provider may do to that service's resources. */
export interface ProviderGrant {
  readonly statements: PolicyStatement[];
  /** Every wildcard resource of `statements`, with its reason (the cdk-nag acknowledgement). */
  readonly wildcards: WildcardResource[];
}

/** The grant for one registered service; throws naming the field when an identifier is missing. */
export type ProviderGrantFor = (entry: ServiceEntry, where: string) => ProviderGrant;

const NONE: ProviderGrant = { statements: [], wildcards: [] };

/**
 * The IAM each provider kind needs, scoped to the resources a service registers. The actions are
 * the calls the provider makes (docs/providers/<kind>.md); each resource is the narrowest the
 * Service Authorization Reference allows for the action. An ARN given in the registry is used as
 * it is; a name becomes an ARN in the stack's partition, region and account (where the task
 * functions call the provider).
 */
export const PROVIDER_GRANTS: Readonly<Record<string, ProviderGrantFor>> = {
  // The simulated fleet lives in the table, which every task may already use.
  simulated: () => NONE,
  'ecs-alb': ecsAlbGrant,
  'ecs-rolling': ecsRollingGrant,
  'lambda-alias': lambdaAliasGrant,
  'appconfig-flag': appConfigFlagGrant,
};

/** The grant of `entry`'s provider kind; throws naming the kind when the CDK app has none. */
export function providerGrant(entry: ServiceEntry, where: string): ProviderGrant {
  const grant = PROVIDER_GRANTS[entry.provider.kind];
  if (!grant) {
    throw new Error(
      `${where}.kind '${entry.provider.kind}' has no IAM grants in the CDK app; kinds with grants: ${Object.keys(PROVIDER_GRANTS).join(', ')}`,
    );
  }
  return grant(entry, where);
}

const arn = (service: string, resource: string) =>
  `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;

/** An `arn:` literal (tokens are names: the example stack passes its resources' names and ARNs as tokens). */
const isArn = (value: string) => !Token.isUnresolved(value) && value.startsWith('arn:');

function text(entry: ServiceEntry, where: string, field: string): string {
  const value = entry.provider[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`${where}.${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalText(entry: ServiceEntry, where: string, field: string): string | undefined {
  return entry.provider[field] === undefined ? undefined : text(entry, where, field);
}

function texts(entry: ServiceEntry, where: string, field: string, count: number): string[] {
  const value = entry.provider[field];
  if (
    !Array.isArray(value) ||
    value.length !== count ||
    !value.every((v) => typeof v === 'string' && v.length > 0)
  ) {
    throw new Error(`${where}.${field} must list ${count} names, got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

// ---- ECS ------------------------------------------------------------------------------------------

/** The last segment of a name or an ARN (`.../service/prod/web` → `web`). */
const lastSegment = (value: string) => (isArn(value) ? (value.split('/').pop() ?? value) : value);

/**
 * The ARNs of ECS service `service` (a name or ARN) in `cluster` (a name or ARN): `long`, the
 * `service/<cluster>/<service>` format ECS gives services since 2021, and `short`, the
 * `service/<service>` of older ones. IAM matches a call against the service's own ARN, so only
 * DescribeServices is granted on the short one: Prepare reads a short-ARN service to refuse it
 * with the way out (the ARN migration); nothing else is ever sent to one.
 */
function ecsServiceArns(cluster: string, service: string): { long: string; short: string } {
  const name = lastSegment(service);
  const clusterName = lastSegment(cluster);
  if (isArn(service) && /:service\/[^/]+\/[^/]+$/.test(service)) {
    return { long: service, short: service.replace(/:service\/[^/]+\//, ':service/') };
  }
  const prefix = isArn(cluster)
    ? cluster.slice(0, cluster.indexOf(':cluster/'))
    : isArn(service)
      ? service.slice(0, service.indexOf(':service/'))
      : undefined;
  if (prefix) return { long: `${prefix}:service/${clusterName}/${name}`, short: `${prefix}:service/${name}` };
  return { long: arn('ecs', `service/${clusterName}/${name}`), short: arn('ecs', `service/${name}`) };
}

/**
 * What every ECS provider needs besides its services: a new task definition revision for the
 * candidate, which passes the task and execution roles the copied definition names. Prepare refuses
 * a role the config does not name (`taskRoleArn`, `executionRoleArn`), so PassRole is on those only.
 */
function ecsTaskDefinitionGrant(entry: ServiceEntry, where: string): ProviderGrant {
  const roles = ['taskRoleArn', 'executionRoleArn']
    .map((field) => optionalText(entry, where, field))
    .filter((role) => role !== undefined);
  return {
    statements: [
      new PolicyStatement({
        actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
        resources: ['*'],
      }),
      ...(roles.length > 0
        ? [
            new PolicyStatement({
              actions: ['iam:PassRole'],
              resources: [...new Set(roles)],
              conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            }),
          ]
        : []),
    ],
    wildcards: [
      {
        resource: '*',
        reason:
          'ecs:DescribeTaskDefinition and ecs:RegisterTaskDefinition support no resource-level permissions ' +
          '(Service Authorization Reference).',
      },
    ],
  };
}

function ecsRollingGrant(entry: ServiceEntry, where: string): ProviderGrant {
  const cluster = text(entry, where, 'cluster');
  const service = ecsServiceArns(cluster, text(entry, where, 'service'));
  const taskDefinitions = ecsTaskDefinitionGrant(entry, where);
  // The copy takes the family of the revision the service runs, which the registry does not name.
  const revisions = arn('ecs', 'task-definition/*');
  return {
    statements: [
      // The rollout record is a set of tags on the service, read with DescribeServices include TAGS.
      new PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [service.long, service.short] }),
      new PolicyStatement({
        actions: ['ecs:UpdateService', 'ecs:TagResource', 'ecs:UntagResource'],
        resources: [service.long],
      }),
      new PolicyStatement({ actions: ['ecs:ListTaskDefinitions'], resources: ['*'] }),
      ...taskDefinitions.statements,
      // The copy is registered with tags (stepwise:copied-from), which ECS authorizes as TagResource.
      new PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [revisions],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
    ],
    wildcards: [
      ...taskDefinitions.wildcards,
      {
        resource: '*',
        reason:
          'ecs:ListTaskDefinitions supports no resource-level permissions (Service Authorization Reference).',
      },
      {
        resource: revisions,
        reason:
          `The candidate revision of ${entry.name} is a copy in the family of the revision its service runs, ` +
          'which the registry does not name. Tagging is limited by ecs:CreateAction to tags given at ' +
          'RegisterTaskDefinition.',
      },
    ],
  };
}

// ---- ECS behind an ALB ----------------------------------------------------------------------------

/** The rules of listener `listenerArn`: `listener/app/<lb>/<id>/<listener>` → `listener-rule/app/<lb>/<id>/<listener>/*`. */
function listenerRules(listenerArn: string): string {
  if (Token.isUnresolved(listenerArn)) {
    const part = (i: number) => Fn.select(i, Fn.split(':listener/', listenerArn));
    return `${part(0)}:listener-rule/${part(1)}/*`;
  }
  return `${listenerArn.replace(':listener/', ':listener-rule/')}/*`;
}

function ecsAlbGrant(entry: ServiceEntry, where: string): ProviderGrant {
  const cluster = text(entry, where, 'cluster');
  const services = texts(entry, where, 'services', 2);
  const listenerArn = optionalText(entry, where, 'listenerArn');
  const ruleArn = optionalText(entry, where, 'ruleArn');
  const testListenerArn = optionalText(entry, where, 'testListenerArn');
  const testRuleArn = optionalText(entry, where, 'testRuleArn');
  if (!listenerArn && !ruleArn) throw new Error(`${where}.listenerArn (or ${where}.ruleArn) is required`);

  const listeners = [listenerArn, testListenerArn].filter((a) => a !== undefined);
  const rules = [ruleArn, testRuleArn].filter((a) => a !== undefined);
  const taskDefinitions = ecsTaskDefinitionGrant(entry, where);
  const arns = services.map((service) => ecsServiceArns(cluster, service));
  const statements = [
    new PolicyStatement({
      actions: ['ecs:DescribeServices'],
      resources: arns.flatMap((service) => [service.long, service.short]),
    }),
    new PolicyStatement({ actions: ['ecs:UpdateService'], resources: arns.map((service) => service.long) }),
    ...taskDefinitions.statements,
    new PolicyStatement({
      actions: [
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetHealth',
      ],
      resources: ['*'],
    }),
  ];
  const wildcards = [
    ...taskDefinitions.wildcards,
    {
      resource: '*',
      reason:
        'elasticloadbalancing:DescribeListeners, DescribeRules and DescribeTargetHealth support no ' +
        'resource-level permissions (Service Authorization Reference); they only read.',
    },
  ];
  if (listeners.length > 0) {
    statements.push(
      new PolicyStatement({ actions: ['elasticloadbalancing:ModifyListener'], resources: listeners }),
    );
  }
  if (rules.length > 0) {
    statements.push(new PolicyStatement({ actions: ['elasticloadbalancing:ModifyRule'], resources: rules }));
  }
  if (listenerArn) {
    // A header segment is a rule Stepwise adds to the production listener and removes afterwards.
    // CreateRule is authorized on the listener (Service Authorization Reference); the provider's doc
    // also names the listener's rules for it, which adds nothing beyond them. ModifyRule and
    // DeleteRule are authorized on the rule, whose ARN ELB assigns at creation.
    const segmentRules = listenerRules(listenerArn);
    statements.push(
      new PolicyStatement({
        actions: ['elasticloadbalancing:CreateRule'],
        resources: [listenerArn, segmentRules],
      }),
      new PolicyStatement({
        actions: ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule'],
        resources: [segmentRules],
      }),
    );
    wildcards.push({
      resource: segmentRules,
      reason:
        `The segment rule Stepwise creates on the listener of ${entry.name} gets its ARN from ELB at creation; ` +
        'the pattern covers only the rules of that one listener.',
    });
  }
  return { statements, wildcards };
}

// ---- Lambda alias ---------------------------------------------------------------------------------

/**
 * An image function pulls its image with Lambda's service principal, not the caller's credentials:
 * the repository's policy must let `lambda.amazonaws.com` pull. When it does not, Lambda adds that
 * statement itself during UpdateFunctionCode, if the caller may read and set the repository policy.
 * So the repository a service's trigger names (an image function's, in this account) gets those
 * two; any other repository must carry the statement already (docs/providers/lambda-alias.md), and a
 * .zip function gets no ECR permission at all.
 */
function lambdaAliasGrant(entry: ServiceEntry, where: string): ProviderGrant {
  const functionName = text(entry, where, 'functionName');
  const alias = text(entry, where, 'alias');
  const functionArn = isArn(functionName) ? functionName : arn('lambda', `function:${functionName}`);
  const versions = `${functionArn}:*`;
  const repository = entry.trigger?.repository;
  const bucket = optionalText(entry, where, 'artifactBucket');
  const wildcards: WildcardResource[] = [
    {
      resource: versions,
      reason:
        `Stepwise reads the state of the versions it publishes of the function of ${entry.name}; Lambda ` +
        'numbers them at publication. The pattern covers only the versions and aliases of that function.',
    },
  ];
  return {
    statements: [
      // TagResource and ListTags: a .zip function's code is tracked by the stepwise:code tag.
      new PolicyStatement({
        actions: [
          'lambda:GetFunction',
          'lambda:ListVersionsByFunction',
          'lambda:UpdateFunctionCode',
          'lambda:PublishVersion',
          'lambda:TagResource',
          'lambda:ListTags',
        ],
        resources: [functionArn],
      }),
      new PolicyStatement({
        actions: ['lambda:GetFunctionConfiguration'],
        resources: [functionArn, versions],
      }),
      // Lambda authorizes a call naming an alias against the qualified ARN; granting both forms lets
      // either evaluation pass (docs/providers/lambda-alias.md).
      new PolicyStatement({
        actions: ['lambda:GetAlias', 'lambda:UpdateAlias'],
        resources: [functionArn, `${functionArn}:${alias}`],
      }),
      ...(repository
        ? [
            new PolicyStatement({
              actions: ['ecr:GetRepositoryPolicy', 'ecr:SetRepositoryPolicy'],
              resources: [arn('ecr', `repository/${repository}`)],
            }),
          ]
        : []),
      // Lambda reads a .zip package with the caller's credentials: read on the named bucket's objects only.
      ...(bucket
        ? [
            new PolicyStatement({
              actions: ['s3:GetObject'],
              resources: [`arn:${Aws.PARTITION}:s3:::${bucket}/*`],
            }),
          ]
        : []),
    ],
    wildcards: bucket
      ? [
          ...wildcards,
          {
            resource: `arn:${Aws.PARTITION}:s3:::${bucket}/*`,
            reason: `.zip artifacts of ${entry.name} are read from any key of its artifact bucket ${bucket}; read only.`,
          },
        ]
      : wildcards,
  };
}

// ---- AppConfig feature flag -----------------------------------------------------------------------

function appConfigFlagGrant(entry: ServiceEntry, where: string): ProviderGrant {
  const applicationId = text(entry, where, 'applicationId');
  const environmentId = text(entry, where, 'environmentId');
  const profileId = text(entry, where, 'configurationProfileId');
  const strategyId = text(entry, where, 'deploymentStrategyId');
  const application = arn('appconfig', `application/${applicationId}`);
  const profile = `${application}/configurationprofile/${profileId}`;
  const hostedVersions = `${profile}/hostedconfigurationversion/*`;
  const environment = `${application}/environment/${environmentId}`;
  const deployments = `${environment}/deployment/*`;
  // A strategy of the account (no predefined one has a zero bake, which the provider requires).
  const strategy = arn('appconfig', `deploymentstrategy/${strategyId}`);
  // Each action lists every resource type the Service Authorization Reference marks required for it
  // (GetHostedConfigurationVersion: application, profile and version; StartDeployment: application,
  // profile, environment, strategy and deployment), so each statement names the application too.
  return {
    statements: [
      new PolicyStatement({
        actions: [
          'appconfig:GetApplication',
          'appconfig:GetEnvironment',
          'appconfig:GetConfigurationProfile',
          'appconfig:GetDeploymentStrategy',
        ],
        resources: [application, environment, profile, strategy],
      }),
      new PolicyStatement({
        actions: [
          'appconfig:ListHostedConfigurationVersions',
          'appconfig:GetHostedConfigurationVersion',
          'appconfig:CreateHostedConfigurationVersion',
        ],
        resources: [application, profile, hostedVersions],
      }),
      new PolicyStatement({
        actions: [
          'appconfig:ListDeployments',
          'appconfig:GetDeployment',
          'appconfig:StartDeployment',
          'appconfig:StopDeployment',
        ],
        resources: [application, profile, environment, deployments, strategy],
      }),
    ],
    wildcards: [
      {
        resource: hostedVersions,
        reason:
          `Stepwise creates and reads hosted configuration versions of the profile of ${entry.name}; ` +
          'AppConfig numbers them at creation. The pattern covers only the versions of that profile.',
      },
      {
        resource: deployments,
        reason:
          `Stepwise starts, reads and stops AppConfig deployments in the environment of ${entry.name}; ` +
          'AppConfig numbers them at creation. The pattern covers only the deployments of that environment.',
      },
    ],
  };
}
