import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { UsageError } from './errors.ts';

/** An error answer from the API: its status and `{ error, message }`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

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

function client(base: string, local: boolean, sign?: Sign): ApiClient {
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
          ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(text !== undefined ? { body: text } : {}),
      });
      if (sign) request = await sign(request);
      let response: Response;
      try {
        response = await fetch(target, { method, headers: request.headers, body: text });
      } catch (error) {
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
  if (!region) throw new UsageError(`--api ${url}: cannot tell its region; set AWS_REGION`);
  return region;
}

/** A deployed Stepwise API, every request signed with SigV4 from the standard AWS credential chain. */
export function awsApiClient(url: string): ApiClient {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--api must be the API's URL (the ApiUrl stack output), got '${url}'`);
  }
  if (parsed.protocol !== 'https:') throw new UsageError(`--api must be an https URL, got '${url}'`);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: regionOf(url),
    credentials: fromNodeProviderChain(),
    sha256: Sha256,
  });
  return client(url, false, (request) => signer.sign(request) as Promise<HttpRequest>);
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
export function localServer(stateDir: string | undefined): ApiClient | undefined {
  const file = serverFilePath(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    const { url, pid } = JSON.parse(readFileSync(file, 'utf8')) as ServerFile;
    return alive(pid) ? client(url, true) : undefined;
  } catch {
    return undefined;
  }
}

/** `--api URL` if given, else the local server if one runs; undefined means: work in-process. */
export function connect(options: { api?: string; stateDir?: string }): ApiClient | undefined {
  if (options.api) return awsApiClient(options.api);
  return localServer(options.stateDir);
}
