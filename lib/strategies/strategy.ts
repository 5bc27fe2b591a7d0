import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT, STATE_MACHINES_DIR } from '../project-paths.ts';
import type { TaskFunction } from '../tasks/task-function.ts';
import type { TaskFunctions } from '../tasks/task-functions.ts';
import { checkSubstitutions } from './placeholders.ts';

export interface StrategyProps {
  /** Lowercase kebab-case; names the ASL file (`statemachines/<name>.asl.json`) and the state machine. */
  readonly name: string;
  /** Ids of the tasks (`TASKS[].id`) whose functions the definition invokes. */
  readonly tasks: readonly string[];
}

/** What a strategy gives its state machine once bound to the task functions. */
export interface StrategyConfig {
  /** The ASL text exactly as in the file. */
  readonly definition: string;
  /** `${Placeholder}` → function ARN, one per task the strategy uses. */
  readonly definitionSubstitutions: Record<string, string>;
  /** The functions the state machine invokes, so that it can be granted exactly those. */
  readonly functions: readonly TaskFunction[];
}

/**
 * A rollout strategy, in the way CodeDeploy's `TrafficRouting` is a class: it binds a strategy name
 * to its Amazon States Language file and the tasks that file invokes, and checks at synth that the
 * file's placeholders and the substitutions match. One subclass per strategy (see canary.ts).
 */
export abstract class Strategy {
  readonly name: string;
  readonly tasks: readonly string[];
  /** Absolute path of `statemachines/<name>.asl.json`. */
  readonly definitionFile: string;

  protected constructor(props: StrategyProps) {
    if (!/^[a-z][a-z0-9-]*$/.test(props.name)) {
      throw new Error(`strategy name must be lowercase kebab-case, got "${props.name}"`);
    }
    if (props.tasks.length === 0) throw new Error(`strategy ${props.name} lists no tasks`);
    this.name = props.name;
    this.tasks = props.tasks;
    this.definitionFile = join(STATE_MACHINES_DIR, `${props.name}.asl.json`);
  }

  /** Reads the ASL file and maps each of the strategy's tasks to its function's ARN. */
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
    const bound = this.tasks.map((id) => functions.get(id));
    const definitionSubstitutions = Object.fromEntries(
      bound.map((taskFunction) => [taskFunction.task.placeholder, taskFunction.function.functionArn]),
    );
    checkSubstitutions(definition, definitionSubstitutions, source);
    return { definition, definitionSubstitutions, functions: bound };
  }
}
