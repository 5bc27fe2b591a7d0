import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsApiClient, localServer, regionOf } from '../../../cli/api-client.ts';
import { ApiError, CredentialsError, UsageError } from '../../../cli/errors.ts';
import { T0 } from '../fixtures.ts';

const API = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';
const ACCESS_KEY = 'AKIDEXAMPLE';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Replaces fetch with one that remembers each request and answers `status` with `body` as JSON. */
function answerWith(status: number, body: unknown): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', async (url: URL | string, init: RequestInit = {}) => {
    sent.push({
      url: String(url),
      method: init.method ?? 'GET',
      headers: Object.fromEntries(
        Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      ),
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
    });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  return sent;
}

beforeEach(() => {
  // Static credentials from the environment, and nothing else the credential chain could prefer.
  vi.stubEnv('AWS_ACCESS_KEY_ID', ACCESS_KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_REGION', undefined);
  vi.stubEnv('AWS_DEFAULT_REGION', undefined);
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('regionOf', () => {
  it('reads the region from an API Gateway URL', () => {
    expect(regionOf(API, {})).toBe('eu-west-1');
    expect(regionOf('https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod', {})).toBe('cn-north-1');
  });

  it("falls back to the environment's region for a custom domain", () => {
    expect(regionOf('https://deploy.example.com/', { AWS_REGION: 'us-east-2' })).toBe('us-east-2');
    expect(regionOf('https://deploy.example.com/', { AWS_DEFAULT_REGION: 'ap-south-1' })).toBe('ap-south-1');
  });

  it('prefers the region in the URL to the environment’s', () => {
    expect(regionOf(API, { AWS_REGION: 'us-east-2' })).toBe('eu-west-1');
  });

  it('asks for --region or AWS_REGION when neither the URL nor the environment tells the region', () => {
    expect(() => regionOf('https://deploy.example.com/', {})).toThrow(UsageError);
    expect(() => regionOf('https://deploy.example.com/', {})).toThrow(
      '--api https://deploy.example.com/: cannot tell its region; pass --region or set AWS_REGION',
    );
  });
});

describe('awsApiClient', () => {
  it('refuses an API that is not https, which would send signed requests in the clear', () => {
    expect(() => awsApiClient('http://abc123.execute-api.eu-west-1.amazonaws.com/prod')).toThrow(
      "--api must be an https URL, got 'http://abc123.execute-api.eu-west-1.amazonaws.com/prod'",
    );
  });

  it('refuses something that is not a URL', () => {
    expect(() => awsApiClient('abc123')).toThrow(UsageError);
    expect(() => awsApiClient('abc123')).toThrow("--api must be the API's URL");
  });

  it('signs every request with SigV4 for execute-api in the region of the API', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    const sent = answerWith(200, { deploymentId: 'dep-1' });
    const api = awsApiClient(`${API}/`);

    const answer = await api.request(
      'POST',
      '/deployments',
      { service: 'shop' },
      { 'idempotency-key': 'k-1' },
    );

    expect(answer).toEqual({ deploymentId: 'dep-1' });
    expect(api).toMatchObject({ url: API, local: false });
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request).toMatchObject({
      url: `${API}/deployments`,
      method: 'POST',
      body: JSON.stringify({ service: 'shop' }),
    });
    expect(request?.headers['x-amz-date']).toBe('20260301T100000Z');
    expect(request?.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20260301/eu-west-1/execute-api/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[a-f0-9]{64}$`,
      ),
    );
    const signed = /SignedHeaders=([^,]+)/.exec(request?.headers.authorization ?? '')?.[1]?.split(';');
    expect(signed).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'content-type', 'idempotency-key']));
  });

  it('turns an error answer into an ApiError with its status and code', async () => {
    answerWith(409, { error: 'Conflict', message: 'deployment dep-1 has already ended' });
    const asking = awsApiClient(API).request('POST', '/deployments/dep-1/abort', {});
    await expect(asking).rejects.toThrow(ApiError);
    await expect(asking).rejects.toMatchObject({
      status: 409,
      code: 'Conflict',
      message: '409 Conflict: deployment dep-1 has already ended',
    });
  });

  it('reports an API Gateway refusal, which says Message, with its message', async () => {
    answerWith(403, { Message: 'User is not authorized to access this resource' });
    await expect(awsApiClient(API).request('GET', '/deployments?service=shop')).rejects.toMatchObject({
      status: 403,
      code: 'Error',
      message: '403 Error: User is not authorized to access this resource',
    });
  });
});

describe('awsApiClient with --profile and --region', () => {
  /** A shared config and credentials file pair, as 'aws configure --profile ci' writes them. */
  function awsFiles(): void {
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-aws-'));
    writeFileSync(
      join(dir, 'credentials'),
      '[ci]\naws_access_key_id = AKIDPROFILECI\naws_secret_access_key = c2VjcmV0LWtleS1vZi10aGUtY2ktcHJvZmlsZQ\n',
    );
    writeFileSync(join(dir, 'config'), '[profile ci]\nregion = eu-central-1\n');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
  }

  it("signs with the named profile's keys, not the environment's, for the region given", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    awsFiles();
    const sent = answerWith(200, {});

    await awsApiClient(API, { profile: 'ci', region: 'us-west-2' }).request('GET', '/services');

    expect(sent[0]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDPROFILECI\/20260301\/us-west-2\/execute-api\/aws4_request, /,
    );
  });

  it('says in one line how to give credentials when the chain finds none', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(tmpdir(), 'stepwise-no-such-credentials'));
    vi.stubEnv('AWS_CONFIG_FILE', join(tmpdir(), 'stepwise-no-such-config'));
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', undefined);
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', undefined);
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', undefined);
    const sent = answerWith(200, {});

    const asking = awsApiClient(API, { profile: 'nope' }).request('GET', '/services');

    await expect(asking).rejects.toThrow(CredentialsError);
    const { message } = (await asking.catch((e: Error) => e)) as Error;
    expect(message).toMatch(
      new RegExp(`^no AWS credentials to sign requests to ${API} with profile nope \\(`),
    );
    expect(message).toContain('--profile NAME or AWS_PROFILE');
    expect(message).not.toContain('\n');
    expect(sent).toHaveLength(0);
  });

  it('refuses a region that is not one, and a profile name with spaces', () => {
    expect(() => awsApiClient(API, { region: 'Ireland' })).toThrow(
      "--region must be an AWS region such as eu-west-1, got 'Ireland'",
    );
    expect(() => awsApiClient(API, { profile: 'my profile' })).toThrow(
      "--profile must be a profile name from your AWS config, got 'my profile'",
    );
  });
});

describe('localServer', () => {
  const stateDir = (server?: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-api-client-'));
    if (server !== undefined) writeFileSync(join(dir, 'server.json'), JSON.stringify(server));
    return dir;
  };

  it('finds no server in a state folder without a server.json', () => {
    expect(localServer(stateDir())).toBeUndefined();
  });

  it('finds no server when the process that wrote server.json is gone', () => {
    const { pid } = spawnSync(process.execPath, ['-e', '']);
    expect(localServer(stateDir({ url: 'http://127.0.0.1:4810', pid }))).toBeUndefined();
  });

  it('finds no server in an unreadable server.json', () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'server.json'), '{ not json');
    expect(localServer(dir)).toBeUndefined();
  });

  it('talks to a running server without signing', async () => {
    const sent = answerWith(200, { items: [] });
    const api = localServer(stateDir({ url: 'http://127.0.0.1:4810/', pid: process.pid }));
    expect(api).toMatchObject({ url: 'http://127.0.0.1:4810', local: true });

    expect(await api?.request('GET', '/deployments?service=shop')).toEqual({ items: [] });
    expect(sent[0]?.url).toBe('http://127.0.0.1:4810/deployments?service=shop');
    expect(sent[0]?.headers).not.toHaveProperty('authorization');
  });
});
