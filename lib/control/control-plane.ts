import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SWEEP_INTERVAL_MINUTES } from '../../lambdas/control/sweeper.ts';
import type { StrategyName } from '../../lambdas/domain/strategy-names.ts';
import type { ChildStateMachine } from '../strategies/strategy.ts';
import { StepwiseApi, type StepwiseApiProps } from './stepwise-api.ts';
import { TriggeredFunction } from './triggers.ts';

/** The final statuses of a Step Functions execution. SUCCEEDED too: the reconciler then starts the next queued deployment. */
export const ENDED_EXECUTION_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface ControlPlaneProps
  extends Pick<
    StepwiseApiProps,
    'throttlingRateLimit' | 'throttlingBurstLimit' | 'logLevel' | 'cloudWatchRole'
  > {
  /** The Stepwise table. */
  readonly table: ITableV2;
  /** Every Stepwise state machine by strategy name: the only ones the control plane starts, stops and watches. */
  readonly stateMachines: Readonly<Record<StrategyName, ChildStateMachine>>;
}

/**
 * What starts and cleans up deployments on AWS, around the state machines:
 * - `Api`: the REST API (`StepwiseApi`), IAM-authenticated, for the CLI and pipelines.
 * - `Dispatch`: run by a rule on successful ECR image pushes; starts the deployments of the services
 *   whose trigger matches the pushed image.
 * - `Reconcile`: run by a rule on every ended execution of a Stepwise state machine; restores traffic,
 *   releases the lock and closes the audit trail when the execution could not (stopped, timed out,
 *   failed for good), and starts the service's next queued deployment. Also run every 5 minutes
 *   (`Reconcile/Schedule`) to sweep up what the best-effort status-change events missed.
 * - `AlarmChanged`: run by a rule on every CloudWatch alarm going into ALARM; fails the task token
 *   of each bake under way that watches it (`Stepwise.AlarmFired`), so the rollback starts within
 *   seconds instead of at the bake's end. It reads the table's bakes and fails tokens, nothing else.
 *
 * Each function has its own role; only the reconciler moves traffic, so only its role is among
 * `providerRoles`. Created after the state machines, whose ARNs its functions are given; the state
 * machines know nothing of it, so there is no dependency cycle.
 */
export class ControlPlane extends Construct {
  readonly api: StepwiseApi;
  readonly dispatch: TriggeredFunction;
  readonly reconcile: TriggeredFunction;
  readonly alarmChanged: TriggeredFunction;

  constructor(scope: Construct, id: string, props: ControlPlaneProps) {
    super(scope, id);
    const { table, stateMachines, logLevel, ...api } = props;
    const shared = { table, stateMachines, ...(logLevel ? { logLevel } : {}) };

    this.api = new StepwiseApi(this, 'Api', { ...shared, ...api });

    this.dispatch = new TriggeredFunction(this, 'Dispatch', {
      ...shared,
      entry: 'dispatch',
      description: 'starts deployments from ECR image pushes',
      ruleDescription: 'successful ECR image pushes, to start the deployments they trigger',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Action'],
        detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] },
      },
    });

    this.reconcile = new TriggeredFunction(this, 'Reconcile', {
      ...shared,
      entry: 'reconcile',
      description: 'cleans up after ended executions and starts the next queued deployment',
      // The only control function that asks how an execution ended (its error and cause, and the sweep).
      describesExecutions: true,
      deletesDeploymentAlarms: true,
      ruleDescription: 'ended executions of the Stepwise state machines, to reconcile their deployments',
      // Status-change events are delivered on a best-effort basis: the sweep finds what they missed.
      schedule: {
        schedule: Schedule.rate(Duration.minutes(SWEEP_INTERVAL_MINUTES)),
        description: `every ${SWEEP_INTERVAL_MINUTES} minutes, reconcile deployments whose execution ended unheard and pump stalled queues`,
      },
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: [...ENDED_EXECUTION_STATUSES],
          stateMachineArn: Object.values(stateMachines).map((machine) => machine.stateMachineArn),
        },
      },
    });

    this.alarmChanged = new TriggeredFunction(this, 'AlarmChanged', {
      ...shared,
      entry: 'alarm-changed',
      description: 'ends a bake the moment one of the alarms it watches goes into ALARM',
      readsBakesOnly: true,
      failsTasks: true,
      ruleDescription: 'CloudWatch alarms going into ALARM, to end the bakes that watch them at once',
      // An event older than any bake it could end is worth nothing; the end-of-bake check is the second line.
      maxEventAge: Duration.minutes(15),
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { state: { value: ['ALARM'] } },
      },
    });
  }

  /** The roles that call traffic providers and so need the registered services' provider grants: the reconciler's. */
  get providerRoles(): Role[] {
    return [this.reconcile.handler.role];
  }
}
