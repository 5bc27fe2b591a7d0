import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import { injectGrammar, parseFaults } from '../../../local/faults.ts';

const TASKS = ['start-deployment', 'shift-traffic', 'check-alarms', 'roll-back'];
const parse = (...values: string[]) => parseFaults(values, TASKS);

describe('parseFaults', () => {
  it('reads nothing as no faults', () => {
    expect(parse()).toEqual({ behaviour: [], tasks: [], hooks: [], controls: [], firingAlarms: [] });
  });

  it('reads an error rate as a fraction, from step 1', () => {
    expect(parse('errors=8%').behaviour).toEqual([
      { kind: 'errors', value: 0.08, fromStep: 1, spec: 'errors=8%' },
    ]);
    expect(parse('errors=2.5%').behaviour[0]?.value).toBeCloseTo(0.025);
  });

  it('reads added latency in milliseconds, from the step given', () => {
    expect(parse('latency=900ms@step=3').behaviour).toEqual([
      { kind: 'latency', value: 900, fromStep: 3, spec: 'latency=900ms@step=3' },
    ]);
    expect(parse('latency=2s').behaviour).toEqual([
      { kind: 'latency', value: 2000, fromStep: 1, spec: 'latency=2s' },
    ]);
  });

  it('reads a latency in percent as a version slower throughout, and @version as which version shows a fault', () => {
    expect(parse('latency=25%@version=candidate').behaviour).toEqual([
      {
        kind: 'latency',
        value: 25,
        unit: 'percent',
        fromStep: 1,
        version: 'candidate',
        spec: 'latency=25%@version=candidate',
      },
    ]);
    expect(parse('errors=3%@version=all@step=2').behaviour).toEqual([
      { kind: 'errors', value: 0.03, fromStep: 2, version: 'all', spec: 'errors=3%@version=all@step=2' },
    ]);
    expect(parse('errors=3%@version=stable').behaviour[0]?.version).toBe('stable');
  });

  it('refuses a @version that is no version, or on a fault that is not the fleet’s', () => {
    expect(() => parse('errors=3%@version=canary')).toThrow(
      "--inject 'errors=3%@version=canary': @version takes candidate, stable or all, got 'canary'",
    );
    expect(() => parse('hook=fail@version=stable')).toThrow('@version goes with errors= or latency=');
  });

  it('refuses a latency without a unit, which would read as seconds', () => {
    expect(() => parse('latency=900')).toThrow(
      "--inject 'latency=900': latency needs a unit, like 900ms, 2s or 25%",
    );
  });

  it('reads a task that fails once, for a failure that goes away, and only with fail', () => {
    expect(parse('fail=shift-traffic@service=shop-eu@once').tasks).toEqual([
      {
        kind: 'fail',
        task: 'shift-traffic',
        step: undefined,
        once: true,
        service: 'shop-eu',
        spec: 'fail=shift-traffic@service=shop-eu@once',
      },
    ]);
    expect(() => parse('throttle=shift-traffic@once')).toThrow(
      "--inject 'throttle=shift-traffic@once': @once goes with fail=TASK",
    );
  });

  it('reads a throttled task, on any step', () => {
    expect(parse('throttle=shift-traffic').tasks).toEqual([
      { kind: 'throttle', task: 'shift-traffic', step: undefined, spec: 'throttle=shift-traffic' },
    ]);
  });

  it('reads a failing task on one step', () => {
    expect(parse('fail=roll-back@step=2').tasks).toEqual([
      { kind: 'fail', task: 'roll-back', step: 2, spec: 'fail=roll-back@step=2' },
    ]);
  });

  it('reads @batch=N as @step=N', () => {
    expect(parse('errors=8%@batch=3').behaviour).toEqual([
      { kind: 'errors', value: 0.08, fromStep: 3, spec: 'errors=8%@batch=3' },
    ]);
    expect(parse('fail=shift-traffic@batch=2').tasks).toEqual([
      { kind: 'fail', task: 'shift-traffic', step: 2, spec: 'fail=shift-traffic@batch=2' },
    ]);
  });

  it('reads a failing smoke test, in every hook phase or in one', () => {
    expect(parse('hook=fail').hooks).toEqual([{ spec: 'hook=fail' }]);
    expect(parse('hook=fail@pre-traffic', 'hook=fail@post-traffic').hooks).toEqual([
      { phase: 'pre-traffic', spec: 'hook=fail@pre-traffic' },
      { phase: 'post-traffic', spec: 'hook=fail@post-traffic' },
    ]);
  });

  it('reads a promote-now or an abort, from the step given or the first', () => {
    expect(parse('control=abort@step=2', 'control=promote').controls).toEqual([
      { action: 'abort', step: 2, spec: 'control=abort@step=2' },
      { action: 'promote', step: 1, spec: 'control=promote' },
    ]);
  });

  it('reads several faults at once, tolerating surrounding spaces', () => {
    const faults = parse(
      ' errors=8% ',
      'latency=900ms@step=3',
      'throttle=shift-traffic',
      'fail=roll-back@step=2',
    );
    expect(faults.behaviour.map((f) => f.kind)).toEqual(['errors', 'latency']);
    expect(faults.tasks.map((f) => f.kind)).toEqual(['throttle', 'fail']);
  });

  it.each([
    ['cpu=90%', "--inject 'cpu=90%' is not KIND=VALUE[@WHERE] (see --help)"],
    ['errors', "--inject 'errors' is not KIND=VALUE[@WHERE] (see --help)"],
    ['errors@step=2', "--inject 'errors@step=2' is not KIND=VALUE[@WHERE] (see --help)"],
    [
      'errors=8%@step=two',
      "--inject 'errors=8%@step=two': @step=two is not @step=N, @batch=N, @pre-traffic, @post-traffic, @service=NAME, @version=WHICH or @once",
    ],
    [
      'hook=fail@canary',
      "--inject 'hook=fail@canary': @canary is not @step=N, @batch=N, @pre-traffic, @post-traffic, @service=NAME, @version=WHICH or @once",
    ],
    ['hook=pass', "--inject 'hook=pass': hook takes fail"],
    ['hook=fail@step=2', "--inject 'hook=fail@step=2': hook takes @pre-traffic or @post-traffic"],
    ['errors=8%@pre-traffic', "--inject 'errors=8%@pre-traffic': @pre-traffic goes with hook=fail"],
    ['control=pause', "--inject 'control=pause': control takes abort or promote"],
    ['errors=8%@batch=0', "--inject 'errors=8%@batch=0': step must be 1 or more"],
    ['errors=8', "--inject 'errors=8': errors must be a percentage like 8%"],
    ['errors=120%', "--inject 'errors=120%': errors must be a percentage like 8%"],
    ['errors=8%@step=0', "--inject 'errors=8%@step=0': step must be 1 or more"],
    ['latency=slow', "--inject 'latency=slow' latency must be a duration like 30s, 5m or 1h, got 'slow'"],
    [
      'fail=deploy',
      "--inject 'fail=deploy': unknown task 'deploy'; tasks: start-deployment, shift-traffic, check-alarms, roll-back",
    ],
  ])('refuses %j, naming the bad value', (value, message) => {
    expect(() => parse(value)).toThrow(InvalidInputError);
    expect(() => parse(value)).toThrow(message);
  });
});

describe('injectGrammar', () => {
  it('explains hook faults and the @batch alias', () => {
    expect(injectGrammar(TASKS)).toContain('hook=fail');
    expect(injectGrammar(TASKS)).toContain('@step=N or @batch=N');
    expect(injectGrammar(TASKS)).toContain('@pre-traffic, @post-traffic');
  });

  it('lists the task names', () => {
    expect(injectGrammar(TASKS)).toContain(
      'TASK is one of: start-deployment, shift-traffic, check-alarms, roll-back',
    );
  });
});
