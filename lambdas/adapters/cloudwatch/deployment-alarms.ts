import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import type { ComparisonAlarm } from '../../domain/judge/comparison-alarm.ts';
import type { MetricRef } from '../../domain/judge/metric-specs.ts';
import type { DeploymentAlarms } from '../../ports/metrics.ts';
import { rethrowAws } from '../aws-errors.ts';
import { metricStat } from './cloudwatch-metrics.ts';

/** DeleteAlarms takes at most 100 names a call. */
const NAMES_PER_CALL = 100;

const sum = (id: string, metric: MetricRef, period: number) => metricStat(id, metric, 'Sum', period, false);

/**
 * The PutMetricAlarm input of a comparison alarm: four sums (each version's errors and requests)
 * and one expression, `100 × (candidate errors / requests − stable errors / requests)`, 0 in a
 * minute with too few candidate requests or no stable ones (FILL: a minute without a datapoint is 0).
 */
export function putMetricAlarmInput(alarm: ComparisonAlarm): PutMetricAlarmCommandInput {
  const p = alarm.periodSeconds;
  return {
    AlarmName: alarm.name,
    AlarmDescription: alarm.description,
    ActionsEnabled: true,
    Metrics: [
      sum('ce', alarm.candidate.errors, p),
      sum('cr', alarm.candidate.requests, p),
      sum('be', alarm.baseline.errors, p),
      sum('br', alarm.baseline.requests, p),
      {
        Id: 'diff',
        Label: 'candidate error rate minus stable error rate (points)',
        ReturnData: true,
        Expression: `IF(FILL(cr, 0) >= ${alarm.minCandidateRequests} AND FILL(br, 0) > 0, 100 * (FILL(ce, 0) / FILL(cr, 1) - FILL(be, 0) / FILL(br, 1)), 0)`,
      },
    ],
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: alarm.abovePoints,
    EvaluationPeriods: alarm.datapoints,
    DatapointsToAlarm: alarm.datapoints,
    TreatMissingData: 'notBreaching',
  };
}

/** Creates and deletes the alarms Stepwise makes for its deployments (names start `stepwise-`). */
export class CloudWatchDeploymentAlarms implements DeploymentAlarms {
  private readonly client: CloudWatchClient;

  constructor(client: CloudWatchClient) {
    this.client = client;
  }

  async put(alarm: ComparisonAlarm): Promise<void> {
    try {
      await this.client.send(new PutMetricAlarmCommand(putMetricAlarmInput(alarm)));
    } catch (error) {
      rethrowAws(error, `PutMetricAlarm ${alarm.name}`);
    }
  }

  async remove(names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      const AlarmNames = names.slice(i, i + NAMES_PER_CALL);
      try {
        await this.client.send(new DeleteAlarmsCommand({ AlarmNames }));
      } catch (error) {
        if ((error as { name?: string }).name === 'ResourceNotFound') continue;
        rethrowAws(error, `DeleteAlarms ${AlarmNames.join(', ')}`);
      }
    }
  }
}
