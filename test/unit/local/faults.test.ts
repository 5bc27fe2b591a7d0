import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import { injectGrammar, parseFaults } from '../../../local/faults.ts';

const TASKS = ['start-deployment', 'shift-traffic', 'check-alarms', 'roll-back'];
const parse = (...values: string[]) => parseFaults(values, TASKS);

describe('parseFaults', () => {
  it('reads nothing as no faults', () => {
    expect(parse()).toEqual({ behaviour: [], tasks: [] });
  });

  it('reads an error rate as a fraction, from step 1', () => {
    expect(parse('errors=8%').behaviour).toEqual([{ kind: 'errors', value: 0.08, fromStep: 1 }]);
    expect(parse('errors=2.5%').behaviour[0]?.value).toBeCloseTo(0.025);
  });

  it('reads added latency in milliseconds, from the step given', () => {
    expect(parse('latency=900ms@step=3').behaviour).toEqual([{ kind: 'latency', value: 900, fromStep: 3 }]);
    expect(parse('latency=2s').behaviour).toEqual([{ kind: 'latency', value: 2000, fromStep: 1 }]);
  });

  it('reads a throttled task, on any step', () => {
    expect(parse('throttle=shift-traffic').tasks).toEqual([
      { kind: 'throttle', task: 'shift-traffic', step: undefined },
    ]);
  });

  it('reads a failing task on one step', () => {
    expect(parse('fail=roll-back@step=2').tasks).toEqual([{ kind: 'fail', task: 'roll-back', step: 2 }]);
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
    ['cpu=90%', "--inject 'cpu=90%' is not KIND=VALUE[@step=N] (see --help)"],
    ['errors', "--inject 'errors' is not KIND=VALUE[@step=N] (see --help)"],
    ['errors=8%@step=two', "--inject 'errors=8%@step=two' is not KIND=VALUE[@step=N] (see --help)"],
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
  it('lists the task names', () => {
    expect(injectGrammar(TASKS)).toContain(
      'TASK is one of: start-deployment, shift-traffic, check-alarms, roll-back',
    );
  });
});
