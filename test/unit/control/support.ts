import { makeProviderFactory } from '../../../lambdas/adapters/traffic/providers.ts';
import type { ControlDeps } from '../../../lambdas/control/deps.ts';
import type { ExecutionDescription, Executions } from '../../../lambdas/ports/executions.ts';
import type { Store } from '../../../lambdas/ports/store.ts';

/** Executions that nothing runs on: the reconciler only reads events here, and may start the next queued one. */
export class RecordingExecutions implements Executions {
  readonly started: string[] = [];
  async start(_strategy: string, request: { deploymentId: string }) {
    this.started.push(request.deploymentId);
    return {
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:Stepwise-canary:${request.deploymentId}`,
    };
  }
  async stop() {}
  async sendTaskSuccess(_taskToken: string, _output: Record<string, unknown>): Promise<void> {}
  /** The tokens failed, with their error and cause; `gone` tokens no longer wait. */
  readonly failed: { taskToken: string; error: string; cause: string }[] = [];
  gone = new Set<string>();
  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    if (this.gone.has(taskToken)) return false;
    this.failed.push({ taskToken, error, cause });
    return true;
  }
  async describe(executionArn: string): Promise<ExecutionDescription> {
    return { executionArn, status: 'FAILED' };
  }
  consoleUrl(arn: string) {
    return arn;
  }
}

/** The control plane's ports over a real store (dynalite), the simulated provider and a fixed clock; no alarms. */
export function controlDeps(store: Store, executions: Executions, now: Date): ControlDeps {
  const clock = { now: () => now };
  return {
    store,
    executions,
    providers: makeProviderFactory({ store, clock }),
    alarms: { observe: async () => [], describe: async () => [] },
    clock,
  };
}
