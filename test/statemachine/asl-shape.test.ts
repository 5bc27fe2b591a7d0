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
  Comment?: string;
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

  /**
   * The states that differ by design between files that share their name: the step router, the
   * settle waits of strategies that move traffic differently, and the ring, which moves no traffic
   * itself. Any other state two files share must be the same in both.
   */
  const VARIES: Record<string, string> = {
    'Which step?': 'each strategy routes its own step kinds',
    'Wait for traffic to settle': 'a blue-green switch and a rolling batch settle differently',
    'Start deployment': 'a ring starts a rollout of services, with its own input',
    Bake: 'a ring bakes between rings, not on traffic',
    'Unsupported step': 'the ring names ring steps',
    'Rollback failed': 'a ring reports the finished ring it could not restore',
  };

  /** A state as every file must have it: its comment aside, and the file's rollback entry (Roll back, Switch back…) named alike. */
  const frame = (file: string, state: State) => {
    const own = machines.find((m) => m.file === file)?.states ?? [];
    const next = own.find(([name]) => name === 'Next step')?.[1];
    const rollback = next?.Catch?.[0] && (next.Catch[0] as { Next?: string }).Next;
    const { Comment: _comment, ...rest } = state;
    const text = JSON.stringify(rest);
    return rollback ? text.replaceAll(`"${rollback}"`, '"<rollback>"') : text;
  };
  const shared = () => {
    const byName = new Map<string, Map<string, string>>();
    for (const { file, states } of machines) {
      for (const [name, state] of states) {
        byName.set(name, (byName.get(name) ?? new Map()).set(file, frame(file, state)));
      }
    }
    return [...byName].filter(([, inFiles]) => inFiles.size > 1);
  };

  it('every state two files share is the same in both, but for those that vary by design', () => {
    const differing = shared()
      .filter(([, inFiles]) => new Set(inFiles.values()).size > 1)
      .map(([name]) => name);
    expect(differing.filter((name) => !(name in VARIES))).toEqual([]);
    // The list stays tight: a state that no longer varies leaves it.
    expect(Object.keys(VARIES).filter((name) => !differing.includes(name))).toEqual([]);
    // The frame is most of each file: start, the candidate, the step loop's tasks, promotion, the closing states.
    expect(shared().length).toBeGreaterThan(25);
  });

  it('knows the Stepwise errors by the names the handlers throw', () => {
    expect(STEPWISE_ERRORS).toContain('Stepwise.NotReadyYet');
    expect(STEPWISE_ERRORS).toContain('Stepwise.Transient');
    expect(STEPWISE_ERRORS).toContain('Stepwise.RolledBack');
    expect(STEPWISE_ERRORS).not.toContain('Stepwise.NotReady');
  });
});
