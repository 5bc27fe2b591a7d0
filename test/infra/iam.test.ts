import { describe, expect, it } from 'vitest';
import { HOOK_FUNCTION_PREFIX, TASKS } from '../../lambdas/tasks.ts';
import { actionsOf, resourcesOf, roleStatements, synthStepwise } from './support.ts';

const { stack, template, logicalId } = await synthStepwise();
const tableArn = { 'Fn::GetAtt': [logicalId(stack.table), 'Arn'] };
const hookArns = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':lambda:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:function:${HOOK_FUNCTION_PREFIX}*`,
    ],
  ],
};

/** The alarms Stepwise makes for its deployments: the only ones a role may create or delete. */
const deploymentAlarmArns = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':alarm:stepwise-*',
    ],
  ],
};

/** Everything a task function's role allows, from the template. */
function statementsOf(taskId: string) {
  const taskFunction = stack.tasks.get(taskId);
  const fn = template.findResources('AWS::Lambda::Function')[logicalId(taskFunction.function)];
  return roleStatements(template, fn?.Properties.Role['Fn::GetAtt'][0]);
}

describe.each(TASKS)('the $id function', (task) => {
  const statements = statementsOf(task.id);
  const actions = statements.flatMap(actionsOf);

  it('may use exactly its DynamoDB actions, on the table and nothing else', () => {
    const dynamodb = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb.flatMap(actionsOf).sort()).toEqual(task.dynamodb.map((a) => `dynamodb:${a}`).sort());
    for (const statement of dynamodb) {
      expect(statement.Effect).toBe('Allow');
      expect(resourcesOf(statement)).toEqual([tableArn]);
    }
  });

  it('has no wildcard action and no scan, batch or PartiQL DynamoDB action', () => {
    expect(actions.filter((a) => a.includes('*') || /^dynamodb:(Scan|Batch|PartiQL)/.test(a))).toEqual([]);
  });

  it(task.cloudwatch ? 'reads CloudWatch alarms' : 'reads no CloudWatch alarm', () => {
    const reads = statements.filter((s) => resourcesOf(s).includes('*'));
    expect(
      reads
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('cloudwatch:'))
        .sort(),
    ).toEqual([...(task.cloudwatch ?? [])].sort());
  });

  it(
    task.deploymentAlarms ? 'creates or deletes only the stepwise-* alarms' : 'creates and deletes no alarm',
    () => {
      const writes = statements.filter((s) =>
        actionsOf(s).some((a) => a === 'cloudwatch:PutMetricAlarm' || a === 'cloudwatch:DeleteAlarms'),
      );
      expect(writes.map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s) }))).toEqual(
        task.deploymentAlarms ? [{ actions: task.deploymentAlarms, resources: [deploymentAlarmArns] }] : [],
      );
    },
  );

  it('has no statement without actions or resources', () => {
    for (const statement of statements) {
      expect(actionsOf(statement).length).toBeGreaterThan(0);
      expect(resourcesOf(statement).length).toBeGreaterThan(0);
    }
  });

  it(
    task.invokesHooks ? 'may invoke stepwise-hook-* functions only' : 'may invoke no Lambda function',
    () => {
      const lambda = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
      expect(
        lambda.map((s) => ({ effect: s.Effect, actions: actionsOf(s), resources: resourcesOf(s) })),
      ).toEqual(
        task.invokesHooks
          ? [{ effect: 'Allow', actions: ['lambda:InvokeFunction'], resources: [hookArns] }]
          : [],
      );
    },
  );

  it('may otherwise only write its own logs and send traces', () => {
    const listed = new Set([
      ...task.dynamodb.map((a) => `dynamodb:${a}`),
      ...(task.cloudwatch ?? []),
      ...(task.deploymentAlarms ?? []),
      ...(task.invokesHooks ? ['lambda:InvokeFunction'] : []),
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
    ]);
    expect(actions.filter((a) => !listed.has(a))).toEqual([]);
    const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs.flatMap(resourcesOf)).toEqual([
      { 'Fn::GetAtt': [logicalId(stack.tasks.get(task.id).logGroup), 'Arn'] },
    ]);
  });

  it('has no managed policy', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.tasks.get(task.id).function)];
    const role = template.findResources('AWS::IAM::Role')[fn?.Properties.Role['Fn::GetAtt'][0]];
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('hook invocation', () => {
  it('belongs to RunHook alone', () => {
    expect(TASKS.filter((task) => task.invokesHooks).map((task) => task.id)).toEqual(['RunHook']);
    const invokers = TASKS.filter((task) =>
      statementsOf(task.id)
        .flatMap(actionsOf)
        .some((a) => a.startsWith('lambda:')),
    );
    expect(invokers.map((task) => task.id)).toEqual(['RunHook']);
  });
});

describe('CloudWatch alarm reads', () => {
  it('belong to StartDeployment (pre-flight) and CheckAlarms alone among the tasks', () => {
    const readers = TASKS.filter((task) =>
      statementsOf(task.id)
        .filter((s) => resourcesOf(s).includes('*'))
        .flatMap(actionsOf)
        .some((a) => a.startsWith('cloudwatch:')),
    );
    expect(readers.map((task) => task.id)).toEqual(['StartDeployment', 'CheckAlarms']);
  });

  it("a deployment's own alarm: PrepareCandidate creates it, RecordEvent deletes it, no other task touches alarms", () => {
    const writers = TASKS.filter((task) =>
      statementsOf(task.id)
        .flatMap(actionsOf)
        .some((a) => a === 'cloudwatch:PutMetricAlarm' || a === 'cloudwatch:DeleteAlarms'),
    );
    expect(writers.map((task) => [task.id, task.deploymentAlarms])).toEqual([
      ['PrepareCandidate', ['cloudwatch:PutMetricAlarm']],
      ['RecordEvent', ['cloudwatch:DeleteAlarms']],
    ]);
  });
});
