import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aws, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../lambdas/domain/strategy-names.ts';
import { StepwiseTable } from '../../lib/storage/stepwise-table.ts';
import {
  findPlaceholders,
  PARTITION_PLACEHOLDER,
  TABLE_PLACEHOLDER,
} from '../../lib/strategies/placeholders.ts';
import {
  inCreationOrder,
  STRATEGY_CONSTRUCTS,
  stateMachinePlaceholder,
} from '../../lib/strategies/strategies.ts';
import { type ChildStateMachine, Strategy } from '../../lib/strategies/strategy.ts';
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

/** Stand-ins for every strategy's state machine, keyed by the placeholder that names it. */
const childStateMachines: Record<string, ChildStateMachine> = Object.fromEntries(
  STRATEGIES.map((name) => [
    stateMachinePlaceholder(STRATEGY_CONSTRUCTS[name].id),
    {
      stateMachineArn: `arn:aws:states:eu-west-1:111111111111:stateMachine:Test-${name}`,
      stateMachineName: `Test-${name}`,
    },
  ]),
);

/** `${name}`, as a state-machine definition writes a placeholder. */
const ref = (name: string) => `\${${name}}`;

const task = (placeholder: string, next?: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: ref(placeholder) },
  ...(next ? { Next: next } : { End: true }),
});

describe('a strategy', () => {
  it('binds to statemachines/<name>.asl.json', () => {
    expect(STRATEGY_CONSTRUCTS.canary.create().definitionFile).toMatch(/\/statemachines\/canary\.asl\.json$/);
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
      /^strategy test: .*test\.asl\.json uses \$\{PauseFunctionArn\}, which no task has as its placeholder \(task placeholders: StartDeploymentFunctionArn, .*\) and no state machine it may start \(state machine placeholders: none\)$/,
    );
  });

  it('takes the state machines its file names by placeholder, in order of first use', () => {
    const config = strategyWith({
      StartAt: 'A',
      States: {
        A: task('NextStepFunctionArn', 'B'),
        B: {
          Type: 'Pass',
          Result: { a: ref('LinearStateMachineArn'), b: ref('CanaryStateMachineArn') },
          End: true,
        },
      },
    }).bind(taskFunctions(), childStateMachines);
    expect(config.functions.map((f) => f.task.id)).toEqual(['NextStep']);
    expect(config.childStateMachines.map((sm) => sm.stateMachineName)).toEqual([
      'Test-linear',
      'Test-canary',
    ]);
    expect(config.definitionSubstitutions).toMatchObject({
      LinearStateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:Test-linear',
      CanaryStateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:Test-canary',
    });
    expect(Object.keys(config.definitionSubstitutions)).toEqual([
      'NextStepFunctionArn',
      'LinearStateMachineArn',
      'CanaryStateMachineArn',
    ]);
  });

  it('fails naming a state machine placeholder it was not given', () => {
    const strategy = strategyWith({
      StartAt: 'A',
      States: {
        A: task('NextStepFunctionArn', 'B'),
        B: {
          Type: 'Pass',
          Result: { a: ref('CanaryStateMachineArn'), b: ref('CanaryStatemachineArn') },
          End: true,
        },
      },
    });
    expect(() => strategy.bind(taskFunctions(), childStateMachines)).toThrow(
      /^strategy test: .*test\.asl\.json uses \$\{CanaryStatemachineArn\}, which no task has as its placeholder \(.*\) and no state machine it may start \(state machine placeholders: CanaryStateMachineArn, LinearStateMachineArn, /,
    );
  });

  it('fails for a file that invokes no task', () => {
    expect(() =>
      strategyWith({ StartAt: 'A', States: { A: { Type: 'Succeed' } } }).bind(taskFunctions()),
    ).toThrow(/^strategy test: .*test\.asl\.json invokes no task$/);
  });
});

describe('the creation order', () => {
  const placeholdersOf = (uses: Partial<Record<string, string[]>>) => (name: string) =>
    (uses[name] ?? []).map((id) => stateMachinePlaceholder(id));

  it('puts a strategy after the strategies whose state machines it starts, otherwise keeps the order', () => {
    expect(
      inCreationOrder(['ring', 'canary', 'linear'], placeholdersOf({ ring: ['Canary', 'Linear'] })),
    ).toEqual(['canary', 'linear', 'ring']);
    expect(inCreationOrder(['canary', 'linear', 'ring'], placeholdersOf({ canary: ['Linear'] }))).toEqual([
      'linear',
      'canary',
      'ring',
    ]);
  });

  it('ignores placeholders that name no strategy (bind refuses them)', () => {
    expect(
      inCreationOrder(['canary', 'ring'], () => ['NextStepFunctionArn', 'NoSuchStateMachineArn']),
    ).toEqual(['canary', 'ring']);
  });

  it('fails naming the strategies of a cycle, a strategy starting itself included', () => {
    expect(() =>
      inCreationOrder(['canary', 'linear', 'ring'], placeholdersOf({ canary: ['Ring'], ring: ['Canary'] })),
    ).toThrow('state machines start one another in a cycle among strategies canary, ring');
    expect(() => inCreationOrder(['ring'], placeholdersOf({ ring: ['Ring'] }))).toThrow(
      'state machines start one another in a cycle among strategies ring',
    );
  });

  it('puts ring last among the strategies', () => {
    const order = inCreationOrder(STRATEGIES, (name) => STRATEGY_CONSTRUCTS[name].create().placeholders());
    expect(order.at(-1)).toBe('ring');
    expect([...order].sort()).toEqual([...STRATEGIES].sort());
  });
});

describe.each(STRATEGIES)('the %s strategy', (name) => {
  const strategy = STRATEGY_CONSTRUCTS[name].create();
  const others = Object.fromEntries(
    Object.entries(childStateMachines).filter(
      ([placeholder]) => placeholder !== stateMachinePlaceholder(STRATEGY_CONSTRUCTS[name].id),
    ),
  );

  it('is named after its entry and binds every placeholder of its file', () => {
    expect(strategy.name).toBe(name);
    const config = strategy.bind(taskFunctions(), others, 'stepwise-table');
    const placeholders = findPlaceholders(config.definition);
    expect(strategy.placeholders()).toEqual(placeholders);
    expect(Object.keys(config.definitionSubstitutions)).toEqual(placeholders);
    expect(
      [
        ...config.functions.map((f) => f.task.placeholder),
        ...config.childStateMachines.map(
          (child) => Object.entries(others).find(([, sm]) => sm === child)?.[0],
        ),
      ].sort(),
    ).toEqual(placeholders.filter((p) => p !== PARTITION_PLACEHOLDER && p !== TABLE_PLACEHOLDER).sort());
    expect(config.definitionSubstitutions[PARTITION_PLACEHOLDER]).toBe(Aws.PARTITION);
    if (placeholders.includes(TABLE_PLACEHOLDER)) {
      expect(config.definitionSubstitutions[TABLE_PLACEHOLDER]).toBe('stepwise-table');
    }
  });

  it('has a PascalCase construct id', () => {
    expect(STRATEGY_CONSTRUCTS[name].id).toBe(
      name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase()),
    );
  });

  it('keeps the construct id it has always had (a contract: a new id replaces the state machine)', () => {
    const ids = {
      canary: 'Canary',
      linear: 'Linear',
      'all-at-once': 'AllAtOnce',
      'blue-green': 'BlueGreen',
      rolling: 'Rolling',
      recreate: 'Recreate',
      'ab-segment': 'AbSegment',
      ring: 'Ring',
    };
    expect(STRATEGY_CONSTRUCTS[name].id).toBe(ids[name]);
  });
});
