import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  type IRole,
  ManagedPolicy,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, type AwsSdkCall, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { serviceConfigItem, serviceKey } from '../../lambdas/adapters/dynamodb/table.ts';
import { type ServiceEntry, toServiceConfig } from '../../lambdas/domain/registry.ts';
import { defaultStrategyPlan } from '../../lambdas/domain/strategies/index.ts';
import { acknowledgeWildcards } from '../nag-findings.ts';
import { toItem } from './attribute-values.ts';
import { type ProviderGrant, providerGrant } from './provider-grants.ts';

/** The sort key of a service's configuration item (`pk` is `SERVICE#<name>`). */
export const CONFIG_SORT_KEY = 'CONFIG';

export interface ServiceRegistryProps {
  /** The Stepwise table: each service's CONFIG item is written to it. */
  readonly table: ITableV2;
  /** The registered services, validated (`loadRegistry`); names are unique. */
  readonly services: readonly ServiceEntry[];
  /**
   * The roles that call the traffic provider (`StepwiseStack.providerRoles`: the tasks with
   * `usesProvider` and the reconciler): they get each service's provider permissions on that
   * service's resources.
   */
  readonly providerRoles: readonly IRole[];
}

/**
 * The registered services on AWS. Per service, a custom resource (AwsCustomResource, DynamoDB
 * PutItem) writes its CONFIG item (`toServiceConfig`, with the strategy's default plan when it has
 * none) at deploy time and writes it again when the entry changes. When the service leaves the
 * registry (or the stack is deleted) the item is deleted rather than left behind: the grants for its
 * resources go at the same time, and a stale item would let a deployment start and then fail with
 * AccessDenied halfway through shifting traffic; without the item, Start deployment refuses it
 * (Stepwise.ServiceNotFound) before anything moves. The audit trail is kept: it is other items. The
 * physical id is the item key, so an update never triggers a delete.
 *
 * Customer-managed policies give the provider-calling roles (the task roles that move traffic and the
 * reconciler's) every service's provider permissions: about 1 kB per service with a real provider
 * (4.2 kB for the four of test/infra/registries.ts), so the services are packed into policies of at
 * most ~6 kB, attached to every provider role. Inline policies would share the role's 10,240
 * characters with its own (the reconciler's is 2 kB) and stop at some seven services; managed
 * policies reach nine policies' worth, some fifty services, per stack.
 *
 * Construct ids are the service names: renaming a service deletes the old item and writes the new.
 */
export class ServiceRegistry extends Construct {
  /** The custom resource that writes each service's CONFIG item, by service name. */
  readonly configItems: ReadonlyMap<string, AwsCustomResource>;
  /**
   * What the provider-calling roles may do to the registered resources, in managed policies of at
   * most ~6 kB each (`ProviderAccess`, `ProviderAccess2`, …); none for simulated services only.
   */
  readonly providerAccess: readonly ManagedPolicy[];

  constructor(scope: Construct, id: string, props: ServiceRegistryProps) {
    super(scope, id);
    const { table, services } = props;
    // An unknown provider kind fails the synth before anything is built.
    const grants = services.map((entry, i) => providerGrant(entry, `services[${i}].provider`));

    // One role and log group for the custom resources' provider function instead of a policy per
    // service on a role carrying AWSLambdaBasicExecutionRole (whose log permissions cover every group).
    const logGroup = new LogGroup(this, 'WriterLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const writer = new Role(this, 'WriterRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Stepwise: writes the CONFIG item of each registered service at deploy time',
      inlinePolicies: {
        WriteConfig: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
              resources: [table.tableArn],
            }),
            new PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });

    const items = new Map<string, AwsCustomResource>();
    for (const entry of services) {
      const key = { pk: serviceKey(entry.name), sk: CONFIG_SORT_KEY };
      const put: AwsSdkCall = {
        service: 'DynamoDB',
        action: 'putItem',
        parameters: {
          TableName: table.tableName,
          Item: toItem(
            serviceConfigItem(toServiceConfig(entry, (strategy) => defaultStrategyPlan(strategy))),
          ),
        },
        physicalResourceId: PhysicalResourceId.of(`${key.pk}/${key.sk}`),
      };
      items.set(
        entry.name,
        new AwsCustomResource(this, entry.name, {
          resourceType: 'Custom::StepwiseServiceConfig',
          onCreate: put,
          onUpdate: put,
          onDelete: {
            service: 'DynamoDB',
            action: 'deleteItem',
            parameters: { TableName: table.tableName, Key: toItem(key) },
          },
          role: writer,
          logGroup,
          // The handler bundled with aws-cdk-lib: synthesis stays offline and the call is the one tested.
          installLatestAwsSdk: false,
        }),
      );
    }
    this.configItems = items;

    const granting = grants.filter((grant) => grant.statements.length > 0);
    if (granting.length === 0 || props.providerRoles.length === 0) {
      this.providerAccess = [];
      return;
    }
    const chunks = chunkBySize(granting, (grant) => policyChars(this, grant));
    if (chunks.length > MAX_PROVIDER_POLICIES) {
      throw new Error(
        `the registered services need ${chunks.length} provider policies, more than the ${MAX_PROVIDER_POLICIES} this stack attaches to a role (IAM allows 10 by default): split the registry across stacks (context stackName), or raise the quota and MAX_PROVIDER_POLICIES`,
      );
    }
    this.providerAccess = chunks.map((chunk, i) => {
      const policy = new ManagedPolicy(this, i === 0 ? 'ProviderAccess' : `ProviderAccess${i + 1}`, {
        description: `Stepwise: traffic provider permissions of registered services (part ${i + 1})`,
        statements: chunk.flatMap((grant) => grant.statements),
        roles: [...props.providerRoles],
      });
      acknowledgeWildcards(
        policy,
        chunk.flatMap((grant) => grant.wildcards),
      );
      return policy;
    });
  }
}

/**
 * IAM caps a managed policy at 6,144 characters (whitespace aside) and, by default, a role at 10
 * managed policies. Packed to a little under the cap: the size is estimated on the policy as IAM
 * will see it, each pseudo parameter at its longest value and any other reference as 128
 * characters (an ARN of the Stepwise or example stack).
 */
const POLICY_CHARS = 6_000;
/** One attachment slot of the ten is left to the user. */
export const MAX_PROVIDER_POLICIES = 9;

const PSEUDO_LENGTHS: Record<string, number> = {
  'AWS::Partition': 'aws-iso-b'.length + 1,
  'AWS::Region': 'ap-southeast-22'.length,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 'amazonaws.com.cn'.length,
};

/** A resolved CloudFormation value as the string it becomes, with references at their longest. */
function renderedLength(node: unknown): number {
  if (typeof node === 'string') return node.length;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node).length;
  if (Array.isArray(node)) return node.reduce((sum: number, item) => sum + renderedLength(item) + 3, 2);
  const value = node as Record<string, unknown>;
  if (value['Fn::Join']) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return (
      items.reduce((sum: number, item) => sum + renderedLength(item), 0) + delimiter.length * items.length
    );
  }
  if (typeof value.Ref === 'string') return PSEUDO_LENGTHS[value.Ref] ?? 128;
  if (value['Fn::GetAtt'] || value['Fn::ImportValue'] || value['Fn::Sub']) return 128;
  return Object.entries(value).reduce((sum, [k, v]) => sum + k.length + 3 + renderedLength(v) + 1, 2);
}

function policyChars(scope: Construct, grant: ProviderGrant): number {
  const stack = Stack.of(scope);
  return grant.statements.reduce(
    (sum, statement) => sum + renderedLength(stack.resolve(statement.toStatementJson())) + 1,
    0,
  );
}

/** Groups items in order so that each group's size stays under POLICY_CHARS (one oversized item makes its own group). */
function chunkBySize<T>(items: readonly T[], size: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && used + n > POLICY_CHARS) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
