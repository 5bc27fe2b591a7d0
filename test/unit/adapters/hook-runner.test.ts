import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DefaultHookRunner } from '../../../lambdas/adapters/hooks/hook-runner.ts';
import { TransientError } from '../../../lambdas/domain/errors.ts';
import type { HookContext, HttpHook, LambdaHook } from '../../../lambdas/domain/hooks.ts';
import { startTestRoute, type TestRoute } from '../../../local/test-route.ts';
import { mockClient } from '../../support/aws-mock.ts';

const lambda = mockClient(LambdaClient);

const context: HookContext = {
  deploymentId: 'dep-1',
  service: 'shop',
  candidateVersion: 'shop:2.0',
  phase: 'pre-traffic',
  attempt: 2,
};

const lambdaHook: LambdaHook = {
  name: 'verify',
  phase: 'pre-traffic',
  type: 'lambda',
  functionName: 'stepwise-hook-verify',
  timeoutSeconds: 10,
  retries: 2,
  retryIntervalSeconds: 10,
};

const payload = (text: string) => new TextEncoder().encode(text) as InvokeCommandOutput['Payload'];

function httpHook(url: string, overrides: Partial<HttpHook> = {}): HttpHook {
  return {
    name: 'smoke',
    phase: 'pre-traffic',
    type: 'http',
    url,
    method: 'GET',
    expectedStatus: 200,
    timeoutSeconds: 5,
    retries: 2,
    retryIntervalSeconds: 10,
    ...overrides,
  };
}

describe('DefaultHookRunner: HTTP hooks', () => {
  let route: TestRoute;
  let failing: TestRoute;
  beforeAll(async () => {
    route = await startTestRoute([]);
    failing = await startTestRoute([{ phase: 'pre-traffic' }]);
  });
  afterAll(async () => {
    await route.close();
    await failing.close();
  });

  const runner = new DefaultHookRunner();

  it('passes when the URL answers the expected status, and says what it answered', async () => {
    const result = await runner.run(httpHook(`${route.url}/health`), context);
    expect(result).toMatchObject({ passed: true, detail: `GET ${route.url}/health answered 200` });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('fails when the URL answers another status, and says what it expected', async () => {
    const result = await runner.run(httpHook(`${failing.url}/health`), context);
    expect(result).toMatchObject({
      passed: false,
      detail: `GET ${failing.url}/health answered 503, expected 200`,
    });
  });

  it('passes a status other than 200 when that is the one expected', async () => {
    const result = await runner.run(httpHook(`${route.url}/missing`, { expectedStatus: 404 }), context);
    expect(result.passed).toBe(true);
  });

  it('tells the URL which deployment, phase and attempt is asking', async () => {
    const before = route.requests.length;
    await runner.run(httpHook(`${route.url}/health`, { method: 'HEAD' }), {
      ...context,
      phase: 'post-traffic',
    });
    expect(route.requests.slice(before)).toEqual([{ path: '/health', phase: 'post-traffic', status: 200 }]);
  });

  it('fails, saying so, when the URL does not answer within the timeout', async () => {
    const never: typeof fetch = (_, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const slow = new DefaultHookRunner({ fetch: never });
    const result = await slow.run(httpHook('http://shop.internal/health', { timeoutSeconds: 0.05 }), context);
    expect(result).toMatchObject({
      passed: false,
      detail: 'GET http://shop.internal/health did not answer within 0.05s',
    });
  });

  it('fails, saying why, when the request cannot be made', async () => {
    const refused: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    const result = await new DefaultHookRunner({ fetch: refused }).run(
      httpHook('http://shop.internal/health'),
      context,
    );
    expect(result).toMatchObject({
      passed: false,
      detail: 'GET http://shop.internal/health failed: fetch failed',
    });
  });
});

/** A loopback server that records what it is sent and answers with `answer`. */
async function server(
  answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> },
) {
  const seen: { url: string; headers: IncomingMessage['headers'] }[] = [];
  const http = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const { status, headers } = answer(req);
    res.writeHead(status, headers).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

describe('DefaultHookRunner: redirects and secrets', () => {
  it('follows no redirect: a 302 fails the hook, naming where it pointed, and the target is never called', async () => {
    const internal = await server(() => ({ status: 200 }));
    const redirecting = await server(() => ({
      status: 302,
      headers: { location: `${internal.url}/internal-admin?key=abc` },
    }));
    try {
      const result = await new DefaultHookRunner().run(httpHook(`${redirecting.url}/smoke`), context);
      expect(result).toMatchObject({
        passed: false,
        detail: `GET ${redirecting.url}/smoke answered 302, a redirect to ${internal.url}/internal-admin?…; hooks follow no redirects, so point the hook at the final URL`,
      });
      expect(internal.seen).toEqual([]);
    } finally {
      await internal.close();
      await redirecting.close();
    }
  });

  it.each([301, 303, 307, 308])('fails on a %i too', async (status) => {
    const redirecting = await server(() => ({ status, headers: { location: '/elsewhere' } }));
    try {
      const result = await new DefaultHookRunner().run(httpHook(`${redirecting.url}/smoke`), context);
      expect(result.passed).toBe(false);
      expect(result.detail).toContain(`answered ${status}, a redirect to ${redirecting.url}/elsewhere;`);
      expect(redirecting.seen.map((r) => r.url)).toEqual(['/smoke']);
    } finally {
      await redirecting.close();
    }
  });

  it('passes a redirect status when the hook expects exactly that one', async () => {
    const redirecting = await server(() => ({ status: 302, headers: { location: '/login' } }));
    try {
      const hook = httpHook(`${redirecting.url}/smoke`, { expectedStatus: 302 });
      expect((await new DefaultHookRunner().run(hook, context)).passed).toBe(true);
    } finally {
      await redirecting.close();
    }
  });

  it('sends the query and the credentials of the URL, but its detail shows neither', async () => {
    const target = await server(() => ({ status: 200 }));
    const { host } = new URL(target.url);
    try {
      const result = await new DefaultHookRunner().run(
        httpHook(`http://smoke%40ci:s3cr3t@${host}/health?token=tok-123#frag`),
        context,
      );
      expect(result).toMatchObject({ passed: true, detail: `GET http://${host}/health?… answered 200` });
      expect(JSON.stringify(result)).not.toMatch(/s3cr3t|tok-123|smoke/);
      expect(target.seen[0]?.url).toBe('/health?token=tok-123');
      expect(target.seen[0]?.headers.authorization).toBe(
        `Basic ${Buffer.from('smoke@ci:s3cr3t').toString('base64')}`,
      );
    } finally {
      await target.close();
    }
  });

  it('keeps the secrets out of a failure detail too', async () => {
    const refused: typeof fetch = (url) =>
      Promise.reject(new TypeError(`connect ECONNREFUSED ${String(url)}`));
    const result = await new DefaultHookRunner({ fetch: refused }).run(
      httpHook('https://ci:s3cr3t@shop.internal/health?token=tok-123'),
      context,
    );
    expect(result.passed).toBe(false);
    expect(result.detail).toBe(
      'GET https://shop.internal/health?… failed: connect ECONNREFUSED https://shop.internal/health?…',
    );
  });
});

describe('DefaultHookRunner: Lambda hooks', () => {
  const runner = () => new DefaultHookRunner({ lambda: new LambdaClient({ region: 'eu-west-1' }) });

  beforeEach(() => {
    lambda.reset();
  });

  it('passes when the function answers passed: true, quoting its message', async () => {
    lambda.on(InvokeCommand).resolves({ Payload: payload('{"passed":true,"message":"all good"}') });
    expect(await runner().run(lambdaHook, context)).toMatchObject({
      passed: true,
      detail: 'stepwise-hook-verify answered passed=true: all good',
    });
  });

  it('invokes the function synchronously with the context and the hook name', async () => {
    lambda.on(InvokeCommand).resolves({ Payload: payload('{"passed":true}') });
    await runner().run(lambdaHook, context);
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, {
      FunctionName: 'stepwise-hook-verify',
      InvocationType: 'RequestResponse',
    });
    const sent = lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload;
    expect(JSON.parse(new TextDecoder().decode(sent as Uint8Array))).toEqual({ ...context, hook: 'verify' });
  });

  it.each([
    [
      '{"passed":false,"message":"stock check failed"}',
      'stepwise-hook-verify answered passed=false: stock check failed',
    ],
    ['{"passed":"yes"}', 'stepwise-hook-verify answered passed=yes'],
    ['{}', 'stepwise-hook-verify answered passed=undefined'],
  ])('fails when the function answers %s', async (answer, detail) => {
    lambda.on(InvokeCommand).resolves({ Payload: payload(answer) });
    expect(await runner().run(lambdaHook, context)).toMatchObject({ passed: false, detail });
  });

  it('fails when the function answers something that is not JSON', async () => {
    lambda.on(InvokeCommand).resolves({ Payload: payload('OK then') });
    expect(await runner().run(lambdaHook, context)).toMatchObject({
      passed: false,
      detail: 'stepwise-hook-verify answered non-JSON: OK then',
    });
  });

  it('fails when the function itself failed, quoting its error', async () => {
    lambda.on(InvokeCommand).resolves({
      FunctionError: 'Unhandled',
      Payload: payload('{"errorType":"Error","errorMessage":"boom"}'),
    });
    expect(await runner().run(lambdaHook, context)).toMatchObject({
      passed: false,
      detail: 'stepwise-hook-verify failed: {"errorType":"Error","errorMessage":"boom"}',
    });
  });

  it('throws a TransientError for the state machine to retry when the Lambda API throttles', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    const running = runner().run(lambdaHook, context);
    await expect(running).rejects.toThrow(TransientError);
    await expect(running).rejects.toMatchObject({
      name: 'Stepwise.Transient',
      message: expect.stringContaining('invoking hook verify'),
    });
  });

  it('lets other Lambda API errors through as they are', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' }));
    await expect(runner().run(lambdaHook, context)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses a Lambda hook when it has no Lambda client', async () => {
    await expect(new DefaultHookRunner().run(lambdaHook, context)).rejects.toThrow(
      'hook verify: no Lambda client to invoke stepwise-hook-verify',
    );
  });
});
