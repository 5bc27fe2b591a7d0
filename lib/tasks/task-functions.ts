import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TASKS, type TaskDefinition } from '../../lambdas/tasks.ts';
import { TaskFunction, type TaskFunctionProps } from './task-function.ts';

export interface TaskFunctionsProps
  extends Pick<TaskFunctionProps, 'timeout' | 'memorySize' | 'logRetention' | 'logLevel'> {
  /** The table every task uses. */
  readonly table: ITableV2;
  /** @default TASKS, every task of every state machine */
  readonly tasks?: readonly TaskDefinition[];
}

/** One `TaskFunction` per task, found by task id (`TASKS[].id`, also each function's construct id). */
export class TaskFunctions extends Construct {
  readonly all: readonly TaskFunction[];
  private readonly byId = new Map<string, TaskFunction>();

  constructor(scope: Construct, id: string, props: TaskFunctionsProps) {
    super(scope, id);
    const { tasks = TASKS, ...shared } = props;
    const placeholders = new Set<string>();
    for (const task of tasks) {
      if (this.byId.has(task.id)) throw new Error(`task id "${task.id}" is used twice`);
      if (placeholders.has(task.placeholder)) {
        throw new Error(`placeholder "${task.placeholder}" is used by two tasks`);
      }
      placeholders.add(task.placeholder);
      this.byId.set(task.id, new TaskFunction(this, task.id, { ...shared, task }));
    }
    this.all = [...this.byId.values()];
  }

  /** The function whose task a definition names as `${placeholder}`, if any. */
  findByPlaceholder(placeholder: string): TaskFunction | undefined {
    return this.all.find((taskFunction) => taskFunction.task.placeholder === placeholder);
  }

  /** The roles of the tasks that call the traffic provider (`usesProvider`): they get the registered services' provider grants. */
  get providerRoles(): Role[] {
    return this.all
      .filter((taskFunction) => taskFunction.task.usesProvider)
      .map((taskFunction) => taskFunction.role);
  }

  /** The function of task `id`; throws naming the known ids when there is none. */
  get(id: string): TaskFunction {
    const found = this.byId.get(id);
    if (!found) throw new Error(`unknown task "${id}"; known tasks: ${[...this.byId.keys()].join(', ')}`);
    return found;
  }
}
