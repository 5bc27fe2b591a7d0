import type { VersionReading } from '../domain/judge/analysis.ts';

/** One CloudWatch metric: namespace, name and dimensions, as GetMetricData's MetricStat names it. */
export interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

/**
 * Where one version's metrics are: its request count (`Sum`), its error count (`Sum`), and a
 * latency metric with percentiles (its unit in milliseconds: 1000 for ALB's seconds, 1 for
 * Lambda's milliseconds).
 */
export interface VersionMetricSpec {
  requests: MetricRef;
  errors: MetricRef;
  latency?: MetricRef & { unitMs: number };
}

/** What a provider says of how to read each version of a deployment on its own. */
export interface VersionMetricSpecs {
  candidate: VersionMetricSpec;
  baseline: VersionMetricSpec;
}

/** The latency statistics a reading asks for: quantiles (0..1, by key) and thresholds (ms, by key) to count slower requests at. */
export interface LatencyAsk {
  quantiles: Record<string, number>;
  thresholds: Record<string, number>;
}

/** Reads one version's metrics over a window: CloudWatch GetMetricData on AWS, the simulated fleet locally. */
export interface VersionMetrics {
  read(
    spec: VersionMetricSpec,
    window: { start: Date; end: Date },
    latency: LatencyAsk,
  ): Promise<VersionReading>;
}
