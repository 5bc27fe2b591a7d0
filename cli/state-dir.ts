import { resolve } from 'node:path';
import { LocalRuntime } from '../local/runtime.ts';
import { UsageError } from './errors.ts';

/** Local state lives in one folder of the working directory, so every run sees the ones before it. */
export function stateDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.STEPWISE_STATE_DIR ?? '.stepwise', 'dynamodb');
}

/** Opens the local store; says plainly when another stepwise process holds it. */
export async function openRuntime(flag: string | undefined): Promise<LocalRuntime> {
  const dir = stateDir(flag);
  try {
    return await LocalRuntime.open(dir);
  } catch (error) {
    const text =
      String((error as Error).message ?? error) + String((error as { cause?: Error }).cause?.message ?? '');
    if (/lock/i.test(text)) {
      throw new UsageError(`${dir} is in use by another stepwise process; wait for it to finish`);
    }
    throw error;
  }
}

export const STATE_DIR_OPTION = {
  kind: 'text',
  arg: 'DIR',
  help: 'where local state lives (default .stepwise, or $STEPWISE_STATE_DIR)',
} as const;
