import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/dynamodb/dynamodb-store.ts';
import { makeProviderFactory } from '../../lambdas/adapters/traffic/providers.ts';
import { SimulatedTrafficProvider } from '../../lambdas/adapters/traffic/simulated/simulated-provider.ts';
import { NotReadyYetError } from '../../lambdas/domain/errors.ts';
import type { Hook, HookContext, HookResult } from '../../lambdas/domain/hooks.ts';
import type { StepKind } from '../../lambdas/domain/steps.ts';
import type {
  AuditEventInput,
  DeploymentRequest,
  DeploymentSummary,
  ServiceConfig,
  TaskState,
} from '../../lambdas/domain/types.ts';
import type { TaskDeps } from '../../lambdas/handlers/deps.ts';
import { makeNextStepHandler } from '../../lambdas/handlers/next-step.ts';
import { makePrepareCandidateHandler } from '../../lambdas/handlers/prepare-candidate.ts';
import { makeStartDeploymentHandler } from '../../lambdas/handlers/start-deployment.ts';
import type { AlarmSource } from '../../lambdas/ports/alarms.ts';
import type { Clock } from '../../lambdas/ports/clock.ts';
import type { HookRunner } from '../../lambdas/ports/hooks.ts';
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

/** A canary plan as users write it: one `{ weight, bakeSeconds }` step per weight, baking 300 s each. */
export const canaryPlan = (...weights: number[]) => ({
  steps: weights.map((weight) => ({ weight, bakeSeconds: 300 })),
});

export function serviceConfig(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    service: 'shop',
    environment: 'prod',
    provider: 'simulated',
    alarms: ['shop-error-rate'],
    insufficientData: 'healthy',
    strategy: 'canary',
    plan: canaryPlan(10, 50, 100),
    ...overrides,
  };
}

export function deploymentRequest(overrides: Partial<DeploymentRequest> = {}): DeploymentRequest {
  return {
    deploymentId: 'dep-1',
    service: 'shop',
    artifact: { image: 'shop:2.0' },
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

/** An alarm source for handlers that must not watch alarms: pre-flight finds every alarm in place and OK. */
export const noAlarms: AlarmSource = {
  observe: () => Promise.reject(new Error('this task does not read alarms')),
  describe: async (names) => names.map((name) => ({ name, exists: true, actionsEnabled: true, state: 'OK' })),
};

/** A hook runner for handlers that must not run hooks. */
export const noHooks: HookRunner = {
  run: () => Promise.reject(new Error('this task does not run hooks')),
};

/** A hook runner that answers from a script, one result per attempt, and remembers what it ran. */
export class ScriptedHookRunner implements HookRunner {
  readonly runs: { hook: Hook; context: HookContext }[] = [];
  private readonly results: boolean[];

  /** `results[i]` is whether attempt i + 1 passes; attempts past the script repeat the last. */
  constructor(...results: boolean[]) {
    this.results = results;
  }

  async run(hook: Hook, context: HookContext): Promise<HookResult> {
    this.runs.push({ hook, context });
    const passed = this.results[Math.min(this.runs.length, this.results.length) - 1] ?? true;
    return { passed, detail: passed ? 'answered 200' : 'answered 503, expected 200', durationMs: 5 };
  }
}

export function taskDeps(
  store: Store,
  clock: Clock = fixedClock(),
  alarms: AlarmSource = noAlarms,
  hooks: HookRunner = noHooks,
): TaskDeps {
  return { store, clock, alarms, hooks, providers: makeProviderFactory({ store, clock }) };
}

/** A task handler as Lambda calls it: the middy handler with an event and a context. */
/**
 * A provider whose `method` answers not yet (`Stepwise.NotReadyYet`, ECS still replacing tasks)
 * for its first `reads` calls, then does what the simulated provider does.
 */
export class SlowToSettle extends SimulatedTrafficProvider {
  calls = 0;
  private readonly method: 'setWeights' | 'promote' | 'rollback';
  private readonly reads: number;
  constructor(deps: TaskDeps, method: 'setWeights' | 'promote' | 'rollback', reads: number) {
    super(deps.store, deps.clock);
    this.method = method;
    this.reads = reads;
  }
  private notYet() {
    this.calls += 1;
    if (this.calls <= this.reads) throw new NotReadyYetError(`ECS is replacing tasks (${this.calls})`);
  }
  override async setWeights(...args: Parameters<SimulatedTrafficProvider['setWeights']>) {
    if (this.method === 'setWeights') this.notYet();
    return super.setWeights(...args);
  }
  override async promote(...args: Parameters<SimulatedTrafficProvider['promote']>) {
    if (this.method === 'promote') this.notYet();
    return super.promote(...args);
  }
  override async rollback(...args: Parameters<SimulatedTrafficProvider['rollback']>) {
    if (this.method === 'rollback') this.notYet();
    return super.rollback(...args);
  }
}

export type Invocable = (event: unknown, context: Context) => Promise<unknown>;

export function invoke(handler: Invocable, event: unknown): Promise<TaskState> {
  return handler(event, lambdaContext()) as Promise<TaskState>;
}

/**
 * Registers a service and runs Start deployment and Prepare candidate for it, as the state
 * machine would: the state that the first Next step receives.
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

/** Runs Next step once, as the state machine does after every step. */
export function nextStep(deps: TaskDeps, state: TaskState): Promise<TaskState> {
  return invoke(makeNextStepHandler(deps, silentLogger()), state);
}

/**
 * Runs Next step until the current step is of `kind` (skipping the steps in between without
 * running them), as a state machine would reach it: the state that kind's task receives.
 */
export async function stepTo(deps: TaskDeps, state: TaskState, kind: StepKind | 'done'): Promise<TaskState> {
  let next = state;
  do {
    next = await nextStep(deps, next);
    if (next.progress.step?.kind === 'done' && kind !== 'done') {
      throw new Error(`the plan has no further ${kind} step`);
    }
  } while (next.progress.step?.kind !== kind);
  return next;
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
  getServiceStatuses = () => this.unused();
  setLiveVersion = () => this.unused();
  acquireLock = () => this.unused();
  releaseLock = () => this.unused();
  createDeployment = () => this.unused();
  updateDeployment = () => this.unused();
  getDeployment = () => this.unused();
  listDeployments = () => this.unused();
  listOpenDeployments = () => this.unused();
  pageDeployments = () => this.unused();
  getLock = () => this.unused();
  listBakes = () => this.unused();
  getBake = () => this.unused();
  listServiceConfigs = () => this.unused();
  requestDeployment = () => this.unused();
  listQueue = () => this.unused();
  enqueue = () => this.unused();
  dequeue = () => this.unused();
  findByDigest = () => this.unused();
  claimDigest = () => this.unused();
  clearPendingApproval = () => this.unused();
  requestControl = () => this.unused();
  appendAuditEvent = () => this.unused();
  listAuditEvents = () => this.unused();
}
