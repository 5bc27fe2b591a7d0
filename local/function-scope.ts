import { AsyncLocalStorage } from 'node:async_hooks';
import { TASKS } from '../lambdas/tasks.ts';

/**
 * Which Lambda function of the stack a piece of local work stands for: a state-machine task
 * (`task:<TASKS[].id>`) or a control function (`control:api`, `control:dispatch`,
 * `control:reconcile`). On AWS each is its own function with its own role; locally they share a
 * process, so the scope says whose role an AWS call would be made with. Work outside any scope is
 * the local runtime's own simulation (the fleet, the simulated cloud), which has no role on AWS.
 */
export type FunctionId = `task:${string}` | `control:${'api' | 'dispatch' | 'reconcile' | 'alarm-changed'}`;

export const TASK_FUNCTION_IDS: readonly FunctionId[] = TASKS.map((task) => `task:${task.id}` as const);
export const CONTROL_FUNCTION_IDS = [
  'control:api',
  'control:dispatch',
  'control:reconcile',
  'control:alarm-changed',
] as const;

// One store per process, whichever copy of this module asked first: what runs in a scope and
// what reads it may have been loaded separately (a test runner evaluates modules per file).
const KEY = Symbol.for('stepwise.functionScope');
const holder = globalThis as { [KEY]?: AsyncLocalStorage<FunctionId | undefined> };
holder[KEY] ??= new AsyncLocalStorage<FunctionId | undefined>();
const scope = holder[KEY];

/** Runs `work` as the function `id`: every AWS call made inside is that function's. */
export function asFunction<T>(id: FunctionId, work: () => Promise<T>): Promise<T> {
  return scope.run(id, work);
}

/** Runs `work` as the local runtime itself, outside whichever function started it. */
export function asRuntime<T>(work: () => Promise<T>): Promise<T> {
  return scope.run(undefined, work);
}

/** The function the current work stands for, if any. */
export function currentFunction(): FunctionId | undefined {
  return scope.getStore();
}
