import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALARM_FIRED_ERROR } from '../../lambdas/domain/bakes.ts';
import * as errors from '../../lambdas/domain/errors.ts';

/**
 * The shape every state machine file must share, since there is one file per strategy and no
 * generator (ADR 5 and the step loop rely on it): the same retry policy for the same task
 * everywhere, and no error name in a Retry or Catch that nothing can raise (a typo there is a
 * retry or a rollback that never happens, and no engine reports it).
 */
const dir = new URL('../../statemachines/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

interface State {
  Type: string;
  Error?: string;
  Parameters?: { FunctionName?: string };
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
}
const machines = files.map((file) => ({
  file,
  states: Object.entries(
    (JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { States: Record<string, State> }).States,
  ),
}));

/** The names Stepwise's own errors carry: every error class, the bake's alarm, and the Fail states' errors. */
const STEPWISE_ERRORS = new Set([
  ...(Object.values(errors) as unknown[])
    .filter((value): value is new (message: string) => Error => typeof value === 'function')
    .map((ErrorClass) => new ErrorClass('probe').name),
  ALARM_FIRED_ERROR,
  ...machines.flatMap((m) => m.states.flatMap(([, s]) => (s.Type === 'Fail' && s.Error ? [s.Error] : []))),
]);
/** What AWS raises that the files name: the services' own error prefixes, and the States.* errors. */
const AWS_PREFIXES = ['States.', 'Lambda.', 'DynamoDB.', 'StepFunctions.'];

describe('the state machine files share one shape', () => {
  it('every Lambda task retries exactly as it does in every other file', () => {
    const byFunction = new Map<string, Set<string>>();
    for (const { states } of machines) {
      for (const [, state] of states) {
        const fn = state.Parameters?.FunctionName;
        if (!fn) continue;
        byFunction.set(fn, (byFunction.get(fn) ?? new Set()).add(JSON.stringify(state.Retry)));
      }
    }
    expect(byFunction.size).toBeGreaterThan(10);
    for (const [fn, policies] of byFunction) expect(policies.size, `${fn} has one Retry policy`).toBe(1);
  });

  it.each(files)('%s names only errors something can raise', (file) => {
    const states = machines.find((m) => m.file === file)?.states ?? [];
    const named = states.flatMap(([name, state]) =>
      [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((r) =>
        r.ErrorEquals.map((e) => [name, e] as const),
      ),
    );
    const unknown = named.filter(
      ([, e]) => !STEPWISE_ERRORS.has(e) && !AWS_PREFIXES.some((prefix) => e.startsWith(prefix)),
    );
    expect(unknown).toEqual([]);
    // A Stepwise.* name that no class, bake or Fail state carries is a typo.
    expect(named.filter(([, e]) => e.startsWith('Stepwise.') && !STEPWISE_ERRORS.has(e))).toEqual([]);
  });

  it('knows the Stepwise errors by the names the handlers throw', () => {
    expect(STEPWISE_ERRORS).toContain('Stepwise.NotReadyYet');
    expect(STEPWISE_ERRORS).toContain('Stepwise.Transient');
    expect(STEPWISE_ERRORS).toContain('Stepwise.RolledBack');
    expect(STEPWISE_ERRORS).not.toContain('Stepwise.NotReady');
  });
});
