import { afterAll, beforeAll } from 'vitest';
import type { Weights } from '../../lambdas/domain/types.ts';
import { LocalRuntime } from '../../local/runtime.ts';

/** One in-memory local runtime per test file, opened before its tests and closed after. */
export function useLocalRuntime(): () => LocalRuntime {
  let runtime: LocalRuntime | undefined;
  beforeAll(async () => {
    runtime = await LocalRuntime.open(undefined);
  });
  afterAll(async () => {
    await runtime?.close();
  });
  return () => {
    if (!runtime) throw new Error('the local runtime is not open yet');
    return runtime;
  };
}

export const sumOf = (weights: Weights) => Object.values(weights).reduce((a, b) => a + b, 0);
