import * as compiled from '../domain/compiled-schemas.js';
import { validator } from '../domain/schemas.ts';
import type { TaskState } from '../domain/types.ts';

const parse = validator<TaskState>(compiled.taskState, 'state');

/**
 * Parses the state data that every task after Start receives. What an earlier task said it ran
 * (`ran`, `checked`) is for the execution's reader, not for this task: it is left out, so that
 * no task passes it on as if it had run those steps itself.
 */
export function parseTaskState(value: unknown): TaskState {
  const { ran: _ran, checked: _checked, ...state } = parse(value);
  return state;
}
