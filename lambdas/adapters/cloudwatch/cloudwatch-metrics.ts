import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { VersionReading } from '../../domain/judge/analysis.ts';
import type { LatencyAsk, MetricRef, VersionMetricSpec, VersionMetrics } from '../../ports/metrics.ts';
import { rethrowAws } from '../aws-errors.ts';

const MINUTE = 60_000;

/**
 * The window in whole minutes, as CloudWatch's standard metrics are kept: from the minute the
 * window starts in (its earlier part is the same versions' traffic, which a count test weighs by
 * the requests each version actually had) to the last minute that has ended.
 */
export function wholeMinutes(window: { start: Date; end: Date }): { start: Date; end: Date } | undefined {
  const start = Math.floor(window.start.getTime() / MINUTE) * MINUTE;
  const end = Math.floor(window.end.getTime() / MINUTE) * MINUTE;
  return end > start ? { start: new Date(start), end: new Date(end) } : undefined;
}

/** One statistic of one metric, as GetMetricData and a metric-math alarm take it. */
export function metricStat(
  id: string,
  metric: MetricRef,
  statistic: string,
  period: number,
  returnData = true,
): MetricDataQuery {
  return {
    Id: id,
    ReturnData: returnData,
    MetricStat: {
      Metric: {
        Namespace: metric.namespace,
        MetricName: metric.metricName,
        Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: period,
      Stat: statistic,
    },
  };
}

/**
 * The GetMetricData queries for one version over one window: one datapoint each (the period is
 * the window), ids `requests`, `errors`, `samples` (the latency metric's SampleCount), `q_KEY`
 * (a percentile, `p95`) and `pr_KEY` (the percentile rank `PR(:t)`: the share of requests at most
 * t, in the metric's unit, so that `samples × (100 − pr) / 100` were slower than t).
 */
export function versionQueries(
  spec: VersionMetricSpec,
  periodSeconds: number,
  latency: LatencyAsk,
): MetricDataQuery[] {
  const queries = [
    metricStat('requests', spec.requests, 'Sum', periodSeconds),
    metricStat('errors', spec.errors, 'Sum', periodSeconds),
  ];
  if (!spec.latency) return queries;
  const unit = spec.latency.unitMs;
  queries.push(metricStat('samples', spec.latency, 'SampleCount', periodSeconds));
  for (const [key, q] of Object.entries(latency.quantiles)) {
    queries.push(metricStat(`q_${key}`, spec.latency, `p${Number((q * 100).toFixed(3))}`, periodSeconds));
  }
  for (const [key, ms] of Object.entries(latency.thresholds)) {
    queries.push(
      metricStat(`pr_${key}`, spec.latency, `PR(:${Number((ms / unit).toPrecision(10))})`, periodSeconds),
    );
  }
  return queries;
}

/** Per-version metrics from CloudWatch: one GetMetricData call per version and look (paged if CloudWatch pages it). */
export class CloudWatchVersionMetrics implements VersionMetrics {
  private readonly client: CloudWatchClient;

  constructor(client: CloudWatchClient) {
    this.client = client;
  }

  async read(
    spec: VersionMetricSpec,
    window: { start: Date; end: Date },
    latency: LatencyAsk,
  ): Promise<VersionReading> {
    const whole = wholeMinutes(window);
    if (!whole) return { requests: 0, errors: 0, quantiles: {}, slower: {}, latencySamples: 0 };
    const period = (whole.end.getTime() - whole.start.getTime()) / 1000;
    const queries = versionQueries(spec, period, latency);
    const values = new Map<string, number>();
    let NextToken: string | undefined;
    do {
      const command = new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: whole.start,
        EndTime: whole.end,
        ...(NextToken ? { NextToken } : {}),
      });
      let out: GetMetricDataCommandOutput;
      try {
        out = await this.client.send(command);
      } catch (error) {
        rethrowAws(error, 'GetMetricData');
      }
      for (const result of out.MetricDataResults ?? []) {
        const sum = (result.Values ?? []).reduce((acc, v) => acc + v, 0);
        if ((result.Values ?? []).length > 0 && result.Id) values.set(result.Id, sum);
      }
      NextToken = out.NextToken;
    } while (NextToken);
    const samples = values.get('samples') ?? 0;
    const unit = spec.latency?.unitMs ?? 1;
    const quantiles: Record<string, number | undefined> = {};
    for (const key of Object.keys(latency.quantiles)) {
      const v = values.get(`q_${key}`);
      quantiles[key] = v === undefined ? undefined : v * unit;
    }
    const slower: Record<string, number | undefined> = {};
    for (const key of Object.keys(latency.thresholds)) {
      const pr = values.get(`pr_${key}`);
      slower[key] = pr === undefined ? undefined : Math.round((samples * (100 - pr)) / 100);
    }
    return {
      requests: values.get('requests') ?? 0,
      errors: values.get('errors') ?? 0,
      quantiles,
      slower,
      latencySamples: samples,
    };
  }
}
