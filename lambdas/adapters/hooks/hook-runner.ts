import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  type Hook,
  type HookContext,
  type HookResult,
  type HttpHook,
  type LambdaHook,
  redactUrl,
} from '../../domain/hooks.ts';
import type { HookRunner } from '../../ports/hooks.ts';
import { rethrowAws } from '../aws-errors.ts';

/** An error message with the hook's URL in it, should the network stack quote it, cut to what may be shown. */
function redactMessage(message: string, urls: string[]): string {
  return urls.reduce((text, url) => text.split(url).join(redactUrl(url)), message);
}

/**
 * Runs HTTP smoke tests with fetch (the same code on AWS and against the local simulated test
 * route) and Lambda hooks with the Lambda client. A timeout, a wrong status or a redirect is a
 * failed attempt; throttling of the Lambda API is a TransientError for the state machine to retry.
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
    // The trail, the logs and the state machine's input see the URL without credentials or query.
    const shown = `${hook.method} ${redactUrl(hook.url)}`;
    let target: URL;
    try {
      target = new URL(hook.url);
    } catch {
      return { passed: false, detail: `${shown} is not a URL`, durationMs: 0 };
    }
    // fetch refuses a URL with credentials in it: send them as Basic auth, as curl does.
    const credentials =
      target.username || target.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`
        : undefined;
    target.username = '';
    target.password = '';
    try {
      const response = await this.fetchImpl(target, {
        method: hook.method,
        // A redirect could lead anywhere, past the service's allowedHosts: it fails the hook.
        redirect: 'manual',
        signal: AbortSignal.timeout(hook.timeoutSeconds * 1000),
        headers: {
          ...(credentials ? { authorization: credentials } : {}),
          'x-stepwise-deployment': context.deploymentId,
          'x-stepwise-service': context.service,
          'x-stepwise-phase': context.phase,
          'x-stepwise-attempt': String(context.attempt),
        },
      });
      await response.body?.cancel();
      if (response.status >= 300 && response.status < 400 && response.status !== hook.expectedStatus) {
        const location = response.headers.get('location');
        const to = location ? ` to ${redactUrl(new URL(location, target).href)}` : '';
        return {
          passed: false,
          detail: `${shown} answered ${response.status}, a redirect${to}; hooks follow no redirects, so point the hook at the final URL`,
          durationMs: Date.now() - started,
        };
      }
      const passed = response.status === hook.expectedStatus;
      return {
        passed,
        detail: `${shown} answered ${response.status}${passed ? '' : `, expected ${hook.expectedStatus}`}`,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return {
        passed: false,
        detail: timedOut
          ? `${shown} did not answer within ${hook.timeoutSeconds}s`
          : `${shown} failed: ${redactMessage((error as Error).message, [hook.url, target.href])}`,
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
