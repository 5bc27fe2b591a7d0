import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { StepwiseTable } from '../../lib/storage/stepwise-table.ts';
import { CanaryStrategy } from '../../lib/strategies/canary.ts';
import { Strategy } from '../../lib/strategies/strategy.ts';
import { TaskFunctions } from '../../lib/tasks/task-functions.ts';

class TestStrategy extends Strategy {
  constructor(name: string, tasks: string[]) {
    super({ name, tasks });
  }
}

function taskFunctions() {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  return new TaskFunctions(stack, 'Tasks', { table: new StepwiseTable(stack, 'Table') });
}

describe('a strategy', () => {
  it('binds to statemachines/<name>.asl.json', () => {
    expect(new CanaryStrategy().definitionFile).toMatch(/\/statemachines\/canary\.asl\.json$/);
  });

  it('refuses a name that is not lowercase kebab-case', () => {
    expect(() => new TestStrategy('Canary', ['Promote'])).toThrow(
      'strategy name must be lowercase kebab-case, got "Canary"',
    );
  });

  it('refuses to bind without its state machine file', () => {
    expect(() => new TestStrategy('blue-green', ['Promote']).bind(taskFunctions())).toThrow(
      'strategy blue-green needs a valid statemachines/blue-green.asl.json',
    );
  });

  it('refuses to bind a task that has no function', () => {
    expect(() => new TestStrategy('canary', ['Promote', 'Pause']).bind(taskFunctions())).toThrow(
      'unknown task "Pause"; known tasks: StartDeployment, PrepareCandidate',
    );
  });

  it('refuses to bind when its tasks do not match the placeholders of its file', () => {
    const tasks = new CanaryStrategy().tasks.filter((id) => id !== 'CheckAlarms');
    expect(() => new TestStrategy('canary', tasks).bind(taskFunctions())).toThrow(
      `definition substitutions do not match statemachines/canary.asl.json: no substitution for \${CheckAlarmsFunctionArn}`,
    );
  });

  it('gives the canary one substitution per task it invokes', () => {
    const functions = taskFunctions();
    const config = new CanaryStrategy().bind(functions);
    expect(Object.keys(config.definitionSubstitutions).sort()).toEqual(
      functions.all.map((taskFunction) => taskFunction.task.placeholder).sort(),
    );
    expect(config.functions).toHaveLength(7);
  });
});
