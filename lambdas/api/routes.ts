import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ControlDeps } from '../control/deps.ts';
import { submitDeployment } from '../control/launcher.ts';
import {
  abortDeployment,
  decideApproval,
  getDeployment,
  promoteDeployment,
  rollbackService,
  viewDeployment,
} from '../control/operations.ts';
import { verifyChain } from '../domain/audit.ts';
import { InvalidInputError, ServiceNotFoundError } from '../domain/errors.ts';
import { runPreflight } from '../domain/preflight.ts';
import { IMAGE_DIGEST_PATTERN, SERVICE_NAME_PATTERN, shown } from '../domain/schemas.ts';
import { type DeploymentStatus, type DeploymentSummary, ENDED_STATUSES } from '../domain/types.ts';
import { API_ROUTES, type RouteKey } from './api-routes.ts';
import { bodyOf, HttpError, json } from './http.ts';
import { parseApprove, parseCreateDeployment, parseReason, parseRollback } from './schemas.ts';

export interface ApiOptions {
  /** Longest `?wait=` a GET may hold the connection (API Gateway cuts integrations at 29 s). @default 25 */
  maxWaitSeconds?: number;
  /** How often a long poll re-reads the deployment. @default 1000 */
  pollMs?: number;
  /** `<account>.dkr.ecr.<region>.amazonaws.com`: makes a digest-only request an image URI. @default none */
  registryHost?: string;
}

/** What a route gets: the request, already split, and who is calling. */
export interface RouteRequest {
  event: APIGatewayProxyEvent;
  params: Record<string, string>;
  query: Record<string, string>;
  principal: string;
  /** The Idempotency-Key header, if any: it also names a new deployment. */
  idempotencyKey?: string;
}

export type RouteHandler = (
  deps: ControlDeps,
  request: RouteRequest,
  options: ApiOptions,
) => Promise<APIGatewayProxyResult>;

const STATUSES: DeploymentStatus[] = [
  'QUEUED',
  'IN_PROGRESS',
  'SUCCEEDED',
  'ROLLED_BACK',
  'FAILED',
  'CANCELLED',
];

function intParam(
  query: Record<string, string>,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new HttpError(
      400,
      'InvalidRequest',
      `query ${name} must be an integer from ${min} to ${max}, got ${shown(raw)}`,
    );
  }
  return value;
}

function statusParam(query: Record<string, string>): DeploymentStatus | undefined {
  const status = query.status;
  if (status === undefined) return undefined;
  if (!STATUSES.includes(status as DeploymentStatus)) {
    throw new HttpError(
      400,
      'InvalidRequest',
      `query status must be one of ${STATUSES.join(', ')}, got ${shown(status)}`,
    );
  }
  return status as DeploymentStatus;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const createDeployment: RouteHandler = async (deps, req, options) => {
  const body = parseCreateDeployment(bodyOf(req.event));
  const config = await deps.store.getServiceConfig(body.service);
  if (!config) throw new ServiceNotFoundError(`service ${body.service} is not registered`);
  let image = body.image;
  if (!image) {
    const repository = config.trigger?.repository;
    if (!repository) {
      throw new HttpError(
        400,
        'InvalidRequest',
        `body.image is required: service ${body.service} names no repository to find digest ${body.digest} in`,
      );
    }
    image = `${options.registryHost ? `${options.registryHost}/` : ''}${repository}@${body.digest}`;
  }
  // Pre-flight now as well as when it starts, so that the caller hears at once and nothing is recorded.
  await runPreflight(deps.alarms, config, {
    ...(body.allowFiringAlarms ? { allowFiringAlarms: true } : {}),
    principal: req.principal,
  });
  const { deployment, duplicate } = await submitDeployment(deps, {
    service: body.service,
    artifact: { image, ...(body.digest ? { digest: body.digest } : {}) },
    ...(body.strategy ? { strategy: body.strategy } : {}),
    ...(body.plan !== undefined ? { plan: body.plan } : {}),
    ...(body.gate ? { gate: body.gate } : {}),
    ...(body.reason ? { reason: body.reason } : {}),
    ...(body.commitSha ? { commitSha: body.commitSha } : {}),
    ...(body.allowFiringAlarms ? { allowFiringAlarms: true } : {}),
    trigger: { source: 'api', principal: req.principal },
    unique: req.idempotencyKey ? `key:${req.principal}:${req.idempotencyKey}` : `api:${crypto.randomUUID()}`,
  });
  const view = await viewDeployment(deps, deployment);
  return json(duplicate ? 200 : 202, view, { location: `/deployments/${deployment.deploymentId}` });
};

const readDeployment: RouteHandler = async (deps, req, options) => {
  const max = options.maxWaitSeconds ?? 25;
  const wait = intParam(req.query, 'wait', 0, max, 0);
  const deadline = Date.now() + wait * 1000;
  let summary = await getDeployment(deps, req.params.id as string);
  while (!ENDED_STATUSES.includes(summary.status) && Date.now() < deadline) {
    await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, deadline - Date.now())));
    summary = await getDeployment(deps, summary.deploymentId);
  }
  return json(200, await viewDeployment(deps, summary));
};

const listDeployments: RouteHandler = async (deps, req) => {
  const { service, digest, cursor } = req.query;
  if (service !== undefined && !new RegExp(SERVICE_NAME_PATTERN).test(service)) {
    throw new HttpError(
      400,
      'InvalidRequest',
      `query service must be a service name (lowercase letters, digits, dashes; at most 63), got ${shown(service)}`,
    );
  }
  const status = statusParam(req.query);
  const limit = intParam(req.query, 'limit', 1, 100, 20);
  let items: DeploymentSummary[];
  let next: string | undefined;
  if (digest) {
    if (!new RegExp(IMAGE_DIGEST_PATTERN).test(digest)) {
      throw new HttpError(
        400,
        'InvalidRequest',
        `query digest must be sha256:<64 hex>, got ${shown(digest)}`,
      );
    }
    const ids = await deps.store.findByDigest(digest);
    const found = await Promise.all(ids.map((id) => deps.store.getDeployment(id)));
    items = found.filter(
      (d): d is DeploymentSummary => d !== undefined && (!service || d.service === service),
    );
  } else if (service) {
    const page = await deps.store.pageDeployments(service, limit, cursor).catch((error: unknown) => {
      if (error instanceof InvalidInputError)
        throw new HttpError(400, 'InvalidRequest', `query ${error.message}`);
      throw error;
    });
    items = page.items;
    next = page.cursor;
  } else {
    throw new HttpError(400, 'InvalidRequest', 'query service or digest is required');
  }
  const filtered = status ? items.filter((d) => d.status === status) : items;
  const views = await Promise.all(filtered.map((d) => viewDeployment(deps, d)));
  return json(200, { deployments: views, ...(next ? { cursor: next } : {}) });
};

const approve: RouteHandler = async (deps, req) => {
  const body = parseApprove(bodyOf(req.event));
  const summary = await decideApproval(deps, req.params.id as string, {
    approved: body.approved ?? true,
    by: req.principal,
    ...(body.reason ? { reason: body.reason } : {}),
  });
  return json(200, await viewDeployment(deps, summary));
};

const resume: RouteHandler = async (deps, req) => {
  const body = parseReason(bodyOf(req.event));
  const summary = await decideApproval(deps, req.params.id as string, {
    approved: true,
    by: req.principal,
    via: 'resume',
    ...(body.reason ? { reason: body.reason } : {}),
  });
  return json(200, await viewDeployment(deps, summary));
};

const abort: RouteHandler = async (deps, req) => {
  const body = parseReason(bodyOf(req.event));
  const summary = await abortDeployment(deps, req.params.id as string, req.principal, body.reason);
  return json(202, await viewDeployment(deps, summary));
};

const promote: RouteHandler = async (deps, req) => {
  parseReason(bodyOf(req.event));
  const summary = await promoteDeployment(deps, req.params.id as string, req.principal);
  return json(202, await viewDeployment(deps, summary));
};

/** The audit trail, in order, with the verdict of its hash chain: edited or deleted events show as a broken link. */
const readAudit: RouteHandler = async (deps, req) => {
  const summary = await getDeployment(deps, req.params.id as string);
  const events = await deps.store.listAuditEvents(summary.deploymentId);
  return json(200, { deploymentId: summary.deploymentId, chain: verifyChain(events), events });
};

const listServices: RouteHandler = async (deps) => {
  const configs = await deps.store.listServiceConfigs();
  const statuses = await deps.store.getServiceStatuses(configs.map((c) => c.service));
  const services = configs.map((config) => ({
    name: config.service,
    environment: config.environment,
    strategy: config.strategy,
    provider: config.provider,
    liveVersion: statuses.get(config.service)?.liveVersion ?? null,
  }));
  return json(200, { services: services.sort((a, b) => a.name.localeCompare(b.name)) });
};

const readService: RouteHandler = async (deps, req) => {
  const name = req.params.name as string;
  const config = await deps.store.getServiceConfig(name);
  if (!config) throw new ServiceNotFoundError(`service ${name} is not registered`);
  const [status, lock, queue] = await Promise.all([
    deps.store.getServiceStatus(name),
    deps.store.getLock(name),
    deps.store.listQueue(name),
  ]);
  const held = lock && lock.expiresAt > Math.floor(deps.clock.now().getTime() / 1000);
  return json(200, {
    name,
    config,
    liveVersion: status?.liveVersion ?? null,
    currentDeployment: held ? lock.holder : null,
    queued: queue.map((q) => q.deploymentId),
  });
};

const serviceHistory: RouteHandler = async (deps, req) => {
  const name = req.params.name as string;
  if (!(await deps.store.getServiceConfig(name)))
    throw new ServiceNotFoundError(`service ${name} is not registered`);
  return listDeployments(deps, { ...req, query: { ...req.query, service: name } }, {});
};

const rollback: RouteHandler = async (deps, req) => {
  const body = parseRollback(bodyOf(req.event));
  const { deployment, duplicate } = await rollbackService(deps, req.params.name as string, {
    ...(body.version ? { version: body.version } : {}),
    ...(body.reason ? { reason: body.reason } : {}),
    trigger: { source: 'api', principal: req.principal },
    unique: req.idempotencyKey ? `key:${req.principal}:${req.idempotencyKey}` : `api:${crypto.randomUUID()}`,
  });
  return json(duplicate ? 200 : 202, await viewDeployment(deps, deployment), {
    location: `/deployments/${deployment.deploymentId}`,
  });
};

/** Each route's handler, by method and path: a route without one does not compile. */
const HANDLERS: Record<RouteKey, RouteHandler> = {
  'POST /deployments': createDeployment,
  'GET /deployments': listDeployments,
  'GET /deployments/{id}': readDeployment,
  'GET /deployments/{id}/audit': readAudit,
  'POST /deployments/{id}/approve': approve,
  'POST /deployments/{id}/abort': abort,
  'POST /deployments/{id}/promote': promote,
  'POST /deployments/{id}/resume': resume,
  'GET /services': listServices,
  'GET /services/{name}': readService,
  'GET /services/{name}/deployments': serviceHistory,
  'POST /services/{name}/rollback': rollback,
};

/** The query parameters each route reads; any other is refused (400) before any read. */
const QUERY_PARAMETERS: Record<RouteKey, readonly string[]> = {
  'POST /deployments': [],
  'GET /deployments': ['service', 'digest', 'status', 'limit', 'cursor'],
  'GET /deployments/{id}': ['wait'],
  'GET /deployments/{id}/audit': [],
  'POST /deployments/{id}/approve': [],
  'POST /deployments/{id}/abort': [],
  'POST /deployments/{id}/promote': [],
  'POST /deployments/{id}/resume': [],
  'GET /services': [],
  'GET /services/{name}': [],
  'GET /services/{name}/deployments': ['digest', 'status', 'limit', 'cursor'],
  'POST /services/{name}/rollback': [],
};

export const ROUTES = API_ROUTES.map((route) => {
  const key = `${route.method} ${route.path}` as RouteKey;
  return { ...route, handler: HANDLERS[key], query: QUERY_PARAMETERS[key] };
});
