import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TASKS } from '../../lambdas/tasks.ts';
import { STATE_MACHINES_DIR } from '../../lib/project-paths.ts';
import { findPlaceholders } from '../../lib/strategies/placeholders.ts';
import { actionsOf, resourcesOf, roleStatements, synthStepwise } from './support.ts';

const { stack, template, logicalId } = synthStepwise();
const aslText = readFileSync(join(STATE_MACHINES_DIR, 'canary.asl.json'), 'utf8');
const asl = JSON.parse(aslText) as {
  States: Record<string, { Type: string; TimeoutSeconds?: number; Parameters?: { FunctionName?: string } }>;
};
const stateMachineId = logicalId(stack.canary.stateMachine);
const stateMachine = template.findResources('AWS::StepFunctions::StateMachine')[stateMachineId];
const asSet = (values: unknown[]) => new Set(values.map((value) => JSON.stringify(value)));
const functionArn = (taskId: string) => ({
  'Fn::GetAtt': [logicalId(stack.tasks.get(taskId).function), 'Arn'],
});
/** The task functions the ASL calls, by placeholder: what the state machine must reach. */
const called = findPlaceholders(aslText).map((placeholder) => {
  const task = TASKS.find((t) => t.placeholder === placeholder);
  if (!task) throw new Error(`no task has placeholder ${placeholder}`);
  return { placeholder, arn: functionArn(task.id) };
});

describe('the canary state machine', () => {
  it('is the only state machine in the stack', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  it('has statemachines/canary.asl.json as its definition, unchanged', () => {
    expect(typeof stateMachine?.Properties.DefinitionString).toBe('string');
    expect(JSON.parse(stateMachine?.Properties.DefinitionString)).toEqual(JSON.parse(aslText));
  });

  it('substitutes each task placeholder with the ARN of that task function', () => {
    expect(called).toHaveLength(TASKS.length);
    expect(stateMachine?.Properties.DefinitionSubstitutions).toEqual(
      Object.fromEntries(called.map(({ placeholder, arn }) => [placeholder, arn])),
    );
  });

  it('is a Standard state machine named after the stack and the strategy', () => {
    expect(stateMachine?.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      StateMachineName: 'Stepwise-canary',
    });
  });

  it('logs every event with execution data to its own log group, and is traced', () => {
    expect(stateMachine?.Properties).toMatchObject({
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(stack.canary.logGroup), 'Arn'] },
            },
          },
        ],
      },
      TracingConfiguration: { Enabled: true },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/Stepwise-canary',
      RetentionInDays: 90,
    });
  });

  it('has a role that may invoke exactly the task functions, unqualified', () => {
    const roleId = stateMachine?.Properties.RoleArn['Fn::GetAtt'][0];
    const invoke = roleStatements(template, roleId).filter((s) =>
      actionsOf(s).includes('lambda:InvokeFunction'),
    );
    expect(
      invoke.map((s) => ({ effect: s.Effect, actions: actionsOf(s), resources: asSet(resourcesOf(s)) })),
    ).toEqual([
      {
        effect: 'Allow',
        actions: ['lambda:InvokeFunction'],
        resources: asSet(called.map(({ arn }) => arn)),
      },
    ]);
  });

  it('has a role that may deliver logs and traces, and the state machine waits for its invoke policy', () => {
    const roleId = stateMachine?.Properties.RoleArn['Fn::GetAtt'][0];
    const actions = roleStatements(template, roleId).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['logs:CreateLogDelivery', 'xray:PutTraceSegments']));
    const invokePolicyId = logicalId(stack.canary.node.findChild('InvokeTasks'));
    expect(template.findResources('AWS::StepFunctions::StateMachine')[stateMachineId]?.DependsOn).toContain(
      invokePolicyId,
    );
  });
});

describe('the canary tasks', () => {
  const tasksIn = (placeholder: string) =>
    Object.entries(asl.States).filter(([, state]) => state.Parameters?.FunctionName === `\${${placeholder}}`);

  it.each(TASKS.map((task) => [task.id, task.placeholder]))(
    '%s times out before any Task state that calls it does',
    (id, placeholder) => {
      const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.tasks.get(id).function)];
      const states = tasksIn(placeholder);
      expect(states.length).toBeGreaterThan(0);
      for (const [, state] of states) {
        expect(state.TimeoutSeconds).toBeDefined();
        expect(fn?.Properties.Timeout).toBeLessThan(state.TimeoutSeconds as number);
      }
    },
  );
});

describe('stack outputs', () => {
  it('give the table name, the state machine ARN and its executions in the console', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.TableName?.Value).toEqual({ Ref: logicalId(stack.table) });
    expect(outputs.StateMachineArn?.Value).toEqual({ Ref: stateMachineId });
    const url = JSON.stringify(outputs.ExecutionsConsoleUrl?.Value);
    expect(url).toContain('.console.aws.amazon.com/states/home?region=');
    expect(url).toContain('#/statemachines/view/');
    expect(url).toContain(JSON.stringify({ Ref: stateMachineId }));
  });
});
