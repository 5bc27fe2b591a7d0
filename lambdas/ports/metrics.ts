import type { VersionReading } from '../domain/judge/analysis.ts';
import type { ComparisonAlarm } from '../domain/judge/comparison-alarm.ts';
import type { VersionMetricSpec } from '../domain/judge/metric-specs.ts';

export type { MetricRef, VersionMetricSpec, VersionMetricSpecs } from '../domain/judge/metric-specs.ts';

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

/** The alarms Stepwise creates for a deployment (CloudWatch metric-math alarms on AWS, the simulated CloudWatch locally). */
export interface DeploymentAlarms {
  /** Creates or updates the alarm (PutMetricAlarm is an upsert). */
  put(alarm: ComparisonAlarm): Promise<void>;
  /** Deletes the named alarms; one that is gone already is no error. */
  remove(names: string[]): Promise<void>;
}
