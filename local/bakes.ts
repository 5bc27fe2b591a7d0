import { setTimeout as sleep } from 'node:timers/promises';
import { PutItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { SFNClient, TaskDoesNotExist } from '@aws-sdk/client-sfn';
import { SfnExecutions } from '../lambdas/adapters/sfn/sfn-executions.ts';
import { makeProviderFactory } from '../lambdas/adapters/traffic/providers.ts';
import { handleAlarmStateChange } from '../lambdas/control/alarm-changed.ts';
import type { ControlDeps } from '../lambdas/control/deps.ts';
import type { Store } from '../lambdas/ports/store.ts';
import type { LocalDynamoDb } from './dynamodb-server.ts';
import type { TaskRequest } from './engine.ts';
import { asFunction, asRuntime } from './function-scope.ts';
import {
  answeredInProcess,
  IN_PROCESS_CLIENT_CONFIG,
  namedError,
  sdkError,
  unsupported,
} from './in-process-aws.ts';
import type { SimulatedCloudWatch } from './simulated-cloudwatch.ts';
import type { VirtualClock } from './virtual-clock.ts';

/**
 * How long after an alarm changes state its EventBridge event reaches the alarm-changed function
 * locally. EventBridge delivers CloudWatch's events within seconds; the rehearsal takes 2.
 */
export const ALARM_EVENT_DELIVERY_SECONDS = 2;

type SdkTask = Extract<TaskRequest, { kind: 'sdk' }>;

/** What a bake's run needs of the run it is in. */
export interface BakeRun {
  clock: VirtualClock;
  cloudwatch: SimulatedCloudWatch;
  /** Waits take real time (serve): sleep until each moment instead of jumping the clock there. */
  realTime?: boolean;
  signal?: AbortSignal;
  /** The rehearsal loses every alarm event (`--inject alarm-events=lost`): only the end-of-bake check is left. */
  alarmEventsLost?: boolean;
  /** Told when a lost event would have ended the bake. */
  onLostEvent?: () => void;
}

/**
 * The Bake state locally: its `aws-sdk:dynamodb:putItem.waitForTaskToken` writes the bake's item
 * to dynalite with the real DynamoDB client, then waits for its token as on AWS. When a watched
 * alarm goes into ALARM during the bake (the simulated CloudWatch says when), the event reaches
 * the same alarm-changed code the Lambda function runs, whose `SendTaskFailure` (through the real
 * Step Functions adapter and client, answered here) fails the bake with `Stepwise.AlarmFired`.
 * Otherwise the bake times out at its end (`States.Timeout`), into Next step and its check.
 */
export class LocalBakes {
  private readonly waiting = new Map<string, (error: Error) => void>();
  private readonly db: LocalDynamoDb;
  private readonly store: Store;

  constructor(db: LocalDynamoDb, store: Store) {
    this.db = db;
    this.store = store;
  }

  /** Fails the task waiting with `taskToken`, as SendTaskFailure does; false when none waits. */
  fail(taskToken: string, error: string, cause: string): boolean {
    const fail = this.waiting.get(taskToken);
    if (!fail) return false;
    this.waiting.delete(taskToken);
    fail(namedError(error, cause));
    return true;
  }

  /** Runs an `aws-sdk:dynamodb:putItem[.waitForTaskToken]` task. */
  async run(task: SdkTask, run: BakeRun): Promise<unknown> {
    if (task.service !== 'dynamodb' || task.action !== 'putItem') {
      throw new Error(`task ${task.stateName}: aws-sdk:${task.service}:${task.action} does not run locally`);
    }
    const input = { ...task.parameters, TableName: this.db.tableName } as PutItemCommandInput;
    // Step Functions' own call, with the state machine's role: no Lambda function's.
    await asRuntime(() => this.db.client.send(new PutItemCommand(input)));
    if (!task.callback) return {};
    return this.bake(task, input.Item ?? {}, run);
  }

  private async bake(task: SdkTask, item: NonNullable<PutItemCommandInput['Item']>, run: BakeRun) {
    const { clock } = run;
    const { time } = task;
    const token = item.taskToken?.S ?? '';
    const watched = JSON.parse(item.alarms?.S ?? '[]') as string[];
    const start = clock.now();
    // The task's own timeout (TimeoutSecondsPath: the bake, in whole seconds) ends it.
    const end = start.getTime() + time.leftSeconds() * 1000;
    const waitUntil = async (at: number) => {
      if (run.realTime) {
        await sleep(Math.max(0, at - Date.now()), undefined, run.signal ? { signal: run.signal } : {});
        clock.advanceTo(new Date());
      } else clock.advanceTo(new Date(at));
      time.pass(Math.max(0, (clock.now().getTime() - start.getTime()) / 1000 - time.elapsedSeconds));
    };
    const fired = run.cloudwatch.nextAlarm(watched, start, new Date(end));
    const delivered = fired ? fired.at.getTime() + ALARM_EVENT_DELIVERY_SECONDS * 1000 : undefined;
    if (fired && delivered !== undefined && delivered < end) {
      if (run.alarmEventsLost) run.onLostEvent?.();
      else {
        await waitUntil(delivered);
        const ended = new Promise<never>((_, reject) => this.waiting.set(token, reject));
        ended.catch(() => undefined);
        const event = {
          source: 'aws.cloudwatch',
          'detail-type': 'CloudWatch Alarm State Change',
          time: new Date(delivered).toISOString(),
          detail: {
            alarmName: fired.name,
            state: { value: 'ALARM', reason: fired.reason, timestamp: fired.at.toISOString() },
          },
        };
        const handled = await asFunction('control:alarm-changed', () =>
          handleAlarmStateChange(this.controlDeps(clock), event),
        );
        if (handled.ended.length > 0) return ended;
        this.waiting.delete(token);
      }
    }
    // No alarm fired (or its event was lost): the bake times out at its end (time.pass throws
    // States.Timeout, and its Catch goes on to Next step).
    await waitUntil(end);
    return time.expired;
  }

  /** The alarm-changed function's ports: the table, and Step Functions answered by this runtime. */
  private controlDeps(clock: VirtualClock): ControlDeps {
    const sfn = answeredInProcess(new SFNClient(IN_PROCESS_CLIENT_CONFIG), async (operation, input) => {
      if (operation !== 'SendTaskFailure') throw unsupported('Step Functions', operation);
      if (!this.fail(String(input.taskToken), String(input.error), String(input.cause))) {
        throw sdkError(TaskDoesNotExist, 'Task Does Not Exist');
      }
      return {};
    });
    return {
      store: this.store,
      executions: new SfnExecutions(sfn, {}),
      providers: makeProviderFactory({ store: this.store, clock }),
      alarms: {
        observe: () => Promise.reject(new Error('alarm-changed reads no alarms')),
        describe: () => Promise.reject(new Error('alarm-changed reads no alarms')),
      },
      clock,
    };
  }
}
