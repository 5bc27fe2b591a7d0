import { describe, expect, it } from 'vitest';
import { handleAlarmStateChange, readAlarmStateChange } from '../../../lambdas/control/alarm-changed.ts';
import type { BakeRecord, Store } from '../../../lambdas/ports/store.ts';
import { controlDeps, RecordingExecutions } from './support.ts';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();

/** A CloudWatch Alarm State Change event as EventBridge delivers it. */
const alarmEvent = (alarmName: string, value = 'ALARM') => ({
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  detail: {
    alarmName,
    state: {
      value,
      reason: 'Threshold Crossed: 1 datapoint [8.0] was greater than the threshold (5)',
      timestamp: NOW.toISOString(),
    },
    previousState: { value: 'OK' },
  },
});

function storeWith(bakes: BakeRecord[]): Store {
  return { listBakes: async () => bakes } as unknown as Store;
}

const bake = (overrides: Partial<BakeRecord>): BakeRecord => ({
  service: 'checkout',
  deploymentId: 'dep-1',
  taskToken: 'token-1',
  alarms: JSON.stringify(['checkout-errors', 'checkout-latency']),
  until: later(300),
  ...overrides,
});

describe('alarm-changed', () => {
  it('fails the token of every bake under way that watches the alarm, saying which alarm, when and why', async () => {
    const executions = new RecordingExecutions();
    const bakes = [
      bake({}),
      bake({
        service: 'search',
        deploymentId: 'dep-2',
        taskToken: 'token-2',
        alarms: JSON.stringify(['search-errors']),
      }),
    ];
    const handled = await handleAlarmStateChange(
      controlDeps(storeWith(bakes), executions, NOW),
      alarmEvent('checkout-errors'),
    );

    expect(handled).toEqual({ alarmName: 'checkout-errors', ended: ['dep-1'] });
    expect(executions.failed).toEqual([
      {
        taskToken: 'token-1',
        error: 'Stepwise.AlarmFired',
        cause: `alarm checkout-errors went into ALARM at ${NOW.toISOString()}: Threshold Crossed: 1 datapoint [8.0] was greater than the threshold (5)`,
      },
    ]);
  });

  it('leaves a bake that already ended, or whose token no longer waits, alone', async () => {
    const executions = new RecordingExecutions();
    executions.gone.add('token-2');
    const bakes = [
      bake({ until: later(-1) }),
      bake({ service: 'search', deploymentId: 'dep-2', taskToken: 'token-2' }),
    ];
    const handled = await handleAlarmStateChange(
      controlDeps(storeWith(bakes), executions, NOW),
      alarmEvent('checkout-errors'),
    );
    expect(handled.ended).toEqual([]);
    expect(executions.failed).toEqual([]);
  });

  it('ends nothing when an alarm goes back to OK or to INSUFFICIENT_DATA', async () => {
    const executions = new RecordingExecutions();
    for (const state of ['OK', 'INSUFFICIENT_DATA']) {
      await handleAlarmStateChange(
        controlDeps(storeWith([bake({})]), executions, NOW),
        alarmEvent('checkout-errors', state),
      );
    }
    expect(executions.failed).toEqual([]);
  });

  it('refuses an event that is not an alarm state change, naming the fields', () => {
    expect(() => readAlarmStateChange({ detail: { alarmName: 'x' } })).toThrow(
      'detail.alarmName and detail.state.value are required',
    );
  });
});
