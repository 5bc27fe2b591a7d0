import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/dynamodb/dynamodb-store.ts';
import { makeProviderFactory } from '../../lambdas/adapters/traffic/providers.ts';
import type {
  AuditEventInput,
  DeploymentRequest,
  DeploymentSummary,
  Plan,
  ServiceConfig,
  TaskState,
} from '../../lambdas/domain/types.ts';
import type { TaskDeps } from '../../lambdas/handlers/deps.ts';
import { makePrepareCandidateHandler } from '../../lambdas/handlers/prepare-candidate.ts';
import { makeStartDeploymentHandler } from '../../lambdas/handlers/start-deployment.ts';
import type { AlarmSource } from '../../lambdas/ports/alarms.ts';
import type { Clock } from '../../lambdas/ports/clock.ts';
import type { RouteRecord, Store } from '../../lambdas/ports/store.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb-server.ts';

/** Shared fixtures for the unit tests: small builders with sensible defaults, overridable per test. */

export const T0 = new Date('2026-03-01T10:00:00.000Z');

export function fixedClock(at: Date = T0): Clock {
  return { now: () => new Date(at.getTime()) };
}

/** Names that do not collide between tests sharing one dynalite. */
let counter = 0;
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export const silentLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'stepwise-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:stepwise-test',
    memoryLimitInMB: '256',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/stepwise-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export const plan = (...weights: number[]): Plan => ({
  steps: weights.map((weight) => ({ weight, bakeSeconds: 300 })),
});

export function serviceConfig(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    service: 'shop',
    environment: 'prod',
    provider: 'simulated',
    alarms: ['shop-error-rate'],
    insufficientData: 'healthy',
    plan: plan(10, 50, 100),
    ...overrides,
  };
}

export function deploymentRequest(overrides: Partial<DeploymentRequest> = {}): DeploymentRequest {
  return {
    deploymentId: 'dep-1',
    service: 'shop',
    artifact: { image: 'shop:2.0' },
    strategy: 'canary',
    trigger: { source: 'cli', principal: 'tester@ci' },
    ...overrides,
  };
}

export function auditInput(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type: 'TrafficShifted',
    key: 'step-1#shifted',
    at: T0.toISOString(),
    environment: 'prod',
    service: 'shop',
    version: 'shop:2.0',
    trigger: { source: 'cli', principal: 'tester@ci' },
    rollback: false,
    status: 'IN_PROGRESS',
    detail: { step: 1, weights: { 'shop:1.0': 90, 'shop:2.0': 10 } },
    ...overrides,
  };
}

export function deploymentSummary(overrides: Partial<DeploymentSummary> = {}): DeploymentSummary {
  return {
    deploymentId: 'dep-1',
    service: 'shop',
    environment: 'prod',
    strategy: 'canary',
    artifact: { image: 'shop:2.0' },
    stableVersion: 'shop:1.0',
    candidateVersion: 'shop:2.0',
    status: 'IN_PROGRESS',
    currentStep: 0,
    stepCount: 3,
    weights: { 'shop:1.0': 100 },
    trigger: { source: 'cli', principal: 'tester@ci' },
    startedAt: T0.toISOString(),
    ...overrides,
  };
}

/** An alarm source for handlers that must not read alarms. */
export const noAlarms: AlarmSource = {
  observe: () => Promise.reject(new Error('this task does not read alarms')),
};

export function taskDeps(
  store: Store,
  clock: Clock = fixedClock(),
  alarms: AlarmSource = noAlarms,
): TaskDeps {
  return { store, clock, alarms, providers: makeProviderFactory({ store, clock }) };
}

/** A task handler as Lambda calls it: the middy handler with an event and a context. */
export type Invocable = (event: unknown, context: Context) => Promise<unknown>;

export function invoke(handler: Invocable, event: unknown): Promise<TaskState> {
  return handler(event, lambdaContext()) as Promise<TaskState>;
}

/**
 * Registers a service and runs Start deployment and Prepare candidate for it, as the state
 * machine would: the state that the first Shift traffic receives.
 */
export async function preparedDeployment(
  deps: TaskDeps,
  request: Partial<DeploymentRequest> & { service: string; deploymentId: string },
  config: Partial<ServiceConfig> = {},
): Promise<TaskState> {
  await deps.store.putServiceConfig(serviceConfig({ ...config, service: request.service }));
  const started = await invoke(makeStartDeploymentHandler(deps, silentLogger()), deploymentRequest(request));
  return invoke(makePrepareCandidateHandler(deps, silentLogger()), started);
}

/**
 * An in-memory dynalite for the whole file: `db()` and `store()` are ready inside tests, and the
 * server closes after the last one.
 */
export function useLocalDynamoDb(): { db: () => LocalDynamoDb; store: () => DynamoDbStore } {
  let db: LocalDynamoDb | undefined;
  let store: DynamoDbStore | undefined;
  beforeAll(async () => {
    db = await startLocalDynamoDb();
    store = new DynamoDbStore(db.client, db.tableName);
  });
  afterAll(async () => {
    await db?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('dynalite is not started: call inside a test');
    return value;
  };
  return { db: () => ready(db), store: () => ready(store) };
}

/**
 * A Store that keeps only routes, in memory, and records every write: enough for a traffic
 * provider, and it fails loudly if anything else is used.
 */
export class RoutesOnlyStore implements Store {
  readonly writes: RouteRecord[] = [];
  private readonly routes = new Map<string, RouteRecord>();

  async getRoutes(service: string): Promise<RouteRecord | undefined> {
    return this.routes.get(service);
  }

  async putRoutes(routes: RouteRecord): Promise<void> {
    this.writes.push(routes);
    this.routes.set(routes.service, routes);
  }

  private unused(): never {
    throw new Error('a traffic provider uses only the routes of the store');
  }

  getServiceConfig = () => this.unused();
  putServiceConfig = () => this.unused();
  getServiceStatus = () => this.unused();
  setLiveVersion = () => this.unused();
  acquireLock = () => this.unused();
  releaseLock = () => this.unused();
  createDeployment = () => this.unused();
  updateDeployment = () => this.unused();
  getDeployment = () => this.unused();
  listDeployments = () => this.unused();
  appendAuditEvent = () => this.unused();
  listAuditEvents = () => this.unused();
}
