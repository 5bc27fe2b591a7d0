import { InvalidInputError } from '../lambdas/domain/errors.ts';
import type { HookPhase } from '../lambdas/domain/hooks.ts';
import { parseDurationSeconds } from '../lambdas/domain/plan.ts';

/** The candidate version misbehaves: a higher error rate or latency, from a step on. */
export interface BehaviourFault {
  /** The `--inject` value it came from, to report one that never fired. */
  spec?: string;
  kind: 'errors' | 'latency';
  /** errors: a fraction 0..1; latency: milliseconds added to p99, or (unit `percent`) percent slower throughout. */
  value: number;
  unit?: 'ms' | 'percent';
  /** Which version shows it: the candidate (default), the stable version, or both (a shared dependency failing). */
  version?: 'stable' | 'candidate' | 'all';
  /** First step (1-based) at which the fault is active; 1 when not given. */
  fromStep: number;
  /** Only in deployments of this service (unscoped when absent). */
  service?: string;
}

/** A task misbehaves: `throttle` fails once with a transient Lambda error, `fail` fails for good. */
export interface TaskFault {
  /** The `--inject` value it came from, to report one that never fired. */
  spec?: string;
  kind: 'throttle' | 'fail';
  /** Task file name, e.g. `shift-traffic`. */
  task: string;
  /** Only on this step (1-based); any step when not given. */
  step?: number;
  service?: string;
  /** `fail` only: fails the first call it matches, and no other (a failure that goes away). */
  once?: boolean;
}

/** A hook phase's smoke test fails: the simulated test route answers 503 to it. */
export interface HookFault {
  /** The `--inject` value it came from, to report one that never fired. */
  spec?: string;
  phase?: HookPhase;
  service?: string;
}

/** Someone asks for a promote-now or abort once the rollout reaches traffic step `step`. */
export interface ControlFault {
  /** The `--inject` value it came from, to report one that never fired. */
  spec?: string;
  action: 'promote' | 'abort';
  step: number;
  service?: string;
}

export interface Faults {
  behaviour: BehaviourFault[];
  tasks: TaskFault[];
  hooks: HookFault[];
  controls: ControlFault[];
  /** The service's alarms are already in ALARM before the deployment starts (pre-flight). */
  firingAlarms: { service?: string; spec?: string }[];
  /** No alarm state-change event reaches the alarm-changed function: only the end-of-bake check is left. */
  alarmEventsLost?: { service?: string; spec?: string };
}

export const INJECT_GRAMMAR = `--inject KIND=VALUE[@WHERE...]   (repeatable)
    errors=8%                   the new version fails 8% of its requests
    latency=900ms               the new version's p99 latency is 900 ms higher
    latency=25%                 the new version is 25% slower throughout (p95, p99...)
    hook=fail                   the simulated test route fails the smoke-test hooks (503)
    throttle=TASK               TASK fails once with Lambda.TooManyRequestsException (retried)
    fail=TASK                   TASK fails for good (the rollback path runs)
    fail=TASK@once              TASK fails on its first call only (e.g. a ring's restore, which is retried)
    control=abort|promote       someone aborts (rolls back) or promotes now, from step N (default 1)
    alarms=firing               the service's alarms are in ALARM before it starts (pre-flight blocks
                                the deployment unless --allow-firing-alarms)
    alarm-events=lost           no alarm's state-change event arrives: a bake is not cut short, and only
                                the check at its end can roll back
  WHERE (any that fit, e.g. errors=10%@step=2@service=checkout-eu):
    @step=N or @batch=N         from traffic step N on (errors, latency, control) / only at step N (tasks)
    @pre-traffic, @post-traffic only that hook phase (hook)
    @service=NAME               only in deployments of that service (a ring's service)
    @version=candidate|stable|all  which version shows it (errors, latency; default candidate): all is a
                                shared dependency failing, which the judge must not blame on the candidate
    @once                       only the first call it matches (fail)
  TASK is one of: TASK_NAMES`;

/** Parses `--inject` values; throws naming the bad one. */
export function parseFaults(values: string[], taskNames: string[]): Faults {
  const faults: Faults = { behaviour: [], tasks: [], hooks: [], controls: [], firingAlarms: [] };
  for (const raw of values) {
    const match =
      /^(errors|latency|throttle|fail|hook|control|alarms|alarm-events)=([^@]+)((?:@[^@]+)*)$/.exec(
        raw.trim(),
      );
    if (!match) throw new InvalidInputError(`--inject '${raw}' is not KIND=VALUE[@WHERE] (see --help)`);
    const [, kind, value = '', where = ''] = match;
    let step: number | undefined;
    let phase: HookPhase | undefined;
    let service: string | undefined;
    let once = false;
    let version: BehaviourFault['version'];
    for (const part of where.split('@').slice(1)) {
      if (part === 'once') {
        once = true;
        continue;
      }
      const of = /^version=(.*)$/.exec(part);
      if (of) {
        if (of[1] !== 'candidate' && of[1] !== 'stable' && of[1] !== 'all') {
          throw new InvalidInputError(
            `--inject '${raw}': @version takes candidate, stable or all, got '${of[1]}'`,
          );
        }
        if (kind !== 'errors' && kind !== 'latency') {
          throw new InvalidInputError(`--inject '${raw}': @version goes with errors= or latency=`);
        }
        version = of[1];
        continue;
      }
      const at = /^(?:(?:step|batch)=(\d+)|(pre-traffic|post-traffic)|service=([a-z0-9][a-z0-9-]*))$/.exec(
        part,
      );
      if (!at)
        throw new InvalidInputError(
          `--inject '${raw}': @${part} is not @step=N, @batch=N, @pre-traffic, @post-traffic, @service=NAME, @version=WHICH or @once`,
        );
      if (at[1] !== undefined) step = Number(at[1]);
      if (at[2] !== undefined) phase = at[2] as HookPhase;
      if (at[3] !== undefined) service = at[3];
    }
    if (step !== undefined && step < 1)
      throw new InvalidInputError(`--inject '${raw}': step must be 1 or more`);
    if (phase && kind !== 'hook')
      throw new InvalidInputError(`--inject '${raw}': @${phase} goes with hook=fail`);
    if (once && kind !== 'fail') throw new InvalidInputError(`--inject '${raw}': @once goes with fail=TASK`);
    const scope = { ...(service ? { service } : {}), spec: raw.trim() };
    if (kind === 'alarm-events') {
      if (value !== 'lost') throw new InvalidInputError(`--inject '${raw}': alarm-events takes lost`);
      if (step !== undefined)
        throw new InvalidInputError(`--inject '${raw}': alarm-events=lost takes no @step`);
      faults.alarmEventsLost = scope;
    } else if (kind === 'alarms') {
      if (value !== 'firing') throw new InvalidInputError(`--inject '${raw}': alarms takes firing`);
      if (step !== undefined) throw new InvalidInputError(`--inject '${raw}': alarms=firing takes no @step`);
      faults.firingAlarms.push(scope);
    } else if (kind === 'control') {
      if (value !== 'abort' && value !== 'promote') {
        throw new InvalidInputError(`--inject '${raw}': control takes abort or promote`);
      }
      faults.controls.push({ action: value, step: step ?? 1, ...scope });
    } else if (kind === 'hook') {
      if (value !== 'fail') throw new InvalidInputError(`--inject '${raw}': hook takes fail`);
      if (step !== undefined)
        throw new InvalidInputError(`--inject '${raw}': hook takes @pre-traffic or @post-traffic`);
      faults.hooks.push({ ...(phase ? { phase } : {}), ...scope });
    } else if (kind === 'errors') {
      const pct = /^(\d+(?:\.\d+)?)%$/.exec(value);
      if (!pct || Number(pct[1]) > 100) {
        throw new InvalidInputError(`--inject '${raw}': errors must be a percentage like 8%`);
      }
      faults.behaviour.push({
        kind: 'errors',
        value: Number(pct[1]) / 100,
        fromStep: step ?? 1,
        ...(version ? { version } : {}),
        ...scope,
      });
    } else if (kind === 'latency') {
      const where = { fromStep: step ?? 1, ...(version ? { version } : {}), ...scope };
      const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
      if (percent) {
        faults.behaviour.push({ kind: 'latency', value: Number(percent[1]), unit: 'percent', ...where });
        continue;
      }
      // A bare number would be seconds, as everywhere else; for a latency that is never what was meant.
      if (!/[a-z]$/.test(value)) {
        throw new InvalidInputError(`--inject '${raw}': latency needs a unit, like 900ms, 2s or 25%`);
      }
      const ms = parseDurationSeconds(value, `--inject '${raw}' latency`) * 1000;
      faults.behaviour.push({ kind: 'latency', value: ms, ...where });
    } else {
      if (!taskNames.includes(value)) {
        throw new InvalidInputError(
          `--inject '${raw}': unknown task '${value}'; tasks: ${taskNames.join(', ')}`,
        );
      }
      faults.tasks.push({
        kind: kind as TaskFault['kind'],
        task: value,
        step,
        ...(once ? { once } : {}),
        ...scope,
      });
    }
  }
  return faults;
}

/** The faults that apply to deployments of one service: the unscoped ones and those scoped to it. */
export function faultsFor(faults: Faults, service: string): Faults {
  const mine = <T extends { service?: string }>(list: T[]) =>
    list.filter((f) => !f.service || f.service === service);
  return {
    behaviour: mine(faults.behaviour),
    tasks: mine(faults.tasks),
    hooks: mine(faults.hooks),
    controls: mine(faults.controls),
    firingAlarms: mine(faults.firingAlarms),
    ...(faults.alarmEventsLost && mine([faults.alarmEventsLost]).length > 0
      ? { alarmEventsLost: faults.alarmEventsLost }
      : {}),
  };
}

export function injectGrammar(taskNames: string[]): string {
  return INJECT_GRAMMAR.replace('TASK_NAMES', taskNames.join(', '));
}

/** Every fault of a rehearsal, each once. */
export function allFaults(faults: Faults): { spec?: string }[] {
  return [
    ...faults.behaviour,
    ...faults.tasks,
    ...faults.hooks,
    ...faults.controls,
    ...faults.firingAlarms,
    ...(faults.alarmEventsLost ? [faults.alarmEventsLost] : []),
  ];
}
