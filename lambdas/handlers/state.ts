import { taskStateSchema, validator } from '../domain/schemas.ts';
import type { TaskState } from '../domain/types.ts';

/** Parses the state data that every task after Start receives. */
export const parseTaskState = validator<TaskState>(taskStateSchema, 'state');
