import type { ProviderFactory } from '../adapters/traffic/providers.ts';
import type { Deployment } from '../domain/types.ts';
import type { AlarmSource } from '../ports/alarms.ts';
import type { Clock } from '../ports/clock.ts';
import type { HookRunner } from '../ports/hooks.ts';
import type { DeploymentAlarms, VersionMetrics } from '../ports/metrics.ts';
import type { Store } from '../ports/store.ts';
import type { TrafficTarget } from '../ports/traffic.ts';

/** The ports every task handler is built from: AWS adapters in Lambda, local ones in the runtime. */
export interface TaskDeps {
  store: Store;
  providers: ProviderFactory;
  alarms: AlarmSource;
  clock: Clock;
  hooks: HookRunner;
  /** Per-version metrics for the baseline comparison (CloudWatch GetMetricData); only Check alarms reads them. */
  metrics?: VersionMetrics;
  /** The alarms made for a deployment (the comparison's tripwire): Prepare candidate creates them, Record event deletes them. */
  deploymentAlarms?: DeploymentAlarms;
}

export function targetOf(deployment: Deployment): TrafficTarget {
  return {
    service: deployment.service,
    stableVersion: deployment.stableVersion,
    candidateVersion: deployment.candidateVersion,
  };
}
