import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CloudWatchVersionMetrics,
  wholeMinutes,
} from '../../../lambdas/adapters/cloudwatch/cloudwatch-metrics.ts';
import { TransientError } from '../../../lambdas/domain/errors.ts';
import type { VersionMetricSpec } from '../../../lambdas/ports/metrics.ts';
import { mockClient } from '../../support/aws-mock.ts';

const cloudwatch = mockClient(CloudWatchClient);
const metrics = () => new CloudWatchVersionMetrics(new CloudWatchClient({ region: 'eu-west-1' }));

/** An ALB target group's metrics: TargetResponseTime is in seconds. */
const dimensions = {
  TargetGroup: 'targetgroup/green/0123456789abcdef',
  LoadBalancer: 'app/shop/fedcba9876543210',
};
const ALB: VersionMetricSpec = {
  requests: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions },
  errors: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions },
  latency: { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions, unitMs: 1000 },
};
const WINDOW = { start: new Date('2026-12-01T12:00:20Z'), end: new Date('2026-12-01T12:05:40Z') };

beforeEach(() => cloudwatch.reset());

describe('CloudWatchVersionMetrics', () => {
  it('asks for one datapoint per statistic over the whole minutes, and reads counts, quantiles and slow requests back', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', Values: [512] },
        { Id: 'errors', Values: [3] },
        { Id: 'samples', Values: [510] },
        { Id: 'q_p95', Values: [0.1415] },
        { Id: 'pr_p95', Values: [90] },
      ],
    });
    const reading = await metrics().read(ALB, WINDOW, { quantiles: { p95: 0.95 }, thresholds: { p95: 132 } });
    expect(reading).toEqual({
      requests: 512,
      errors: 3,
      quantiles: { p95: 141.5 },
      slower: { p95: 51 },
      latencySamples: 510,
    });
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    // From the minute the window starts in to the last one that ended: 12:00 to 12:05, one period.
    expect(input?.StartTime).toEqual(new Date('2026-12-01T12:00:00Z'));
    expect(input?.EndTime).toEqual(new Date('2026-12-01T12:05:00Z'));
    expect(input?.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Stat, q.MetricStat?.Period])).toEqual([
      ['requests', 'Sum', 300],
      ['errors', 'Sum', 300],
      ['samples', 'SampleCount', 300],
      ['q_p95', 'p95', 300],
      // The threshold in the metric's own unit: 132 ms is 0.132 s.
      ['pr_p95', 'PR(:0.132)', 300],
    ]);
    expect(input?.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'TargetGroup', Value: 'targetgroup/green/0123456789abcdef' },
      { Name: 'LoadBalancer', Value: 'app/shop/fedcba9876543210' },
    ]);
  });

  it('reads nothing for a window shorter than a minute, and says no datapoint where CloudWatch has none', async () => {
    const short = { start: new Date('2026-12-01T12:00:20Z'), end: new Date('2026-12-01T12:00:50Z') };
    expect(await metrics().read(ALB, short, { quantiles: { p95: 0.95 }, thresholds: {} })).toEqual({
      requests: 0,
      errors: 0,
      quantiles: {},
      slower: {},
      latencySamples: 0,
    });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'requests', Values: [] }] });
    const empty = await metrics().read(ALB, WINDOW, { quantiles: { p95: 0.95 }, thresholds: { p95: 132 } });
    expect(empty.quantiles).toEqual({ p95: undefined });
    expect(empty.slower).toEqual({ p95: undefined });
  });

  it('follows NextToken, and a throttled read is transient (retried, not a verdict)', async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'requests', Values: [100] }], NextToken: 'more' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'errors', Values: [2] }] });
    const reading = await metrics().read(ALB, WINDOW, { quantiles: {}, thresholds: {} });
    expect([reading.requests, reading.errors]).toEqual([100, 2]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('more');
    cloudwatch.reset();
    cloudwatch
      .on(GetMetricDataCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(metrics().read(ALB, WINDOW, { quantiles: {}, thresholds: {} })).rejects.toBeInstanceOf(
      TransientError,
    );
  });

  it('wholeMinutes keeps a window that starts and ends on the minute as it is', () => {
    const aligned = { start: new Date('2026-12-01T12:00:00Z'), end: new Date('2026-12-01T12:03:00Z') };
    expect(wholeMinutes(aligned)).toEqual(aligned);
  });
});
