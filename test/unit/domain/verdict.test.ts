import { describe, expect, it } from 'vitest';
import type { AlarmObservation } from '../../../lambdas/domain/types.ts';
import { judgeHealth } from '../../../lambdas/domain/verdict.ts';
import { T0 } from '../fixtures.ts';

const ok = (name: string): AlarmObservation => ({ name, state: 'OK', firedDuringWindow: false });

describe('judgeHealth', () => {
  it('is healthy when every alarm is OK and none fired, and gives no reasons', () => {
    const check = judgeHealth([ok('errors'), ok('latency')], 'unhealthy', T0);
    expect(check).toEqual({
      healthy: true,
      checkedAt: T0.toISOString(),
      alarms: [ok('errors'), ok('latency')],
      reasons: [],
    });
  });

  it('is unhealthy when an alarm is in ALARM, and quotes its reason', () => {
    const check = judgeHealth(
      [
        ok('latency'),
        { name: 'errors', state: 'ALARM', firedDuringWindow: true, reason: 'Threshold Crossed' },
      ],
      'healthy',
      T0,
    );
    expect(check.healthy).toBe(false);
    expect(check.reasons).toEqual(['alarm errors is in ALARM: Threshold Crossed']);
  });

  it('is unhealthy when an alarm fired during the bake even though it is OK now', () => {
    const check = judgeHealth([{ name: 'errors', state: 'OK', firedDuringWindow: true }], 'healthy', T0);
    expect(check.healthy).toBe(false);
    expect(check.reasons).toEqual(['alarm errors fired during the bake (now OK)']);
  });

  it('is unhealthy when an alarm does not exist, since a gate that cannot be read must not pass', () => {
    const check = judgeHealth(
      [{ name: 'typo', state: 'NOT_FOUND', firedDuringWindow: false }],
      'healthy',
      T0,
    );
    expect(check.healthy).toBe(false);
    expect(check.reasons).toEqual(['alarm typo does not exist']);
  });

  describe('with INSUFFICIENT_DATA', () => {
    const quiet: AlarmObservation = { name: 'errors', state: 'INSUFFICIENT_DATA', firedDuringWindow: false };

    it('passes under the healthy policy and says why', () => {
      const check = judgeHealth([quiet], 'healthy', T0);
      expect(check.healthy).toBe(true);
      expect(check.reasons).toEqual([
        "alarm errors has insufficient data; treated as healthy by the service's insufficientData policy",
      ]);
    });

    it('fails under the unhealthy policy and says why', () => {
      const check = judgeHealth([quiet], 'unhealthy', T0);
      expect(check.healthy).toBe(false);
      expect(check.reasons).toEqual([
        "alarm errors has insufficient data; treated as unhealthy by the service's insufficientData policy",
      ]);
    });
  });

  it('passes a step with no alarms and says it went unchecked', () => {
    const check = judgeHealth([], 'unhealthy', T0);
    expect(check.healthy).toBe(true);
    expect(check.reasons).toEqual(['no alarms are configured for this service; the step passes unchecked']);
  });

  it('gives one reason per failing alarm', () => {
    const check = judgeHealth(
      [
        { name: 'a', state: 'ALARM', firedDuringWindow: true },
        ok('b'),
        { name: 'c', state: 'NOT_FOUND', firedDuringWindow: false },
      ],
      'healthy',
      T0,
    );
    expect(check.healthy).toBe(false);
    expect(check.reasons).toEqual(['alarm a is in ALARM', 'alarm c does not exist']);
  });
});
