import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../lambdas/domain/strategy-names.ts';
import { TASKS } from '../../lambdas/tasks.ts';
import { STATE_MACHINES_DIR } from '../../lib/project-paths.ts';
import {
  findPlaceholders,
  PARTITION_PLACEHOLDER,
  TABLE_PLACEHOLDER,
} from '../../lib/strategies/placeholders.ts';
import { STRATEGY_CONSTRUCTS, stateMachinePlaceholder } from '../../lib/strategies/strategies.ts';
import {
  type AslState,
  actionsOf,
  allStates,
  resourcesOf,
  roleStatements,
  synthStepwise,
} from './support.ts';

const { stack, template, logicalId } = await synthStepwise();
const stateMachines = template.findResources('AWS::StepFunctions::StateMachine');
const outputs = template.findOutputs('*');
const asSet = (values: unknown[]) => new Set(values.map((value) => JSON.stringify(value)));
const functionArn = (taskId: string) => ({
  'Fn::GetAtt': [logicalId(stack.tasks.get(taskId).function), 'Arn'],
});

/** The strategy whose state machine a definition names by `placeholder` (`${CanaryStateMachineArn}`), if any. */
const strategyOf = (placeholder: string) =>
  STRATEGIES.find((name) => stateMachinePlaceholder(STRATEGY_CONSTRUCTS[name].id) === placeholder);

/**
 * A strategy as its file describes it: the definition, the tasks its placeholders name and the
 * strategies whose state machines it starts.
 */
function strategyFile(name: string) {
  const text = readFileSync(join(STATE_MACHINES_DIR, `${name}.asl.json`), 'utf8');
  const placeholders = findPlaceholders(text);
  for (const placeholder of placeholders) {
    if (
      placeholder !== PARTITION_PLACEHOLDER &&
      placeholder !== TABLE_PLACEHOLDER &&
      !TASKS.some((t) => t.placeholder === placeholder) &&
      !strategyOf(placeholder)
    ) {
      throw new Error(
        `${name}.asl.json: ${placeholder} is neither a task's nor a state machine's placeholder, nor the partition or the table`,
      );
    }
  }
  const tasks = TASKS.filter((t) => placeholders.includes(t.placeholder));
  const children = placeholders.flatMap((placeholder) => strategyOf(placeholder) ?? []);
  const asl = JSON.parse(text) as { States: Record<string, AslState> };
  return { text, placeholders, tasks, children, states: allStates(asl.States) };
}

/** The stack's state machine of strategy `name`, as a definition substitution refers to it. */
const stateMachineArn = (name: (typeof STRATEGIES)[number]) => ({
  Ref: logicalId(stack.stateMachines[name].stateMachine),
});

/** Every execution of the state machine named `name`, as the template writes the ARN. */
const executionArns = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':states:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:execution:${name}:*`,
    ],
  ],
});

describe('the state machines', () => {
  it('are one per strategy', () => {
    expect(Object.keys(stateMachines)).toHaveLength(STRATEGIES.length);
    expect(Object.keys(stack.stateMachines).sort()).toEqual([...STRATEGIES].sort());
  });

  it('keep their construct ids, Canary for canary', () => {
    expect(Object.values(stack.stateMachines).map((sm) => sm.node.path)).toEqual([
      'StepwiseStack/Canary',
      'StepwiseStack/Linear',
      'StepwiseStack/AllAtOnce',
      'StepwiseStack/BlueGreen',
      'StepwiseStack/Rolling',
      'StepwiseStack/Recreate',
      'StepwiseStack/AbSegment',
      'StepwiseStack/Ring',
    ]);
  });

  it('start other strategies’ state machines in ring only, which starts each of the seven others', () => {
    const starters = STRATEGIES.filter((name) => strategyFile(name).children.length > 0);
    expect(starters).toEqual(['ring']);
    expect([...strategyFile('ring').children].sort()).toEqual(
      STRATEGIES.filter((name) => name !== 'ring').sort(),
    );
  });

  it('are created after the state machines they start', () => {
    const created = stack.node.children.map((child) => child.node.id);
    for (const name of STRATEGIES) {
      for (const child of strategyFile(name).children) {
        expect(created.indexOf(STRATEGY_CONSTRUCTS[child].id), `${child} before ${name}`).toBeLessThan(
          created.indexOf(STRATEGY_CONSTRUCTS[name].id),
        );
      }
    }
  });

  it('use every task between them', () => {
    const used = new Set(STRATEGIES.flatMap((name) => strategyFile(name).tasks.map((task) => task.id)));
    expect(TASKS.filter((task) => !used.has(task.id)).map((task) => task.id)).toEqual([]);
  });
});

describe.each(STRATEGIES)('the %s state machine', (name) => {
  const { id } = STRATEGY_CONSTRUCTS[name];
  const construct = stack.stateMachines[name];
  const stateMachineId = logicalId(construct.stateMachine);
  const stateMachine = stateMachines[stateMachineId];
  const file = strategyFile(name);
  const roleId = stateMachine?.Properties.RoleArn['Fn::GetAtt'][0];

  it(`has statemachines/${name}.asl.json as its definition, unchanged`, () => {
    expect(typeof stateMachine?.Properties.DefinitionString).toBe('string');
    expect(JSON.parse(stateMachine?.Properties.DefinitionString)).toEqual(JSON.parse(file.text));
  });

  it('ends by itself: its definition has a top-level TimeoutSeconds, longer than its child executions', () => {
    const timeoutOf = (definition: string) =>
      (JSON.parse(definition) as { TimeoutSeconds?: unknown }).TimeoutSeconds;
    const timeout = timeoutOf(stateMachine?.Properties.DefinitionString);
    expect(Number.isInteger(timeout) && (timeout as number) > 0, `TimeoutSeconds ${timeout}`).toBe(true);
    for (const child of file.children) {
      const childDefinition = stateMachines[logicalId(stack.stateMachines[child].stateMachine)]?.Properties;
      expect(timeoutOf(childDefinition.DefinitionString), child).toBeLessThan(timeout as number);
    }
  });

  it('substitutes exactly its placeholders, each with the ARN of that task function or state machine, and the partition', () => {
    expect(file.tasks.length).toBeGreaterThan(0);
    expect(stateMachine?.Properties.DefinitionSubstitutions).toEqual(
      Object.fromEntries([
        [PARTITION_PLACEHOLDER, { Ref: 'AWS::Partition' }],
        ...(file.placeholders.includes(TABLE_PLACEHOLDER)
          ? [[TABLE_PLACEHOLDER, { Ref: logicalId(stack.table) }]]
          : []),
        ...file.tasks.map((task) => [task.placeholder, functionArn(task.id)]),
        ...file.children.map((child) => [
          stateMachinePlaceholder(STRATEGY_CONSTRUCTS[child].id),
          stateMachineArn(child),
        ]),
      ]),
    );
    expect(Object.keys(stateMachine?.Properties.DefinitionSubstitutions).sort()).toEqual(
      [...file.placeholders].sort(),
    );
  });

  it("names every task resource in the stack's partition (aws-cn, aws-us-gov too), never arn:aws:", () => {
    const definition = JSON.parse(stateMachine?.Properties.DefinitionString) as {
      States: Record<string, AslState>;
    };
    const resources = allStates(definition.States)
      .filter(([, state]) => state.Type === 'Task')
      .map(([stateName, state]) => [stateName, state.Resource] as const);
    expect(resources.length).toBeGreaterThan(0);
    for (const [stateName, resource] of resources) {
      expect(resource, stateName).toMatch(/^arn:\$\{Partition\}:states:::/);
    }
    expect(stateMachine?.Properties.DefinitionSubstitutions.Partition).toEqual({ Ref: 'AWS::Partition' });
  });

  it('is a Standard state machine named after the stack and the strategy', () => {
    expect(stateMachine?.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      StateMachineName: `Stepwise-${name}`,
    });
  });

  it('logs every event, errors included, to its own log group without execution data (task tokens), and is traced', () => {
    expect(stateMachine?.Properties).toMatchObject({
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(construct.logGroup), 'Arn'] },
            },
          },
        ],
      },
      TracingConfiguration: { Enabled: true },
    });
    const logGroup = template.findResources('AWS::Logs::LogGroup')[logicalId(construct.logGroup)];
    expect(logGroup?.Properties).toMatchObject({
      LogGroupName: `/aws/vendedlogs/states/Stepwise-${name}`,
      RetentionInDays: 90,
    });
  });

  it("has a role that may call exactly its definition's SDK integrations (the Bake's dynamodb:PutItem), on the table only", () => {
    const sdk = file.states.flatMap(([, state]) => {
      const match = /:aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)/.exec(state.Resource ?? '');
      return match
        ? [`${match[1]}:${(match[2] ?? '').charAt(0).toUpperCase()}${(match[2] ?? '').slice(1)}`]
        : [];
    });
    const granted = roleStatements(template, roleId).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(
      granted.map((s) => ({ effect: s.Effect, actions: actionsOf(s), resources: asSet(resourcesOf(s)) })),
    ).toEqual(
      sdk.length === 0
        ? []
        : [
            {
              effect: 'Allow',
              actions: [...new Set(sdk)],
              resources: asSet([{ 'Fn::GetAtt': [logicalId(stack.table), 'Arn'] }]),
            },
          ],
    );
    // Every strategy that bakes with traffic on the candidate watches its alarms while it does.
    expect(sdk.length > 0).toBe(name !== 'ring');
  });

  it('has a role that may invoke exactly the functions its definition names, unqualified', () => {
    const invoke = roleStatements(template, roleId).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('lambda:')),
    );
    expect(
      invoke.map((s) => ({ effect: s.Effect, actions: actionsOf(s), resources: asSet(resourcesOf(s)) })),
    ).toEqual([
      {
        effect: 'Allow',
        actions: ['lambda:InvokeFunction'],
        resources: asSet(file.tasks.map((task) => functionArn(task.id))),
      },
    ]);
  });

  it(
    file.children.length > 0
      ? 'has a role that may start exactly the state machines its definition names, and wait for them'
      : 'has a role that may start no state machine and use no EventBridge rule',
    () => {
      const statements = roleStatements(template, roleId);
      const only = (prefix: string) =>
        statements
          .filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)))
          .map((s) => ({
            effect: s.Effect,
            actions: [...actionsOf(s)].sort(),
            resources: asSet(resourcesOf(s)),
          }));
      expect(only('states:')).toEqual(
        file.children.length === 0
          ? []
          : [
              {
                effect: 'Allow',
                actions: ['states:StartExecution'],
                resources: asSet(file.children.map(stateMachineArn)),
              },
              {
                effect: 'Allow',
                actions: ['states:DescribeExecution', 'states:StopExecution'],
                resources: asSet(file.children.map((child) => executionArns(`Stepwise-${child}`))),
              },
            ],
      );
      expect(only('events:')).toEqual(
        file.children.length === 0
          ? []
          : [
              {
                effect: 'Allow',
                actions: ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'],
                resources: asSet([
                  {
                    'Fn::Join': [
                      '',
                      [
                        'arn:',
                        { Ref: 'AWS::Partition' },
                        ':events:',
                        { Ref: 'AWS::Region' },
                        ':',
                        { Ref: 'AWS::AccountId' },
                        ':rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
                      ],
                    ],
                  },
                ]),
              },
            ],
      );
      if (file.children.length > 0) {
        expect(stateMachine?.DependsOn).toContain(logicalId(construct.node.findChild('StartChildren')));
      }
    },
  );

  it('has a role that may deliver logs and traces, and waits for its invoke policy', () => {
    const actions = roleStatements(template, roleId).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['logs:CreateLogDelivery', 'xray:PutTraceSegments']));
    const invokePolicyId = logicalId(construct.node.findChild('InvokeTasks'));
    expect(stateMachine?.DependsOn).toContain(invokePolicyId);
  });

  it('has a role of its own', () => {
    const others = STRATEGIES.filter((other) => other !== name).map(
      (other) => stateMachines[logicalId(stack.stateMachines[other].stateMachine)]?.Properties.RoleArn,
    );
    expect(others.map((arn) => JSON.stringify(arn))).not.toContain(
      JSON.stringify(stateMachine?.Properties.RoleArn),
    );
  });

  it('calls each function through a Task state that times out after the function does', () => {
    for (const task of file.tasks) {
      const fn =
        template.findResources('AWS::Lambda::Function')[logicalId(stack.tasks.get(task.id).function)];
      const states = file.states.filter(([, s]) => s.Parameters?.FunctionName === `\${${task.placeholder}}`);
      expect(states.length, task.id).toBeGreaterThan(0);
      // A callback (.waitForTaskToken) state's timeout bounds the whole wait, not the invocation.
      for (const [stateName, state] of states.filter(([, s]) => !s.Resource?.endsWith('.waitForTaskToken'))) {
        expect(state.TimeoutSeconds, stateName).toBeDefined();
        expect(fn?.Properties.Timeout, stateName).toBeLessThan(state.TimeoutSeconds as number);
      }
    }
  });

  it(`is in the outputs ${id}StateMachineArn and ${id}ExecutionsConsoleUrl`, () => {
    expect(outputs[`${id}StateMachineArn`]?.Value).toEqual({ Ref: stateMachineId });
    const url = JSON.stringify(outputs[`${id}ExecutionsConsoleUrl`]?.Value);
    expect(url).toContain('.console.aws.amazon.com/states/home?region=');
    expect(url).toContain('#/statemachines/view/');
    expect(url).toContain(JSON.stringify({ Ref: stateMachineId }));
  });
});

describe('stack outputs', () => {
  it('are the table name, two per strategy plus the canary under its first names, the API and the dead-letter queues', () => {
    expect(outputs.TableName?.Value).toEqual({ Ref: logicalId(stack.table) });
    expect(Object.keys(outputs)).toHaveLength(1 + 2 * STRATEGIES.length + 2 + 4);
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'DispatchDeadLetterQueueUrl',
        'ReconcileDeadLetterQueueUrl',
        'AlarmChangedDeadLetterQueueUrl',
      ]),
    );
  });

  it('keep StateMachineArn and ExecutionsConsoleUrl for the canary', () => {
    expect(outputs.StateMachineArn?.Value).toEqual(outputs.CanaryStateMachineArn?.Value);
    expect(outputs.ExecutionsConsoleUrl?.Value).toEqual(outputs.CanaryExecutionsConsoleUrl?.Value);
  });
});
