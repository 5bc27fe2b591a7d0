import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiError, CredentialsError, UsageError } from './errors.ts';

/** An error answer from the API: its status and `{ error, message }`. */
export interface ApiClient {
  /** Where requests go: the local server or a deployed API stage. */
  readonly url: string;
  readonly local: boolean;
  request<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T>;
}

type Sign = (request: HttpRequest) => Promise<HttpRequest>;

function client(base: string, local: boolean, signal: AbortSignal | undefined, sign?: Sign): ApiClient {
  const url = base.replace(/\/+$/, '');
  return {
    url,
    local,
    async request<T>(
      method: 'GET' | 'POST',
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) {
      const target = new URL(`${url}${path}`);
      const text = body === undefined ? undefined : JSON.stringify(body);
      let request = new HttpRequest({
        method,
        protocol: target.protocol,
        hostname: target.hostname,
        ...(target.port ? { port: Number(target.port) } : {}),
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        headers: {
          host: target.host,
          accept: 'application/json',
          ...(method === 'POST' || text !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(text !== undefined ? { body: text } : {}),
      });
      if (sign) request = await sign(request);
      let response: Response;
      try {
        response = await fetch(target, {
          method,
          headers: request.headers,
          body: text,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new UsageError(`cannot reach ${url}: ${(error as Error).message}`);
      }
      const raw = await response.text();
      let parsed: unknown;
      try {
        parsed = raw === '' ? {} : JSON.parse(raw);
      } catch {
        throw new ApiError(response.status, 'NotJson', raw.slice(0, 200));
      }
      if (!response.ok) {
        const { error, message } = parsed as { error?: string; message?: string; Message?: string };
        throw new ApiError(
          response.status,
          error ?? 'Error',
          message ?? (parsed as { Message?: string }).Message ?? raw,
        );
      }
      return parsed as T;
    },
  };
}

/** The region of an API Gateway URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`), else the environment's. */
export function regionOf(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const host = new URL(url).hostname;
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host);
  const region = match?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError(`--api ${url}: cannot tell its region; pass --region or set AWS_REGION`);
  return region;
}

/** How to reach a deployed API: as the AWS CLI takes them, a profile and a region override. */
export interface AwsApiOptions {
  /** The named profile of the shared config and credentials files (the chain's default otherwise). */
  profile?: string;
  /** The region to sign for, instead of the one in the URL (or the environment's). */
  region?: string;
  /** Aborts requests in flight. */
  signal?: AbortSignal;
}

const QUIET = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** A deployed Stepwise API, every request signed with SigV4 from the standard AWS credential chain. */
export function awsApiClient(url: string, options: AwsApiOptions = {}): ApiClient {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--api must be the API's URL (the ApiUrl stack output), got '${url}'`);
  }
  if (parsed.protocol !== 'https:') throw new UsageError(`--api must be an https URL, got '${url}'`);
  if (options.region !== undefined && !REGION.test(options.region)) {
    throw new UsageError(`--region must be an AWS region such as eu-west-1, got '${options.region}'`);
  }
  if (options.profile !== undefined && !/^[\w.@+-]{1,128}$/.test(options.profile)) {
    throw new UsageError(`--profile must be a profile name from your AWS config, got '${options.profile}'`);
  }
  const region = options.region ?? regionOf(url);
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: fromNodeProviderChain({
      // --profile is an explicit choice, as in the AWS CLI: the SDK's warning that environment
      // keys are also set (and ignored) would only be noise.
      ...(options.profile ? { profile: options.profile, logger: QUIET } : {}),
      // The region of the STS or SSO calls a profile may need (an assumed role, an SSO session).
      ...(options.region ? { clientConfig: { region } } : {}),
    }),
    sha256: Sha256,
  });
  return client(url, false, options.signal, async (request) => {
    try {
      return (await signer.sign(request)) as HttpRequest;
    } catch (error) {
      throw new CredentialsError(url, options.profile, error as Error);
    }
  });
}

/** What `stepwise serve` writes into the state folder so that other commands find it. */
export interface ServerFile {
  url: string;
  pid: number;
}

export function serverFilePath(stateDir: string | undefined): string {
  return resolve(stateDir ?? process.env.STEPWISE_STATE_DIR ?? '.stepwise', 'server.json');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The local server of this state folder, if one is running. */
export function localServer(stateDir: string | undefined, signal?: AbortSignal): ApiClient | undefined {
  const file = serverFilePath(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    const { url, pid } = JSON.parse(readFileSync(file, 'utf8')) as ServerFile;
    return alive(pid) ? client(url, true, signal) : undefined;
  } catch {
    return undefined;
  }
}

/** `--api URL` if given, else the local server if one runs; undefined means: work in-process. */
export function connect(options: { api?: string; stateDir?: string } & AwsApiOptions): ApiClient | undefined {
  if (options.api) return awsApiClient(options.api, options);
  for (const flag of ['profile', 'region'] as const) {
    if (options[flag] !== undefined) {
      throw new UsageError(`--${flag} is for a deployed API: give it with --api URL`);
    }
  }
  return localServer(options.stateDir, options.signal);
}

/** The options of every command that can talk to an API: where it is, and how to sign for it. */
export const API_OPTIONS = {
  api: {
    kind: 'text',
    arg: 'URL',
    help: "a deployed Stepwise API (the stack's ApiUrl output); requests are signed with SigV4 from the standard AWS credential chain",
  },
  profile: {
    kind: 'text',
    arg: 'NAME',
    help: 'with --api: the AWS profile to sign with (default $AWS_PROFILE, else the rest of the chain)',
  },
  region: {
    kind: 'text',
    arg: 'REGION',
    help: "with --api: the region to sign for (default the API URL's, else $AWS_REGION)",
  },
  'state-dir': {
    kind: 'text',
    arg: 'DIR',
    help: "the local state folder; the local server ('npx stepwise serve') of that folder answers when it runs (default .stepwise, or $STEPWISE_STATE_DIR)",
  },
} as const;

/** The API the options name: `--api URL`, else this folder's local server; undefined means neither. */
export function connectWith(
  values: { api?: string; profile?: string; region?: string; 'state-dir'?: string },
  signal: AbortSignal,
): ApiClient | undefined {
  return connect({
    ...(values.api ? { api: values.api } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
    signal,
  });
}
