import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Hook, HookContext, HookResult, HttpHook, LambdaHook } from '../../domain/hooks.ts';
import type { HookRunner } from '../../ports/hooks.ts';
import { rethrowAws } from '../aws-errors.ts';

/**
 * Runs HTTP smoke tests with fetch (the same code on AWS and against the local simulated test
 * route) and Lambda hooks with the Lambda client. A timeout or a wrong status is a failed
 * attempt; throttling of the Lambda API is a TransientError for the state machine to retry.
 */
export class DefaultHookRunner implements HookRunner {
  private readonly lambda: LambdaClient | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: { lambda?: LambdaClient; fetch?: typeof fetch } = {}) {
    this.lambda = options.lambda;
    this.fetchImpl = options.fetch ?? fetch;
  }

  run(hook: Hook, context: HookContext): Promise<HookResult> {
    return hook.type === 'http' ? this.http(hook, context) : this.invoke(hook, context);
  }

  private async http(hook: HttpHook, context: HookContext): Promise<HookResult> {
    const started = Date.now();
    try {
      const response = await this.fetchImpl(hook.url, {
        method: hook.method,
        signal: AbortSignal.timeout(hook.timeoutSeconds * 1000),
        headers: {
          'x-stepwise-deployment': context.deploymentId,
          'x-stepwise-service': context.service,
          'x-stepwise-phase': context.phase,
          'x-stepwise-attempt': String(context.attempt),
        },
      });
      await response.body?.cancel();
      const passed = response.status === hook.expectedStatus;
      return {
        passed,
        detail: `${hook.method} ${hook.url} answered ${response.status}${passed ? '' : `, expected ${hook.expectedStatus}`}`,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return {
        passed: false,
        detail: timedOut
          ? `${hook.method} ${hook.url} did not answer within ${hook.timeoutSeconds}s`
          : `${hook.method} ${hook.url} failed: ${(error as Error).message}`,
        durationMs: Date.now() - started,
      };
    }
  }

  private async invoke(hook: LambdaHook, context: HookContext): Promise<HookResult> {
    if (!this.lambda) throw new Error(`hook ${hook.name}: no Lambda client to invoke ${hook.functionName}`);
    const started = Date.now();
    let out: InvokeCommandOutput;
    try {
      out = await this.lambda.send(
        new InvokeCommand({
          FunctionName: hook.functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify({ ...context, hook: hook.name })),
        }),
        { abortSignal: AbortSignal.timeout(hook.timeoutSeconds * 1000) },
      );
    } catch (error) {
      if ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError') {
        return {
          passed: false,
          detail: `${hook.functionName} did not answer within ${hook.timeoutSeconds}s`,
          durationMs: Date.now() - started,
        };
      }
      rethrowAws(error, `invoking hook ${hook.name}`);
    }
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    const durationMs = Date.now() - started;
    if (out.FunctionError) {
      return { passed: false, detail: `${hook.functionName} failed: ${text.slice(0, 500)}`, durationMs };
    }
    let answer: { passed?: unknown; message?: unknown } = {};
    try {
      answer = JSON.parse(text || '{}');
    } catch {
      return {
        passed: false,
        detail: `${hook.functionName} answered non-JSON: ${text.slice(0, 200)}`,
        durationMs,
      };
    }
    const passed = answer.passed === true;
    const message = typeof answer.message === 'string' ? `: ${answer.message}` : '';
    return {
      passed,
      detail: `${hook.functionName} answered passed=${String(answer.passed)}${message}`,
      durationMs,
    };
  }
}
