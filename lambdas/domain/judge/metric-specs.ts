import type { CustomMetrics } from './criteria.ts';

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

/** Where each version of a deployment has its own metrics: the provider says so, or the service's `analysis.metrics`. */
export interface VersionMetricSpecs {
  candidate: VersionMetricSpec;
  baseline: VersionMetricSpec;
}

/** The placeholder a service's own metrics name the version with, in a dimension's value. */
export const VERSION_PLACEHOLDER = '{version}';

function named(ref: CustomMetrics['requests'], version: string): MetricRef {
  return {
    namespace: ref.namespace,
    metricName: ref.metricName,
    dimensions: Object.fromEntries(
      Object.entries(ref.dimensions).map(([k, v]) => [k, v.split(VERSION_PLACEHOLDER).join(version)]),
    ),
  };
}

/**
 * A service's own per-version metrics (custom EMF metrics, an ECS rolling service's tasks
 * publishing their version), with `{version}` in a dimension replaced by each version's name. Pure.
 */
export function customVersionMetrics(
  metrics: CustomMetrics,
  versions: { stableVersion: string; candidateVersion: string },
): VersionMetricSpecs {
  const of = (version: string): VersionMetricSpec => ({
    requests: named(metrics.requests, version),
    errors: named(metrics.errors, version),
    ...(metrics.latency
      ? { latency: { ...named(metrics.latency, version), unitMs: metrics.latency.unit === 's' ? 1000 : 1 } }
      : {}),
  });
  return { candidate: of(versions.candidateVersion), baseline: of(versions.stableVersion) };
}
