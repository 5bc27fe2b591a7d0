import type { ProviderFactory } from '../adapters/traffic/providers.ts';
import { ProviderError } from '../domain/errors.ts';
import type { Deployment } from '../domain/types.ts';
import type { AlarmSource } from '../ports/alarms.ts';
import type { Clock } from '../ports/clock.ts';
import type { HookRunner } from '../ports/hooks.ts';
import type { DeploymentAlarms, VersionMetrics } from '../ports/metrics.ts';
import type { Store } from '../ports/store.ts';
import type { TrafficProvider, TrafficTarget } from '../ports/traffic.ts';

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

const CAPABILITY_NAMES = { segments: 'route a segment', stopStart: 'stop and start versions' } as const;

/**
 * A capability of the deployment's provider that its strategy needs. Start deployment refuses a
 * strategy whose provider lacks it, so this fails only for a deployment started around that check.
 */
export function capabilityOf<C extends keyof typeof CAPABILITY_NAMES>(
  provider: TrafficProvider,
  capability: C,
  deployment: Pick<Deployment, 'provider' | 'strategy'>,
): NonNullable<TrafficProvider[C]> {
  const found = provider[capability];
  if (!found) {
    throw new ProviderError(
      `the ${deployment.provider} provider cannot ${CAPABILITY_NAMES[capability]}, which the ${deployment.strategy} strategy needs`,
    );
  }
  return found as NonNullable<TrafficProvider[C]>;
}
