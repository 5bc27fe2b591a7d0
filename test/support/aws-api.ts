import { createRequire } from 'node:module';
import { marshall } from '@aws-sdk/util-dynamodb';

/**
 * What AWS would make of one SDK call, from AWS's own published descriptions rather than from
 * Stepwise's code: whether its input fits the operation in the service's API model (the models
 * the `aws-sdk` v2 package ships under `apis/`: every operation's members, which are required,
 * and their types), and which IAM action and resources it is authorized as (the Service
 * Authorization Reference: the action an operation needs and the resource ARN it names).
 */

const require = createRequire(import.meta.url);
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';

interface V2Shape {
  type?: string;
}
interface V2Api {
  operations: Record<string, { input?: V2Shape } | undefined>;
}
interface V2Sdk {
  Model: { Api: new (model: unknown) => V2Api };
  ParamValidator: new (
    validation: Record<string, boolean>,
  ) => {
    validate(shape: V2Shape | undefined, params: unknown): void;
  };
}

/** One AWS service as the SDK v3 client that calls it, its API model file and its IAM prefix. */
interface ServiceInfo {
  model: string;
  prefix: string;
  /** The SDK v3 package, whose operation schemas are newer than the v2 models. */
  v3: string;
}

export const SERVICES: Record<string, ServiceInfo> = {
  DynamoDBClient: { model: 'dynamodb-2012-08-10', prefix: 'dynamodb', v3: '@aws-sdk/client-dynamodb' },
  DynamoDBDocumentClient: {
    model: 'dynamodb-2012-08-10',
    prefix: 'dynamodb',
    v3: '@aws-sdk/client-dynamodb',
  },
  SFNClient: { model: 'states-2016-11-23', prefix: 'states', v3: '@aws-sdk/client-sfn' },
  CloudWatchClient: {
    model: 'monitoring-2010-08-01',
    prefix: 'cloudwatch',
    v3: '@aws-sdk/client-cloudwatch',
  },
  ECSClient: { model: 'ecs-2014-11-13', prefix: 'ecs', v3: '@aws-sdk/client-ecs' },
  ElasticLoadBalancingV2Client: {
    model: 'elasticloadbalancingv2-2015-12-01',
    prefix: 'elasticloadbalancing',
    v3: '@aws-sdk/client-elastic-load-balancing-v2',
  },
  LambdaClient: { model: 'lambda-2015-03-31', prefix: 'lambda', v3: '@aws-sdk/client-lambda' },
  AppConfigClient: { model: 'appconfig-2019-10-09', prefix: 'appconfig', v3: '@aws-sdk/client-appconfig' },
};

/** lib-dynamodb's document commands, by the DynamoDB operation each one sends. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/** The DynamoDB operation a command class (`PutCommand`, `PutItemCommand`) sends. */
export function operationOf(client: string, commandName: string): string {
  const name = commandName.replace(/Command$/, '');
  if (client === 'DynamoDBDocumentClient') return DOCUMENT_COMMANDS[name] ?? name;
  return name;
}

let sdk: V2Sdk | undefined;
const apis = new Map<string, V2Api>();

function api(client: string): V2Api | undefined {
  const service = SERVICES[client];
  if (!service) return undefined;
  sdk ??= (() => {
    const core = require('aws-sdk/lib/core') as V2Sdk;
    require('aws-sdk/lib/param_validator');
    return core;
  })();
  let model = apis.get(service.model);
  if (!model) {
    model = new sdk.Model.Api(require(`aws-sdk/apis/${service.model}.min.json`));
    apis.set(service.model, model);
  }
  return model;
}

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/** The document client's plain values as DynamoDB's attribute values, which the model describes. */
function asDynamoDbInput(input: Record<string, unknown>): Record<string, unknown> {
  const options = { removeUndefinedValues: true, convertClassInstanceToMap: true };
  const out: Record<string, unknown> = { ...input };
  for (const key of ['Item', 'Key', 'ExpressionAttributeValues', 'ExclusiveStartKey']) {
    if (out[key] && typeof out[key] === 'object') out[key] = marshall(out[key] as object, options);
  }
  return out;
}

/** Drops undefined members: the SDK does not send them, and the model has no notion of them. */
function defined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(defined);
  if (value && typeof value === 'object' && !(value instanceof Date) && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, defined(v)]),
    );
  }
  return value;
}

/**
 * Why the call's input does not fit the operation in the published API model, one message a
 * problem (an unknown operation, a missing required member, an unknown member, a wrong type);
 * empty when it fits. A client without a model here is not judged.
 */
export function apiModelProblems(client: string, operation: string, input: unknown): string[] {
  const model = api(client);
  if (!model || !sdk) return [];
  const op = model.operations[lowerFirst(operation)];
  if (!op) return [`${SERVICES[client]?.prefix} has no operation ${operation}`];
  const params =
    client === 'DynamoDBDocumentClient' ? asDynamoDbInput(input as Record<string, unknown>) : input;
  try {
    new sdk.ParamValidator({}).validate(op.input, defined(params ?? {}));
    return [];
  } catch (error) {
    const errors = (error as { errors?: Error[] }).errors ?? [error as Error];
    const newer = newerMembers(client, operation);
    return errors
      .filter((e) => !newer.has(/^Unexpected key '([^']+)' found in params$/.exec(e.message)?.[1] ?? ''))
      .map((e) => `${operation}: ${e.message}`);
  }
}

/**
 * The operation's input members as the installed SDK v3 client knows them: the v2 models stopped
 * at v2's end of support, so a member AWS added since (AppConfig's `AllowRevert`) is known here.
 */
function newerMembers(client: string, operation: string): Set<string> {
  const service = SERVICES[client];
  if (!service) return new Set();
  const schemas = require(service.v3) as Record<string, unknown>;
  const op = schemas[`${operation}$`] as unknown[] | undefined;
  const input = typeof op?.[4] === 'function' ? (op[4] as () => unknown)() : op?.[4];
  const names = Array.isArray(input) && input[0] === 3 ? input[4] : [];
  return new Set(Array.isArray(names) ? (names as string[]) : []);
}

/** How IAM authorizes a call: its action, and the resources it names (`*` where it names none). */
export interface Authorization {
  action: string;
  /** The resource ARNs the call is authorized on; `['*']` for actions without resource-level permissions; undefined when not derived here. */
  resources?: string[];
  /**
   * Authorized besides the call's own action, without a call of its own: required (passing a role
   * is `iam:PassRole`) or optional (what the service does only when the caller may: `lambda:ListTags`
   * for GetFunction's tags).
   */
  implied?: { required: boolean; action: string; resources?: string[] }[];
}

type Input = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** ARNs as the call's region and account would make them (the function's own). */
interface Where {
  partition: string;
  region: string;
  account: string;
}

const arnOf = (w: Where, service: string, resource: string) =>
  `arn:${w.partition}:${service}:${w.region}:${w.account}:${resource}`;

function dynamodbResources(w: Where, input: Input): string[] {
  const arn = (table: string) => (table.startsWith('arn:') ? table : arnOf(w, 'dynamodb', `table/${table}`));
  // BatchGetItem and BatchWriteItem name their tables as the keys of RequestItems: each is authorized.
  const batch = input.RequestItems;
  if (batch && typeof batch === 'object') return Object.keys(batch).map(arn);
  const tableArn = arn(str(input.TableName) ?? '');
  return [str(input.IndexName) ? `${tableArn}/index/${input.IndexName}` : tableArn];
}

function lambdaFunctionArn(w: Where, name: string, qualifier?: string): string {
  const base = name.startsWith('arn:') ? name : arnOf(w, 'lambda', `function:${name}`);
  return qualifier && !/:function:[^:]+:[^:]+$/.test(base) ? `${base}:${qualifier}` : base;
}

function ecsServiceArn(w: Where, cluster: string | undefined, service: string): string {
  if (service.startsWith('arn:')) return service;
  const clusterName = cluster?.startsWith('arn:') ? cluster.split('/').at(-1) : (cluster ?? 'default');
  return arnOf(w, 'ecs', `service/${clusterName}/${service}`);
}

/** Operations whose resource is named by one input member, by IAM prefix. */
const RESOURCE_MEMBER: Record<string, Record<string, string>> = {
  states: {
    StartExecution: 'stateMachineArn',
    StopExecution: 'executionArn',
    DescribeExecution: 'executionArn',
  },
  elasticloadbalancing: {
    ModifyListener: 'ListenerArn',
    CreateRule: 'ListenerArn',
    ModifyRule: 'RuleArn',
    DeleteRule: 'RuleArn',
  },
  ecs: { TagResource: 'resourceArn', UntagResource: 'resourceArn', ListTagsForResource: 'resourceArn' },
  lambda: { TagResource: 'Resource', UntagResource: 'Resource', ListTags: 'Resource' },
};

/**
 * The IAM action and resources of a call, per the Service Authorization Reference. `undefined`
 * resources: the call's resource is not derived here, and only its action is checked.
 */
export function authorizationOf(client: string, operation: string, input: Input, w: Where): Authorization {
  const own = ownAuthorization(client, operation, input, w);
  const implied = impliedBy(client, operation, input, w);
  return implied.length > 0 ? { ...own, implied } : own;
}

/** What a call implies besides its own action (Service Authorization Reference, the service's guides). */
function impliedBy(
  client: string,
  operation: string,
  input: Input,
  w: Where,
): NonNullable<Authorization['implied']> {
  if (client === 'ECSClient' && operation === 'RegisterTaskDefinition') {
    const roles = [str(input.taskRoleArn), str(input.executionRoleArn)].filter((r): r is string =>
      Boolean(r),
    );
    const family = str(input.family) ?? '';
    return [
      // ECS passes the task's roles to ecs-tasks.amazonaws.com: the caller needs iam:PassRole on each.
      ...roles.map((role) => ({ required: true, action: 'iam:PassRole', resources: [role] })),
      // Tags given at creation are authorized as ecs:TagResource (condition ecs:CreateAction).
      ...(Array.isArray(input.tags) && input.tags.length > 0
        ? [
            {
              required: true,
              action: 'ecs:TagResource',
              resources: [arnOf(w, 'ecs', `task-definition/${family}:*`)],
            },
          ]
        : []),
    ];
  }
  if (client === 'LambdaClient' && operation === 'GetFunction') {
    // GetFunction answers the function's tags only to a caller that may lambda:ListTags.
    return [{ required: false, action: 'lambda:ListTags' }];
  }
  if (client === 'LambdaClient' && operation === 'UpdateFunctionCode' && str(input.ImageUri)) {
    // Lambda adds its own pull permission to the repository policy when the caller may read and set it.
    return [
      { required: false, action: 'ecr:GetRepositoryPolicy' },
      { required: false, action: 'ecr:SetRepositoryPolicy' },
    ];
  }
  return [];
}

function ownAuthorization(client: string, operation: string, input: Input, w: Where): Authorization {
  const prefix = SERVICES[client]?.prefix ?? client.replace(/Client$/, '').toLowerCase();
  if (prefix === 'lambda' && operation === 'Invoke') {
    return {
      action: 'lambda:InvokeFunction',
      resources: [lambdaFunctionArn(w, str(input.FunctionName) ?? '', str(input.Qualifier))],
    };
  }
  const action = `${prefix}:${operation}`;
  const member = RESOURCE_MEMBER[prefix]?.[operation];
  if (member) return { action, resources: [str(input[member]) ?? ''] };
  switch (prefix) {
    case 'dynamodb':
      return { action, resources: dynamodbResources(w, input) };
    case 'cloudwatch':
      // Writing an alarm names it (the reference's `alarm` resource); reads and GetMetricData name none.
      if (operation === 'PutMetricAlarm') {
        return { action, resources: [arnOf(w, 'cloudwatch', `alarm:${str(input.AlarmName) ?? ''}`)] };
      }
      if (operation === 'DeleteAlarms') {
        const names = (input.AlarmNames as string[] | undefined) ?? [];
        return { action, resources: names.map((name) => arnOf(w, 'cloudwatch', `alarm:${name}`)) };
      }
      return { action, resources: ['*'] };
    case 'states':
      return { action, resources: ['*'] };
    case 'ecs':
      if (operation === 'DescribeServices') {
        const services = (input.services as string[] | undefined) ?? [];
        return { action, resources: services.map((s) => ecsServiceArn(w, str(input.cluster), s)) };
      }
      if (operation === 'UpdateService') {
        return { action, resources: [ecsServiceArn(w, str(input.cluster), str(input.service) ?? '')] };
      }
      if (['DescribeTaskDefinition', 'RegisterTaskDefinition', 'ListTaskDefinitions'].includes(operation)) {
        return { action, resources: ['*'] };
      }
      return { action };
    case 'elasticloadbalancing':
      if (operation.startsWith('Describe')) return { action, resources: ['*'] };
      return { action };
    case 'lambda': {
      const name = str(input.FunctionName);
      if (!name) return { action };
      // Alias operations act on the function (the alias is a member, not a qualifier of the ARN).
      return { action, resources: [lambdaFunctionArn(w, name, str(input.Qualifier))] };
    }
    default:
      return { action };
  }
}
