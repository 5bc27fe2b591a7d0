import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { wildcardMatches } from '../../lambdas/domain/wildcard.ts';
import { LOCAL_TABLE_NAME } from '../../local/dynamodb-server.ts';
import { CONTROL_FUNCTION_IDS, type FunctionId, TASK_FUNCTION_IDS } from '../../local/function-scope.ts';
import { baseConfig as ecsAlbFake } from '../fakes/ecs-alb-fake.ts';
import { config as ecsRollingFake } from '../fakes/ecs-rolling-fake.ts';
import { config as lambdaFake } from '../fakes/lambda-fake.ts';
import { REAL_PROVIDERS } from '../infra/registries.ts';
import { actionsOf, resourcesOf, roleStatements, type Statement, synthStepwise } from '../infra/support.ts';
import { type RecordedCall, TRACE_DIR } from '../support/aws-calls.ts';

/**
 * IAM from what the code sends. Every AWS SDK command each Lambda function's code sent while the
 * suites ran (test/support/aws-calls.ts records them, by the function the local runtime stood in
 * for) is held against that function's role in the synthesized template: the action is granted,
 * on the resource the call names where it names one. What a role is granted and its function never
 * sent is reported and fails too. The grants come from the template alone; what a call needs comes
 * from AWS's authorization rules (test/support/aws-api.ts), never from Stepwise's own list.
 */

function readTrace(): RecordedCall[] {
  if (!existsSync(join(TRACE_DIR, 'started'))) return [];
  return readdirSync(TRACE_DIR)
    .filter((f) => f.endsWith('.jsonl') && !f.startsWith('inputs-'))
    .flatMap((f) =>
      readFileSync(join(TRACE_DIR, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RecordedCall),
    );
}

// Read when the tests run, not when the file is collected: the suites before it are still sending.
let calls: RecordedCall[] = [];
beforeAll(() => {
  calls = readTrace();
});

/** The services the traced runs deployed to: the fakes' resources, and one of each other real provider. */
const registry = {
  services: [
    {
      name: 'trace-ecs-alb',
      environment: 'test',
      provider: { kind: 'ecs-alb', ...ecsAlbFake },
      strategy: 'canary' as const,
      alarms: ['trace-errors'],
    },
    {
      name: 'trace-ecs-rolling',
      environment: 'test',
      provider: { kind: 'ecs-rolling', ...ecsRollingFake },
      strategy: 'canary' as const,
      alarms: ['trace-errors'],
    },
    {
      name: 'trace-lambda-alias',
      environment: 'test',
      provider: { kind: 'lambda-alias', ...lambdaFake },
      strategy: 'linear' as const,
      alarms: ['trace-errors'],
    },
    ...REAL_PROVIDERS.services.filter((s) => ['ecs-rolling', 'appconfig-flag'].includes(s.provider.kind)),
  ],
};

const { stack, template, logicalId } = await synthStepwise({ registry: registry as never });

/**
 * Grants for paths no suite drives deterministically, each with why the code needs it. Every one
 * must still be granted, and still never be sent: one the suites come to send is dropped here.
 */
const UNTRACED_PATHS: Partial<Record<FunctionId, Record<string, string>>> = {
  'task:StartDeployment': {
    'dynamodb:DeleteItem':
      'releases the lock when Start deployment fails after taking it (a deployment cancelled between its ' +
      'checks and its first write, a store failure)',
  },
};

/** What Lambda's runtime does with a role, not the function's code: logs, traces, the dead-letter queue. */
const RUNTIME_ACTIONS = /^(logs|xray):|^sqs:SendMessage$/;

const ROLES: Record<FunctionId, string> = Object.fromEntries([
  ...TASK_FUNCTION_IDS.map((id) => [id, logicalId(stack.tasks.get(id.slice('task:'.length)).role)]),
  ['control:api', logicalId(stack.control.api.handler.role)],
  ['control:dispatch', logicalId(stack.control.dispatch.handler.role)],
  ['control:reconcile', logicalId(stack.control.reconcile.handler.role)],
  ['control:alarm-changed', logicalId(stack.control.alarmChanged.handler.role)],
]);

const tableLogicalId = logicalId(stack.table);
const stateMachineNames = Object.fromEntries(
  Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).map(([id, resource]) => [
    id,
    String(resource.Properties.StateMachineName),
  ]),
);

/**
 * A template value as an IAM resource pattern: pseudo parameters (partition, region, account)
 * become `*`, since a function always calls in its own; the table is the one the local runs used.
 */
function pattern(value: unknown): string {
  if (typeof value === 'string') return value;
  const fn = value as Record<string, unknown>;
  if (fn['Fn::Join']) {
    const [delimiter, parts] = fn['Fn::Join'] as [string, unknown[]];
    return parts.map(pattern).join(delimiter);
  }
  if (typeof fn.Ref === 'string') {
    if (fn.Ref.startsWith('AWS::')) return '*';
    const machine = stateMachineNames[fn.Ref];
    if (machine) return `arn:*:states:*:*:stateMachine:${machine}`;
  }
  const getAtt = fn['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt?.[0] === tableLogicalId && getAtt[1] === 'Arn')
    return `arn:*:dynamodb:*:*:table/${LOCAL_TABLE_NAME}`;
  return `<unresolved ${JSON.stringify(value)}>`;
}

// IAM's wildcards are the trigger patterns' (`*` any run of characters, `?` one).
const matches = wildcardMatches;

interface Grant {
  action: string;
  resource: string;
}

function grantsOf(fn: FunctionId): Grant[] {
  const roleId = ROLES[fn];
  if (!roleId) throw new Error(`no role for ${fn}`);
  return roleStatements(template, roleId)
    .filter((s: Statement) => s.Effect === 'Allow')
    .flatMap((s) =>
      actionsOf(s).flatMap((action) => resourcesOf(s).map((r) => ({ action, resource: pattern(r) }))),
    );
}

const PROVIDER_CLIENTS = new Set([
  'ECSClient',
  'ElasticLoadBalancingV2Client',
  'AppConfigClient',
  'LambdaClient',
]);
/** A provider's call made by a unit test, outside any function: it is every provider-using function's call. */
const isProviderCall = (call: RecordedCall) =>
  call.fn === undefined && PROVIDER_CLIENTS.has(call.client) && call.action !== 'lambda:InvokeFunction';

/** The functions whose roles carry the registered services' provider grants (from the template). */
const providerRoles = new Set(
  Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((policy) =>
    ((policy.Properties.Roles ?? []) as { Ref: string }[]).map((ref) => ref.Ref),
  ),
);
const usesProvider = (fn: FunctionId) => providerRoles.has(ROLES[fn] as string);

const FUNCTIONS = [...TASK_FUNCTION_IDS, ...CONTROL_FUNCTION_IDS] as FunctionId[];
const callsOf = (fn: FunctionId) =>
  calls.filter((c) => c.fn === fn || (isProviderCall(c) && usesProvider(fn)));

/** What one call needs authorized: its own action and resources, and what it implies that is required. */
function needs(call: RecordedCall): { action: string; resources?: string[] }[] {
  return [
    { action: call.action, ...(call.resources ? { resources: call.resources } : {}) },
    ...(call.implied ?? []).filter((i) => i.required),
  ];
}

/** Every action a call is authorized as, the optional implied ones too: what makes a grant used. */
const actionsUsedBy = (call: RecordedCall) => [call.action, ...(call.implied ?? []).map((i) => i.action)];

/** Why `grants` do not allow what the call needs: each action, on each resource it names. */
function refused(grants: Grant[], call: RecordedCall): string[] {
  return needs(call).flatMap((need) => {
    const byAction = grants.filter((g) => matches(g.action, need.action));
    if (byAction.length === 0) return [`${need.action} (${call.operation}), which is not granted at all`];
    // A unit test's provider call names its test's own resources: its actions are what is checked.
    if (!need.resources || call.fn === undefined) return [];
    return need.resources
      .filter((resource) => !byAction.some((g) => matches(g.resource, resource)))
      .map(
        (resource) =>
          `${need.action} on ${resource}, which is granted only on ${byAction.map((g) => g.resource).join(', ')}`,
      );
  });
}

describe('IAM from the calls the code sends', () => {
  it('has a trace of the whole suite to judge (run with npm test)', () => {
    const files = new Set(calls.map((c) => c.file.replace(/^.*\/test\//, 'test/')));
    expect([...files].filter((f) => /^test\/(e2e|statemachine)\//.test(f)).length).toBeGreaterThan(3);
    for (const fn of FUNCTIONS) expect(callsOf(fn).length, `${fn} sent nothing`).toBeGreaterThan(0);
  });

  it.each(FUNCTIONS)('%s: every call it sent is granted to its role', (fn) => {
    const grants = grantsOf(fn);
    const missing = [
      ...new Set(callsOf(fn).flatMap((call) => refused(grants, call).map((m) => `${fn} sends ${m}`))),
    ];
    expect(missing).toEqual([]);
  });

  it.each(FUNCTIONS)('%s: its role is granted no action it never sends', (fn) => {
    const used = callsOf(fn).flatMap(actionsUsedBy);
    const unused = [
      ...new Set(
        grantsOf(fn)
          .map((g) => g.action)
          .filter((action) => !RUNTIME_ACTIONS.test(action) && !used.some((u) => matches(action, u))),
      ),
    ];
    if (unused.length > 0) console.log(`${fn}: granted but never sent: ${unused.join(', ')}`);
    expect(unused).toEqual(Object.keys(UNTRACED_PATHS[fn] ?? {}));
  });
});
