import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Aws } from 'aws-cdk-lib';
import { PROJECT_ROOT, STATE_MACHINES_DIR } from '../project-paths.ts';
import type { TaskFunction } from '../tasks/task-function.ts';
import type { TaskFunctions } from '../tasks/task-functions.ts';
import {
  checkSubstitutions,
  findPlaceholders,
  PARTITION_PLACEHOLDER,
  TABLE_PLACEHOLDER,
} from './placeholders.ts';

export interface StrategyProps {
  /** Lowercase kebab-case; names the ASL file (`statemachines/<name>.asl.json`) and the state machine. */
  readonly name: string;
  /** @default `statemachines/<name>.asl.json` */
  readonly definitionFile?: string;
}

/** A state machine a definition may start as a child execution (`states:startExecution`). */
export interface ChildStateMachine {
  /** Its ARN, as the definition's placeholder is substituted. */
  readonly stateMachineArn: string;
  /** Its name, known at synth time, so that permissions on its executions can be limited to it. */
  readonly stateMachineName: string;
}

/** What a strategy gives its state machine once bound to the task functions and other state machines. */
export interface StrategyConfig {
  /** The ASL text exactly as in the file. */
  readonly definition: string;
  /** `${Placeholder}` → function or state machine ARN (`${Partition}` → the stack's partition), one per placeholder of the definition. */
  readonly definitionSubstitutions: Record<string, string>;
  /** The functions the definition invokes, in order of first use, so that exactly those can be granted. */
  readonly functions: readonly TaskFunction[];
  /** The state machines the definition starts, in order of first use (none for most strategies). */
  readonly childStateMachines: readonly ChildStateMachine[];
}

/**
 * A rollout strategy, in the way CodeDeploy's `TrafficRouting` is a class: it binds a strategy name to
 * its Amazon States Language file. What it runs is not listed here but read from the file: every
 * `${...}` placeholder but `${Partition}` must be the `placeholder` of a task (`TASKS`) or name a state machine it may
 * start, and the state machine gets exactly those. One subclass per strategy (strategies.ts).
 */
export abstract class Strategy {
  readonly name: string;
  /** Absolute path of the ASL file, `statemachines/<name>.asl.json` unless given. */
  readonly definitionFile: string;

  protected constructor(props: StrategyProps) {
    if (!/^[a-z][a-z0-9-]*$/.test(props.name)) {
      throw new Error(`strategy name must be lowercase kebab-case, got "${props.name}"`);
    }
    this.name = props.name;
    this.definitionFile = props.definitionFile ?? join(STATE_MACHINES_DIR, `${props.name}.asl.json`);
  }

  /** The distinct placeholders of the ASL file, in order of first use. Throws as `bind` does for a bad file. */
  placeholders(): string[] {
    return findPlaceholders(this.read().definition);
  }

  /**
   * Reads the ASL file and maps each of its placeholders to the function of the task that owns it or
   * to the state machine `stateMachines` has under that placeholder. Throws naming the file for a
   * missing or invalid file, a file with no task placeholder, and any placeholder that is neither.
   */
  bind(
    functions: TaskFunctions,
    stateMachines: Readonly<Record<string, ChildStateMachine>> = {},
    /** The Stepwise table's name, for `${TableName}`. @default - the definition may not use it */
    tableName?: string,
  ): StrategyConfig {
    const { definition, source } = this.read();
    const placeholders = findPlaceholders(definition);
    const taskPlaceholders = placeholders.filter((placeholder) => functions.findByPlaceholder(placeholder));
    if (taskPlaceholders.length === 0) throw new Error(`strategy ${this.name}: ${source} invokes no task`);
    const ambiguous = taskPlaceholders.filter((placeholder) => Object.hasOwn(stateMachines, placeholder));
    if (ambiguous.length > 0) {
      throw new Error(
        `strategy ${this.name}: ${source} uses ${ambiguous.map((name) => `\${${name}}`).join(', ')}, ` +
          'which names both a task and a state machine',
      );
    }
    const stateMachinePlaceholders = placeholders.filter((placeholder) =>
      Object.hasOwn(stateMachines, placeholder),
    );
    const unknown = placeholders.filter(
      (placeholder) =>
        placeholder !== PARTITION_PLACEHOLDER &&
        !(placeholder === TABLE_PLACEHOLDER && tableName !== undefined) &&
        !taskPlaceholders.includes(placeholder) &&
        !stateMachinePlaceholders.includes(placeholder),
    );
    if (unknown.length > 0) {
      const known = Object.keys(stateMachines);
      throw new Error(
        `strategy ${this.name}: ${source} uses ${unknown.map((name) => `\${${name}}`).join(', ')}, ` +
          `which no task has as its placeholder (task placeholders: ${functions.all.map((f) => f.task.placeholder).join(', ')}) ` +
          `and no state machine it may start (state machine placeholders: ${known.length > 0 ? known.join(', ') : 'none'})`,
      );
    }
    const bound = taskPlaceholders.map(
      (placeholder) => functions.findByPlaceholder(placeholder) as TaskFunction,
    );
    const childStateMachines = stateMachinePlaceholders.map((placeholder) => stateMachines[placeholder]);
    const definitionSubstitutions = Object.fromEntries(
      placeholders.map((placeholder) => [
        placeholder,
        placeholder === PARTITION_PLACEHOLDER
          ? Aws.PARTITION
          : placeholder === TABLE_PLACEHOLDER && tableName !== undefined
            ? tableName
            : (functions.findByPlaceholder(placeholder)?.function.functionArn ??
              (stateMachines[placeholder] as ChildStateMachine).stateMachineArn),
      ]),
    );
    // Holds by construction today; kept so that a future substitution added here (a table name, a
    // topic) cannot drift from the file unnoticed.
    checkSubstitutions(definition, definitionSubstitutions, source);
    return {
      definition,
      definitionSubstitutions,
      functions: bound,
      childStateMachines: childStateMachines as ChildStateMachine[],
    };
  }

  private read(): { definition: string; source: string } {
    const source = relative(PROJECT_ROOT, this.definitionFile);
    try {
      const definition = readFileSync(this.definitionFile, 'utf8');
      JSON.parse(definition);
      return { definition, source };
    } catch (error) {
      throw new Error(`strategy ${this.name} needs a valid ${source}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
