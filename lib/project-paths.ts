import { join, resolve } from 'node:path';

/**
 * Where the infrastructure finds the project's files. Resolved from this file, not from the working
 * directory, so `cdk synth`, the tests and an IDE all bundle and read the same files.
 */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** Lambda entry files, one per task (`TASKS[].entry`). */
export const ENTRIES_DIR = join(PROJECT_ROOT, 'lambdas', 'entries');

/** One Amazon States Language file per strategy: `<name>.asl.json`. */
export const STATE_MACHINES_DIR = join(PROJECT_ROOT, 'statemachines');
