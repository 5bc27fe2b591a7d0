import { RemovalPolicy } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  type IRole,
  Policy,
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
import { defaultStrategyPlan } from '../../lambdas/domain/strategies.ts';
import { acknowledgeWildcards } from '../nag-findings.ts';
import { toItem } from './attribute-values.ts';
import { providerGrant } from './provider-grants.ts';

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
 * One policy gives the provider-calling roles (the task roles that move traffic and the reconciler's)
 * every service's provider permissions. It is an inline policy of each role, which IAM caps at 10,240
 * characters per role: about 1 kB per service with a real provider (4.2 kB for the four of
 * test/infra/registries.ts). The reconciler's role already holds some 2 kB of its own (it may start
 * and stop every state machine), so some seven such services per stack.
 *
 * Construct ids are the service names: renaming a service deletes the old item and writes the new.
 */
export class ServiceRegistry extends Construct {
  /** The custom resource that writes each service's CONFIG item, by service name. */
  readonly configItems: ReadonlyMap<string, AwsCustomResource>;
  /** What the provider-calling roles may do to the registered resources; none for simulated services only. */
  readonly providerAccess?: Policy;

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

    const statements = grants.flatMap((grant) => grant.statements);
    if (statements.length === 0 || props.providerRoles.length === 0) return;
    this.providerAccess = new Policy(this, 'ProviderAccess', { statements, roles: [...props.providerRoles] });
    acknowledgeWildcards(
      this.providerAccess,
      grants.flatMap((grant) => grant.wildcards),
    );
  }
}
