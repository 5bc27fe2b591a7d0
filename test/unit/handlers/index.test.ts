import { describe, expect, it } from 'vitest';
import { HANDLER_FACTORIES } from '../../../lambdas/handlers/index.ts';
import { TASKS } from '../../../lambdas/tasks.ts';
import { RoutesOnlyStore, silentLogger, taskDeps } from '../fixtures.ts';

describe('HANDLER_FACTORIES', () => {
  it('has a handler factory for every task, and none for a task that does not exist', () => {
    expect(Object.keys(HANDLER_FACTORIES).sort()).toEqual(TASKS.map((t) => t.id).sort());
  });

  it.each(TASKS.map((t) => t.id))('builds a Lambda handler for %s', (id) => {
    const make = HANDLER_FACTORIES[id];
    expect(make?.(taskDeps(new RoutesOnlyStore()), silentLogger())).toBeTypeOf('function');
  });
});
