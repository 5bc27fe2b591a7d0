import { ResourceNotFoundError } from '../domain/errors.ts';
import type { ControlDeps } from './deps.ts';
import { pumpQueue } from './launcher.ts';
import { reconcile } from './reconciler.ts';

/** How often the sweep runs (the reconcile function's schedule). */
export const SWEEP_INTERVAL_MINUTES = 5;

export interface Swept {
  /** Deployments whose execution had ended without the reconciler hearing of it. */
  reconciled: string[];
  /** Services whose queue was pumped. */
  pumped: string[];
}

/**
 * The safety net under the reconciler, run on a schedule. Step Functions sends its status-change
 * events on a best-effort basis, and a reconcile can end in its dead-letter queue; a lock can
 * expire with nobody to notice. The sweep asks Step Functions how every open deployment's
 * execution stands, reconciles those that ended, and pumps every queue that has waiting
 * deployments. Everything it calls is idempotent, so running it often costs reads only.
 */
export async function sweep(deps: ControlDeps): Promise<Swept> {
  const swept: Swept = { reconciled: [], pumped: [] };
  for (const { service } of await deps.store.listServiceConfigs()) {
    for (const summary of await deps.store.listOpenDeployments(service)) {
      if (!summary.executionArn) continue;
      let described: Awaited<ReturnType<typeof deps.executions.describe>>;
      try {
        described = await deps.executions.describe(summary.executionArn);
      } catch (error) {
        if (error instanceof ResourceNotFoundError) continue;
        throw error;
      }
      if (described.status === 'RUNNING' || described.status === 'PENDING_REDRIVE') continue;
      await reconcile(deps, { ...described, name: summary.deploymentId });
      swept.reconciled.push(summary.deploymentId);
    }
    if ((await deps.store.listQueue(service)).length > 0) {
      await pumpQueue(deps, service);
      swept.pumped.push(service);
    }
  }
  if (swept.reconciled.length > 0 || swept.pumped.length > 0) deps.logger?.info('swept', { ...swept });
  return swept;
}
