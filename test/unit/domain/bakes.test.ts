import { describe, expect, it } from 'vitest';
import {
  alarmFiredCause,
  bakeFor,
  evaluationWindowSeconds,
  extendBakes,
  readAlarmFiredCause,
} from '../../../lambdas/domain/bakes.ts';
import type { Step } from '../../../lambdas/domain/steps.ts';
import { expandPlan } from '../../../lambdas/domain/strategies/index.ts';

const shift = (weight: number): Step => ({ kind: 'setWeight', weight });
const pause = (seconds: number, label?: string): Step => ({
  kind: 'pause',
  seconds,
  ...(label ? { label } : {}),
});
const check: Step = { kind: 'check' };

describe('evaluationWindowSeconds', () => {
  it('is the period times the datapoints that must breach, at least one', () => {
    expect(evaluationWindowSeconds(60, 3)).toBe(180);
    expect(evaluationWindowSeconds(300, 0)).toBe(300);
  });
});

describe('extendBakes', () => {
  it('grows a bake shorter than the window to the window, and says which check it was for', () => {
    const { steps, extended } = extendBakes(
      [shift(10), pause(0, 'bake'), check, shift(100), pause(600), check],
      60,
    );
    expect(steps).toEqual([shift(10), pause(60, 'bake'), check, shift(100), pause(600), check]);
    expect(extended).toEqual([{ check: 2, from: 0, to: 60 }]);
  });

  it('gives a check that follows a shift with no pause a bake of the window', () => {
    const { steps, extended } = extendBakes([shift(50), check, shift(100), check], 120);
    expect(steps).toEqual([shift(50), pause(120, 'bake'), check, shift(100), pause(120, 'bake'), check]);
    expect(extended.map((e) => e.check)).toEqual([1, 3]);
  });

  it('counts every pause since the move, and grows the last one by what is missing', () => {
    const { steps } = extendBakes(
      [
        shift(10),
        pause(20),
        { kind: 'approval', timeoutSeconds: 60, onTimeout: 'rollback' },
        pause(10),
        check,
      ],
      60,
    );
    expect(steps.filter((s) => s.kind === 'pause')).toEqual([pause(20), pause(40)]);
  });

  it('leaves a second check after the same move alone once the first waited long enough', () => {
    const { steps, extended } = extendBakes([shift(10), pause(0), check, check], 60);
    expect(steps).toEqual([shift(10), pause(60), check, check]);
    expect(extended).toHaveLength(1);
  });

  it('leaves checks before any traffic moved, and plans whose bakes are long enough, as they are', () => {
    const written = [check, shift(10), pause(300), check];
    expect(extendBakes(written, 60)).toEqual({ steps: written, extended: [] });
  });

  it("extends a blue-green plan's bake, and its termination wait's check already waited long enough", () => {
    const written = expandPlan('blue-green', { bakeSeconds: 0, terminationWaitSeconds: 0 });
    const { steps } = extendBakes(written, 60);
    expect(steps).toEqual([
      { kind: 'setWeight', weight: 100, label: 'switch' },
      pause(60, 'bake'),
      check,
      pause(0, 'termination wait'),
      check,
    ]);
  });
});

describe('bakeFor', () => {
  const now = new Date('2026-03-01T10:00:00.000Z');
  const deployment = { alarms: ['errors', 'latency'] };

  it('watches a pause after a traffic move: the alarms, its end, whole seconds, and a day more for the record', () => {
    expect(bakeFor(pause(90.5, 'bake'), { trafficStep: 1 }, deployment, now)).toEqual({
      seconds: 91,
      until: '2026-03-01T10:01:30.500Z',
      alarms: JSON.stringify(['errors', 'latency']),
      expiresAt: String(Math.ceil(now.getTime() / 1000 + 90.5) + 86_400),
    });
  });

  it('leaves out the alarms that were firing before the deployment started (shipping a fix)', () => {
    const bake = bakeFor(
      pause(60),
      { trafficStep: 1 },
      { ...deployment, alarmsFiringAtStart: ['errors'] },
      now,
    );
    expect(bake?.alarms).toBe(JSON.stringify(['latency']));
  });

  it('watches nothing before traffic moved, during a recreate startup, under a second, or with no alarm left', () => {
    expect(bakeFor(pause(60), { trafficStep: 0 }, deployment, now)).toBeUndefined();
    expect(bakeFor(pause(30, 'startup'), { trafficStep: 1 }, deployment, now)).toBeUndefined();
    expect(bakeFor(pause(0.5), { trafficStep: 1 }, deployment, now)).toBeUndefined();
    expect(bakeFor(pause(60), { trafficStep: 1 }, { alarms: [] }, now)).toBeUndefined();
    expect(
      bakeFor(pause(60), { trafficStep: 1 }, { alarms: ['errors'], alarmsFiringAtStart: ['errors'] }, now),
    ).toBeUndefined();
    expect(bakeFor(check, { trafficStep: 1 }, deployment, now)).toBeUndefined();
  });
});

describe('the cause an alarm ends a bake with', () => {
  it('says which alarm, when and why, and gives the alarm and the time back', () => {
    const cause = alarmFiredCause({
      name: 'shop-errors',
      at: '2026-03-01T10:01:00.000Z',
      reason: 'Threshold Crossed: 8.0 > 5',
    });
    expect(cause).toBe(
      'alarm shop-errors went into ALARM at 2026-03-01T10:01:00.000Z: Threshold Crossed: 8.0 > 5',
    );
    expect(readAlarmFiredCause(cause)).toEqual({ name: 'shop-errors', at: '2026-03-01T10:01:00.000Z' });
    expect(readAlarmFiredCause(alarmFiredCause({ name: 'shop-errors' }))).toEqual({ name: 'shop-errors' });
    expect(readAlarmFiredCause('task failed')).toEqual({});
  });
});
