import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { makeApiHandler } from '../lambdas/api/handler.ts';
import { HttpError, json, MAX_BODY_BYTES, toHttpError } from '../lambdas/api/http.ts';
import type { LocalControlPlane } from './control-plane.ts';
import { asFunction } from './function-scope.ts';
import { localLambdaContext } from './lambda-context.ts';

/** The path the local server takes EventBridge events on (`stepwise events put`, `stepwise push`); not part of the AWS API. */
export const LOCAL_EVENTS_PATH = '/_local/events';

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/** Reads a body, refusing it past the API's limit without reading the rest. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'PayloadTooLarge', `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Methods a browser may send cross-site without asking first: they may read, never change anything. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a request cannot come from this machine's own client, or undefined when it can. A web page
 * the developer visits can send a "simple" cross-site POST (text/plain, a form) to loopback, and a
 * DNS-rebound name can read the answers: so a change needs `Content-Type: application/json` (a
 * browser sends that cross-site only after a CORS preflight, which this server never grants), the
 * `Host` must name this server's loopback address (a rebound name does not), and an `Origin`, when
 * present, must be this server's.
 */
export function crossSiteRefusal(
  req: { method?: string; url?: string; headers: IncomingMessage['headers'] },
  hosts: readonly string[],
): string | undefined {
  const what = `${req.method ?? 'GET'} ${new URL(req.url ?? '/', 'http://local').pathname}`;
  const host = req.headers.host;
  if (host === undefined || !hosts.includes(host.toLowerCase())) {
    return `${what}: Host ${host === undefined ? '(none)' : `'${host}'`} is not this server (${hosts[0]}); the local server answers only requests addressed to its loopback address`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.some((h) => origin.toLowerCase() === `http://${h}`)) {
    return `${what}: Origin '${origin}' is not this server (http://${hosts[0]}); the local server takes no cross-site requests`;
  }
  if (!SAFE_METHODS.has(req.method ?? 'GET')) {
    const type = req.headers['content-type'];
    const media = type?.split(';')[0]?.trim().toLowerCase();
    if (media !== 'application/json') {
      return `${what} needs Content-Type: application/json, got ${type === undefined ? 'none' : `'${type}'`}; the local server takes no form or text posts, which any web page could send`;
    }
  }
  return undefined;
}

/** The `Host` values that name a server listening on `host:port`: the address, and `localhost` for loopback. */
export function loopbackHosts(host: string, port: number): string[] {
  const names = [host.includes(':') ? `[${host}]` : host];
  if (host === '127.0.0.1' || host === '::1') names.push('localhost');
  return names.map((name) => `${name}:${port}`.toLowerCase());
}

/** An HTTP request as API Gateway's REST proxy integration hands it to Lambda, signed by `principal`. */
export function toApiEvent(
  req: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
  body: string,
  principal: string,
): APIGatewayProxyEvent {
  const url = new URL(req.url, 'http://local');
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
  const query = Object.fromEntries(url.searchParams);
  return {
    httpMethod: req.method,
    path: url.pathname,
    resource: url.pathname,
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    // As API Gateway gives them: every value of a repeated parameter (the API refuses repeats).
    multiValueQueryStringParameters:
      Object.keys(query).length > 0
        ? Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)]))
        : null,
    pathParameters: null,
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      httpMethod: req.method,
      path: url.pathname,
      protocol: 'HTTP/1.1',
      requestId: randomBytes(8).toString('hex'),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: url.pathname,
      stage: 'local',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: principal,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: principal,
        userAgent: headers['user-agent'] ?? null,
        userArn: principal,
      },
    },
  };
}

/**
 * `stepwise serve`: the Stepwise API on 127.0.0.1, answered by the same handler as on AWS over the
 * local control plane. Requests are made by the local user (`principal`), as IAM auth would name
 * the caller. Also takes EventBridge events on `/_local/events`, through the same dispatch code
 * as the ECR push rule.
 */
export async function startLocalServer(
  plane: LocalControlPlane,
  options: { port?: number; host?: string; principal: string; pollMs?: number },
): Promise<LocalServer> {
  const api = makeApiHandler(plane.deps, {
    idempotency: { client: plane.runtime.client, tableName: plane.runtime.tableName },
    pollMs: options.pollMs ?? 100,
  });
  const respond = (
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, unknown> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
  let hosts: string[] = [];
  // Requests being answered: closing waits for them, so that none reads the store after it closed.
  const answering = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    const answer = (async () => {
      try {
        const refusal = crossSiteRefusal(req, hosts);
        if (refusal) throw new HttpError(403, 'Forbidden', refusal);
        const body = await readBody(req);
        if (req.method === 'POST' && req.url === LOCAL_EVENTS_PATH) {
          let event: unknown;
          try {
            event = JSON.parse(body);
          } catch {
            throw new HttpError(400, 'InvalidJson', 'the body is not JSON');
          }
          const result = await plane.dispatch(event);
          respond(res, 200, JSON.stringify(result));
          return;
        }
        const event = toApiEvent(
          { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
          body,
          options.principal,
        );
        const result = await asFunction('control:api', () =>
          api(event, localLambdaContext('stepwise-local-api', 30_000)),
        );
        respond(res, result.statusCode, result.body, result.headers);
      } catch (error) {
        const http = toHttpError(error);
        const result = json(http.status, { error: http.code, message: http.message });
        respond(res, result.statusCode, result.body, result.headers);
      }
    })();
    answering.add(answer);
    void answer.finally(() => answering.delete(answer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  hosts = loopbackHosts(options.host ?? '127.0.0.1', port);
  const url = `http://${hosts[0]}`;
  return {
    url,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.allSettled([...answering]);
    },
  };
}
