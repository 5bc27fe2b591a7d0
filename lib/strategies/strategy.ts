import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT, STATE_MACHINES_DIR } from '../project-paths.ts';
import type { TaskFunction } from '../tasks/task-function.ts';
import type { TaskFunctions } from '../tasks/task-functions.ts';
import { checkSubstitutions, findPlaceholders } from './placeholders.ts';

export interface StrategyProps {
  /** Lowercase kebab-case; names the ASL file (`statemachines/<name>.asl.json`) and the state machine. */
  readonly name: string;
  /** @default `statemachines/<name>.asl.json` */
  readonly definitionFile?: string;
}

/** What a strategy gives its state machine once bound to the task functions. */
export interface StrategyConfig {
  /** The ASL text exactly as in the file. */
  readonly definition: string;
  /** `${Placeholder}` → function ARN, one per placeholder of the definition. */
  readonly definitionSubstitutions: Record<string, string>;
  /** The functions the definition invokes, in order of first use, so that exactly those can be granted. */
  readonly functions: readonly TaskFunction[];
}

/**
 * A rollout strategy, in the way CodeDeploy's `TrafficRouting` is a class: it binds a strategy name to
 * its Amazon States Language file. Which tasks it runs is not listed here but read from the file: every
 * `${...}` placeholder must be the `placeholder` of a task (`TASKS`), and the state machine gets exactly
 * those functions. One subclass per strategy (strategies.ts).
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

  /**
   * Reads the ASL file and maps each of its placeholders to the function of the task that owns it.
   * Throws naming the file for a missing or invalid file, a file with no task placeholder, and any
   * placeholder that is no task's.
   */
  bind(functions: TaskFunctions): StrategyConfig {
    const source = relative(PROJECT_ROOT, this.definitionFile);
    let definition: string;
    try {
      definition = readFileSync(this.definitionFile, 'utf8');
      JSON.parse(definition);
    } catch (error) {
      throw new Error(`strategy ${this.name} needs a valid ${source}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const placeholders = findPlaceholders(definition);
    if (placeholders.length === 0) throw new Error(`strategy ${this.name}: ${source} invokes no task`);
    const unknown = placeholders.filter((placeholder) => !functions.findByPlaceholder(placeholder));
    if (unknown.length > 0) {
      throw new Error(
        `strategy ${this.name}: ${source} uses ${unknown.map((name) => `\${${name}}`).join(', ')}, ` +
          `which no task has as its placeholder (task placeholders: ${functions.all.map((f) => f.task.placeholder).join(', ')})`,
      );
    }
    const bound = placeholders.map((placeholder) => functions.findByPlaceholder(placeholder) as TaskFunction);
    const definitionSubstitutions = Object.fromEntries(
      bound.map((taskFunction) => [taskFunction.task.placeholder, taskFunction.function.functionArn]),
    );
    // Holds by construction today; kept so that a future substitution added here (a table name, a
    // topic) cannot drift from the file unnoticed.
    checkSubstitutions(definition, definitionSubstitutions, source);
    return { definition, definitionSubstitutions, functions: bound };
  }
}
