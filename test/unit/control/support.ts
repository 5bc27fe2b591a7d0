import type { ExecutionDescription, Executions } from '../../../lambdas/ports/executions.ts';

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
  async describe(executionArn: string): Promise<ExecutionDescription> {
    return { executionArn, status: 'FAILED' };
  }
  consoleUrl(arn: string) {
    return arn;
  }
}
