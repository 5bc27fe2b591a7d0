import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { CloudWatchAlarmSource } from '../../../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import type { AlarmState } from '../../../lambdas/domain/types.ts';
import type { BehaviourFault } from '../../../local/faults.ts';
import { answeredInProcess, IN_PROCESS_CLIENT_CONFIG } from '../../../local/in-process-aws.ts';
import {
  evaluateAlarm,
  type SimulatedAlarmDefinition,
  SimulatedCloudWatch,
} from '../../../local/simulated-cloudwatch.ts';
import { SimulatedFleet } from '../../../local/simulated-fleet.ts';
import { VirtualClock } from '../../../local/virtual-clock.ts';
import { T0 } from '../fixtures.ts';

const STABLE = 'v1';
const CANDIDATE = 'v2';
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** A candidate that fails 8% of requests from the second traffic step on, and is healthy at the first. */
const FAULTY_FROM_STEP_2: BehaviourFault[] = [{ kind: 'errors', value: 0.08, fromStep: 2 }];
/** A candidate that fails 8% of requests as soon as it takes any. */
const FAULTY: BehaviourFault[] = [{ kind: 'errors', value: 0.08, fromStep: 1 }];

/** A fleet routed `candidatePercent` to the candidate from each `seconds` on; each increase is a traffic step. */
function fleet(routes: [seconds: number, candidatePercent: number][], faults = FAULTY_FROM_STEP_2) {
  const f = new SimulatedFleet({
    stableVersion: STABLE,
    candidateVersion: CANDIDATE,
    requestsPerMinute: 600,
    segmentShare: 0.05,
    faults,
    startedAt: T0,
  });
  for (const [seconds, percent] of routes) {
    f.route(at(seconds), { weights: { [STABLE]: 100 - percent, [CANDIDATE]: percent } });
  }
  return f;
}

function alarm(overrides: Partial<SimulatedAlarmDefinition> = {}): SimulatedAlarmDefinition {
  return {
    name: 'errors',
    metric: 'ErrorRate',
    version: CANDIDATE,
    threshold: 5,
    comparison: 'GreaterThanThreshold',
    periodSeconds: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'notBreaching',
    ...overrides,
  };
}

describe('evaluateAlarm', () => {
  describe('threshold and comparison', () => {
    const faulty = fleet([[0, 50]], FAULTY);
    const healthy = fleet([[0, 10]]);

    it('goes to ALARM when the datapoint crosses the threshold, and says so', () => {
      expect(evaluateAlarm(alarm(), faulty, at(60), 'OK')).toEqual({
        state: 'ALARM',
        reason: 'Threshold Crossed: 1 out of the last 1 datapoints [8.0] was greater than the threshold (5)',
      });
    });

    it('stays OK when the datapoint is on the good side', () => {
      expect(evaluateAlarm(alarm(), healthy, at(60), 'OK').state).toBe('OK');
    });

    it.each<[SimulatedAlarmDefinition['comparison'], number, AlarmState]>([
      ['GreaterThanThreshold', 8, 'OK'],
      ['GreaterThanOrEqualToThreshold', 8, 'ALARM'],
      ['LessThanThreshold', 8, 'OK'],
      ['LessThanThreshold', 9, 'ALARM'],
      ['LessThanOrEqualToThreshold', 8, 'ALARM'],
      ['LessThanOrEqualToThreshold', 7, 'OK'],
    ])('with %s %s, a datapoint of 8 is %s', (comparison, threshold, state) => {
      expect(evaluateAlarm(alarm({ comparison, threshold }), faulty, at(60), 'OK').state).toBe(state);
    });
  });

  describe('M of N datapoints to alarm', () => {
    const twoOfThree = alarm({ evaluationPeriods: 3, datapointsToAlarm: 2 });

    it('stays OK with one breaching datapoint out of three', () => {
      const f = fleet([
        [0, 10],
        [120, 50],
      ]);
      const evaluation = evaluateAlarm(twoOfThree, f, at(180), 'OK');
      expect(evaluation.state).toBe('OK');
      expect(evaluation.reason).toContain('1 out of the last 3 datapoints [0.2, 0.2, 8.0] was');
    });

    it('goes to ALARM with two breaching datapoints out of three', () => {
      const f = fleet([
        [0, 10],
        [60, 50],
      ]);
      const evaluation = evaluateAlarm(twoOfThree, f, at(180), 'OK');
      expect(evaluation.state).toBe('ALARM');
      expect(evaluation.reason).toContain('2 out of the last 3 datapoints [0.2, 8.0, 8.0] were');
    });

    it('evaluates only the last N complete periods', () => {
      const withdrawnAfterAMinute = fleet(
        [
          [0, 50],
          [60, 0],
        ],
        FAULTY,
      );
      expect(evaluateAlarm(alarm(), withdrawnAfterAMinute, at(60), 'OK').state).toBe('ALARM');
      expect(evaluateAlarm(alarm(), withdrawnAfterAMinute, at(120), 'ALARM').state).toBe('OK');
    });
  });

  describe('missing data', () => {
    const noTraffic = fleet([[0, 0]]);

    it('breaching: missing datapoints count as breaching', () => {
      expect(evaluateAlarm(alarm({ treatMissingData: 'breaching' }), noTraffic, at(60), 'OK').state).toBe(
        'ALARM',
      );
    });

    it('breaching: missing datapoints add to the breaching ones toward M', () => {
      const lateTraffic = fleet([
        [0, 0],
        [120, 10],
      ]);
      const twoOfThree = { evaluationPeriods: 3, datapointsToAlarm: 2 };
      expect(
        evaluateAlarm(alarm({ ...twoOfThree, treatMissingData: 'breaching' }), lateTraffic, at(180), 'OK')
          .state,
      ).toBe('ALARM');
      expect(
        evaluateAlarm(alarm({ ...twoOfThree, treatMissingData: 'notBreaching' }), lateTraffic, at(180), 'OK')
          .state,
      ).toBe('OK');
    });

    it('notBreaching: no data is OK', () => {
      expect(
        evaluateAlarm(alarm({ treatMissingData: 'notBreaching' }), noTraffic, at(60), 'ALARM').state,
      ).toBe('OK');
    });

    it.each<AlarmState>(['OK', 'ALARM', 'INSUFFICIENT_DATA'])(
      'ignore: no data keeps the previous state %s',
      (previous) => {
        const evaluation = evaluateAlarm(alarm({ treatMissingData: 'ignore' }), noTraffic, at(60), previous);
        expect(evaluation.state).toBe(previous);
        expect(evaluation.reason).toContain('the state is kept (ignore)');
      },
    );

    it('missing: no data in the evaluation range is INSUFFICIENT_DATA', () => {
      expect(evaluateAlarm(alarm({ treatMissingData: 'missing' }), noTraffic, at(60), 'OK')).toEqual({
        state: 'INSUFFICIENT_DATA',
        reason: 'Insufficient Data: no datapoints in the evaluation range',
      });
    });

    it('missing: some data in the range is evaluated as it is', () => {
      const lateTraffic = fleet(
        [
          [0, 0],
          [60, 50],
        ],
        FAULTY,
      );
      const evaluation = evaluateAlarm(
        alarm({ treatMissingData: 'missing', evaluationPeriods: 2 }),
        lateTraffic,
        at(120),
        'OK',
      );
      expect(evaluation.state).toBe('ALARM');
      expect(evaluation.reason).toContain('[missing, 8.0]');
    });
  });
});

describe('SimulatedCloudWatch, read by the CloudWatch adapter', () => {
  /** Healthy at 10%, faulty at 50% from 2 to 4 minutes, then withdrawn (no data, not breaching). */
  const firedAndRecovered = () =>
    fleet([
      [0, 10],
      [120, 50],
      [240, 0],
    ]);

  function cloudwatch(now: number, alarms = [alarm()]) {
    const clock = new VirtualClock(at(now));
    const simulated = new SimulatedCloudWatch(firedAndRecovered(), clock, alarms, T0);
    const client = answeredInProcess(new CloudWatchClient(IN_PROCESS_CLIENT_CONFIG), simulated.handle);
    return { clock, source: new CloudWatchAlarmSource(client) };
  }

  it('reports an alarm it does not know as NOT_FOUND', async () => {
    const { source } = cloudwatch(60);
    expect(await source.observe(['nope'], T0)).toEqual([
      { name: 'nope', state: 'NOT_FOUND', firedDuringWindow: false },
    ]);
  });

  it('reports the state at the last period boundary before now', async () => {
    expect((await cloudwatch(120).source.observe(['errors'], T0))[0]?.state).toBe('OK');
    expect((await cloudwatch(200).source.observe(['errors'], T0))[0]?.state).toBe('ALARM');
  });

  it('reports an alarm that fired and recovered within the window as fired, and OK now', async () => {
    const [observed] = await cloudwatch(420).source.observe(['errors'], at(100));
    expect(observed).toMatchObject({ name: 'errors', state: 'OK', firedDuringWindow: true });
  });

  it('does not count an ALARM that was over before the window began', async () => {
    const [observed] = await cloudwatch(420).source.observe(['errors'], at(330));
    expect(observed).toMatchObject({ state: 'OK', firedDuringWindow: false });
  });

  it('follows the virtual clock', async () => {
    const { clock, source } = cloudwatch(120);
    expect((await source.observe(['errors'], T0))[0]?.firedDuringWindow).toBe(false);
    clock.advanceTo(at(180));
    expect((await source.observe(['errors'], T0))[0]).toMatchObject({
      state: 'ALARM',
      firedDuringWindow: true,
    });
  });

  it('has no data for a version that never took traffic, per the missing-data treatment', async () => {
    const idle = alarm({ name: 'idle', version: 'v3', treatMissingData: 'missing' });
    const [observed] = await cloudwatch(300, [idle]).source.observe(['idle'], T0);
    expect(observed).toMatchObject({ state: 'INSUFFICIENT_DATA', firedDuringWindow: false });
  });

  it('is already in ALARM at the start when the rehearsal says the service is burning, until it is evaluated', async () => {
    const clock = new VirtualClock(T0);
    const simulated = new SimulatedCloudWatch(fleet([[0, 10]]), clock, [alarm()], T0, true);
    const source = new CloudWatchAlarmSource(
      answeredInProcess(new CloudWatchClient(IN_PROCESS_CLIENT_CONFIG), simulated.handle),
    );
    expect(await source.describe(['errors'])).toEqual([
      {
        name: 'errors',
        exists: true,
        actionsEnabled: true,
        state: 'ALARM',
        reason: 'injected: firing before the deployment',
        // One 60 s datapoint to alarm: what a check must wait for after traffic moves.
        windowSeconds: 60,
      },
    ]);
    clock.advanceTo(at(60));
    expect((await source.describe(['errors']))[0]?.state).toBe('OK');
  });

  it('refuses an operation CloudWatch has but the simulation does not offer', async () => {
    const simulated = new SimulatedCloudWatch(fleet([[0, 10]]), new VirtualClock(T0), [alarm()], T0);
    await expect(simulated.handle('PutMetricAlarm', {})).rejects.toThrow(
      'the local CloudWatch does not offer PutMetricAlarm',
    );
  });
});
