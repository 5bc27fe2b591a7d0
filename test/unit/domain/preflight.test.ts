import { describe, expect, it } from 'vitest';
import { judgePreflight } from '../../../lambdas/domain/preflight.ts';
import type { AlarmDescription } from '../../../lambdas/ports/alarms.ts';

const ok = (name: string): AlarmDescription => ({ name, exists: true, actionsEnabled: true, state: 'OK' });

describe('judgePreflight', () => {
  it('lets a deployment go ahead when every alarm exists, pages someone and is OK', () => {
    expect(judgePreflight(['errors', 'latency'], [ok('errors'), ok('latency')], false)).toEqual({
      blocking: [],
      firingAllowed: [],
    });
  });

  it('blocks on an alarm that does not exist, whether CloudWatch left it out or said so', () => {
    const verdict = judgePreflight(
      ['errors', 'erors', 'latency'],
      [ok('errors'), { name: 'latency', exists: false }],
      false,
    );
    expect(verdict.blocking).toEqual(['alarm erors does not exist', 'alarm latency does not exist']);
  });

  it('blocks on an alarm whose actions are disabled, since it would page nobody', () => {
    const verdict = judgePreflight(['errors'], [{ ...ok('errors'), actionsEnabled: false }], false);
    expect(verdict.blocking).toEqual(['alarm errors has its actions disabled']);
  });

  it('blocks on an alarm already in ALARM, giving its reason', () => {
    const verdict = judgePreflight(
      ['errors'],
      [{ ...ok('errors'), state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [12.0]' }],
      false,
    );
    expect(verdict).toEqual({
      blocking: [
        'alarm errors is already in ALARM (Threshold Crossed: 1 datapoint [12.0]); allow firing alarms to ship a fix',
      ],
      firingAllowed: [],
    });
  });

  it('lets a fix ship despite a firing alarm when firing alarms are allowed, and lists it', () => {
    const verdict = judgePreflight(
      ['errors', 'latency'],
      [{ ...ok('errors'), state: 'ALARM' }, ok('latency')],
      true,
    );
    expect(verdict).toEqual({ blocking: [], firingAllowed: ['errors'] });
  });

  it('still blocks on missing or disabled alarms when firing alarms are allowed', () => {
    const verdict = judgePreflight(
      ['errors', 'latency'],
      [{ ...ok('errors'), state: 'ALARM', actionsEnabled: false }],
      true,
    );
    expect(verdict).toEqual({
      blocking: ['alarm errors has its actions disabled', 'alarm latency does not exist'],
      firingAllowed: ['errors'],
    });
  });

  it('passes alarms waiting for data', () => {
    const verdict = judgePreflight(['quiet'], [{ ...ok('quiet'), state: 'INSUFFICIENT_DATA' }], false);
    expect(verdict.blocking).toEqual([]);
  });

  it('has nothing to check for a service without alarms', () => {
    expect(judgePreflight([], [], false)).toEqual({ blocking: [], firingAllowed: [] });
  });
});
