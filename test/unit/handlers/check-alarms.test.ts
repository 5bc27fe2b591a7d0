import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  StateValue,
} from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarmSource } from '../../../lambdas/adapters/cloudwatch/cloudwatch-alarms.ts';
import type { InsufficientDataPolicy, TaskState } from '../../../lambdas/domain/types.ts';
import { makeCheckAlarmsHandler } from '../../../lambdas/handlers/check-alarms.ts';
import { makeShiftTrafficHandler } from '../../../lambdas/handlers/shift-traffic.ts';
import { mockClient } from '../../support/aws-mock.ts';
import {
  fixedClock,
  invoke,
  nextStep,
  preparedDeployment,
  silentLogger,
  stepTo,
  T0,
  taskDeps,
  unique,
  useLocalDynamoDb,
} from '../fixtures.ts';

const local = useLocalDynamoDb();
const cloudwatch = mockClient(CloudWatchClient);
const BAKE_OVER = new Date(T0.getTime() + 300_000);

function deps() {
  const alarms = new CloudWatchAlarmSource(new CloudWatchClient({ region: 'eu-west-1' }));
  return taskDeps(local.store(), fixedClock(BAKE_OVER), alarms);
}

/** A deployment whose first step has been shifted and baked: the state Check alarms receives. */
async function baked(insufficientData: InsufficientDataPolicy = 'healthy'): Promise<TaskState> {
  const setup = taskDeps(local.store());
  const prepared = await preparedDeployment(
    setup,
    { service: unique('svc'), deploymentId: unique('dep') },
    { alarms: ['errors', 'latency'], insufficientData },
  );
  const atWeight = await stepTo(setup, prepared, 'setWeight');
  const shifted = await invoke(makeShiftTrafficHandler(setup, silentLogger()), atWeight);
  return stepTo(setup, shifted, 'check');
}

/** Check alarms, its verdict where it leaves it: `check` when unhealthy (for Which step? to roll back), `checked` when it moved on. */
async function check(state: TaskState) {
  const out = await invoke(makeCheckAlarmsHandler(deps(), silentLogger()), state);
  return { ...out, check: out.check ?? out.checked };
}

async function checkedEvents(state: TaskState) {
  const trail = await local.store().listAuditEvents(state.deployment.deploymentId);
  return trail.filter((e) => e.type === 'HealthChecked');
}

function alarmsAre(errors: StateValue, latency: StateValue = StateValue.OK) {
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: 'errors', StateValue: errors, StateReason: `errors ${errors}` },
      { AlarmName: 'latency', StateValue: latency, StateReason: `latency ${latency}` },
    ],
  });
}

beforeEach(() => {
  cloudwatch.reset();
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
});

describe('check-alarms', () => {
  it('marks the step unhealthy when an alarm is in ALARM and records a HealthChecked event', async () => {
    alarmsAre(StateValue.ALARM);
    const state = await baked();
    const next = await check(state);

    expect(next.check).toMatchObject({
      healthy: false,
      checkedAt: BAKE_OVER.toISOString(),
      reasons: ['alarm errors is in ALARM: errors ALARM'],
    });
    expect(next.progress).toEqual(state.progress);
    const [event] = await checkedEvents(state);
    expect(event).toMatchObject({
      key: 'step-3#checked',
      at: BAKE_OVER.toISOString(),
      detail: { step: 1, healthy: false, reasons: ['alarm errors is in ALARM: errors ALARM'] },
    });
  });

  it('marks the step healthy when every alarm is OK and none fired since the step started', async () => {
    alarmsAre(StateValue.OK);
    const state = await baked();
    const next = await check(state);

    expect(next.check?.healthy).toBe(true);
    // Healthy, it moved on to the next step itself (the step loop), the check done with.
    expect(next.progress.step?.kind).toBe('setWeight');
    expect(next.progress.stepIndex).toBe(state.progress.stepIndex + 1);
    expect(next.ran).toEqual([{ kind: 'check' }]);
    expect(next.check?.alarms.map((a) => [a.name, a.state])).toEqual([
      ['errors', 'OK'],
      ['latency', 'OK'],
    ]);
    expect(state.progress.stepStartedAt).toBe(T0.toISOString());
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, { StartDate: T0 });
    const [event] = await checkedEvents(state);
    expect(event?.detail).toMatchObject({ healthy: true });
  });

  it('marks the step unhealthy when an alarm fired during the bake and is OK again', async () => {
    alarmsAre(StateValue.OK);
    cloudwatch.on(DescribeAlarmHistoryCommand, { AlarmName: 'latency' }).resolves({
      AlarmHistoryItems: [{ HistoryData: JSON.stringify({ newState: { stateValue: 'ALARM' } }) }],
    });
    const next = await check(await baked());
    expect(next.check?.healthy).toBe(false);
    expect(next.check?.reasons).toEqual(['alarm latency fired during the bake (now OK)']);
  });

  it('follows the insufficientData policy of the service', async () => {
    alarmsAre(StateValue.INSUFFICIENT_DATA);
    expect((await check(await baked('healthy'))).check?.healthy).toBe(true);
    expect((await check(await baked('unhealthy'))).check?.healthy).toBe(false);
  });

  it('records the traffic step it judged, counting only steps that moved traffic', async () => {
    alarmsAre(StateValue.OK);
    const setup = taskDeps(local.store());
    let state = await nextStep(setup, await baked());
    state = await invoke(makeShiftTrafficHandler(setup, silentLogger()), state);
    state = await stepTo(setup, state, 'check');
    await check(state);

    const events = await checkedEvents(state);
    expect(events.map((e) => [e.key, e.detail?.step])).toEqual([['step-6#checked', 2]]);
  });

  it('records one HealthChecked event when retried', async () => {
    alarmsAre(StateValue.OK);
    const state = await baked();
    await check(state);
    await check(state);
    expect(await checkedEvents(state)).toHaveLength(1);
  });

  it('fails with a transient error and records nothing when CloudWatch throttles', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const state = await baked();
    await expect(check(state)).rejects.toMatchObject({ name: 'Stepwise.Transient' });
    expect(await checkedEvents(state)).toEqual([]);
  });
});
