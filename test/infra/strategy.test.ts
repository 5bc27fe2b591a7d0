import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../lambdas/domain/strategy-names.ts';
import { StepwiseTable } from '../../lib/storage/stepwise-table.ts';
import { findPlaceholders } from '../../lib/strategies/placeholders.ts';
import { CanaryStrategy, STRATEGY_CONSTRUCTS } from '../../lib/strategies/strategies.ts';
import { Strategy } from '../../lib/strategies/strategy.ts';
import { TaskFunctions } from '../../lib/tasks/task-functions.ts';

class TestStrategy extends Strategy {
  constructor(name: string, definitionFile?: string) {
    super({ name, definitionFile });
  }
}

function taskFunctions() {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  return new TaskFunctions(stack, 'Tasks', { table: new StepwiseTable(stack, 'Table') });
}

/** A strategy whose ASL file is `definition`, written to a temporary folder. */
function strategyWith(definition: unknown) {
  const file = join(mkdtempSync(join(tmpdir(), 'stepwise-strategy-')), 'test.asl.json');
  writeFileSync(file, JSON.stringify(definition));
  return new TestStrategy('test', file);
}

const task = (placeholder: string, next?: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: `\${${placeholder}}` },
  ...(next ? { Next: next } : { End: true }),
});

describe('a strategy', () => {
  it('binds to statemachines/<name>.asl.json', () => {
    expect(new CanaryStrategy().definitionFile).toMatch(/\/statemachines\/canary\.asl\.json$/);
  });

  it('refuses a name that is not lowercase kebab-case', () => {
    expect(() => new TestStrategy('Canary')).toThrow(
      'strategy name must be lowercase kebab-case, got "Canary"',
    );
  });

  it('refuses to bind without its state machine file', () => {
    expect(() => new TestStrategy('no-such-strategy').bind(taskFunctions())).toThrow(
      'strategy no-such-strategy needs a valid statemachines/no-such-strategy.asl.json',
    );
  });

  it('takes the tasks its file names by placeholder, in order of first use', () => {
    const config = strategyWith({
      StartAt: 'A',
      States: {
        A: task('PromoteFunctionArn', 'B'),
        B: task('NextStepFunctionArn', 'C'),
        C: task('PromoteFunctionArn'),
      },
    }).bind(taskFunctions());
    expect(config.functions.map((f) => f.task.id)).toEqual(['Promote', 'NextStep']);
    expect(Object.keys(config.definitionSubstitutions)).toEqual([
      'PromoteFunctionArn',
      'NextStepFunctionArn',
    ]);
  });

  it('fails naming a placeholder that is no task’s', () => {
    const strategy = strategyWith({
      StartAt: 'A',
      States: { A: task('PromoteFunctionArn', 'B'), B: task('PauseFunctionArn') },
    });
    expect(() => strategy.bind(taskFunctions())).toThrow(
      /^strategy test: .*test\.asl\.json uses \$\{PauseFunctionArn\}, which no task has as its placeholder \(task placeholders: StartDeploymentFunctionArn, /,
    );
  });

  it('fails for a file that invokes no task', () => {
    expect(() =>
      strategyWith({ StartAt: 'A', States: { A: { Type: 'Succeed' } } }).bind(taskFunctions()),
    ).toThrow(/^strategy test: .*test\.asl\.json invokes no task$/);
  });
});

describe.each(STRATEGIES)('the %s strategy', (name) => {
  const strategy = STRATEGY_CONSTRUCTS[name].create();

  it('is named after its entry and binds every placeholder of its file', () => {
    expect(strategy.name).toBe(name);
    const config = strategy.bind(taskFunctions());
    expect(Object.keys(config.definitionSubstitutions)).toEqual(findPlaceholders(config.definition));
    expect(config.functions.map((f) => f.task.placeholder)).toEqual(findPlaceholders(config.definition));
  });

  it('has a PascalCase construct id', () => {
    expect(STRATEGY_CONSTRUCTS[name].id).toBe(
      name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase()),
    );
  });
});
