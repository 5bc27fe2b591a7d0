import { describe, expect, it } from 'vitest';
import { submitDeployment } from '../../lambdas/control/launcher.ts';
import { ConflictError } from '../../lambdas/domain/errors.ts';
import type { DeploymentRequest } from '../../lambdas/domain/types.ts';
import { LocalControlPlane } from '../../local/control-plane.ts';
import { asFunction } from '../../local/function-scope.ts';

/**
 * Step Functions keeps an execution's name after it closes ("When the original execution is
 * closed, the ExecutionAlreadyExists message is returned regardless of input"); the local plane
 * keeps the same registry, so a retry that reuses a name fails here as it would on AWS (F4).
 */
describe('execution names on the local control plane', () => {
  it("refuses to start an execution under a closed execution's name, whatever the input", async () => {
    const plane = await LocalControlPlane.open(undefined, { approve: { mode: 'auto' } });
    try {
      await plane.register({
        services: [
          {
            name: 'names',
            environment: 'test',
            provider: { kind: 'simulated' },
            strategy: 'all-at-once',
            plan: { bakeSeconds: 60 },
            alarms: ['names-error-rate'],
          },
        ],
      });
      const { deployment } = await asFunction('control:api', () =>
        submitDeployment(plane.deps, {
          service: 'names',
          artifact: { image: 'app:2' },
          trigger: { source: 'api', principal: 'tester' },
          unique: 'names-1',
        }),
      );
      await plane.idle();
      expect((await plane.runtime.store.getDeployment(deployment.deploymentId))?.status).toBe('SUCCEEDED');
      const again: DeploymentRequest = {
        deploymentId: deployment.deploymentId,
        service: 'names',
        artifact: { image: 'app:3' },
        trigger: { source: 'api', principal: 'tester' },
      };
      const refused = plane.deps.executions.start('all-at-once', again);
      await expect(refused).rejects.toThrow(ConflictError);
      await expect(refused).rejects.toThrow(`an execution named ${deployment.deploymentId} already exists`);
    } finally {
      await plane.close();
    }
  });
});
