import type { Hook, HookContext, HookResult } from '../domain/hooks.ts';

/** Runs one attempt of a hook. A failed check is a result, not an exception. */
export interface HookRunner {
  run(hook: Hook, context: HookContext): Promise<HookResult>;
}
