import type { Logger } from '@aws-lambda-powertools/logger';
import type { ProviderFactory } from '../adapters/traffic/providers.ts';
import type { AlarmSource } from '../ports/alarms.ts';
import type { Clock } from '../ports/clock.ts';
import type { Executions } from '../ports/executions.ts';
import type { DeploymentAlarms } from '../ports/metrics.ts';
import type { Store } from '../ports/store.ts';

/**
 * The ports the control plane (dispatch, the API, the reconciler) is built from: Step Functions
 * and CloudWatch on AWS, the embedded engine and the simulated CloudWatch locally.
 */
export interface ControlDeps {
  store: Store;
  executions: Executions;
  providers: ProviderFactory;
  alarms: AlarmSource;
  /** Deletes the alarms made for a deployment that ended without Record event doing it. */
  deploymentAlarms?: DeploymentAlarms;
  clock: Clock;
  logger?: Logger;
}
