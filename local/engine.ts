import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { withPartition } from '../lib/strategies/placeholders.ts';

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** Why an execution was stopped (the `error` and `cause` of StopExecution): the abort signal's reason. */
export class StopRequest extends Error {
  readonly error: string;
  readonly stopCause: string;

  constructor(error: string, cause: string) {
    super(`stopped: ${error}: ${cause}`);
    this.name = 'AbortError';
    this.error = error;
    this.stopCause = cause;
  }
}

/** Where the strategies' ASL files live: the same files the CDK stack deploys. */
export function aslPath(strategy: string): string {
  return fileURLToPath(new URL(`../statemachines/${strategy}.asl.json`, import.meta.url));
}

/** A strategy's definition as the local engine runs it: in the `aws` partition. */
export function loadDefinition(strategy: string): StateMachineDefinition {
  return JSON.parse(withPartition(readFileSync(aslPath(strategy), 'utf8'), 'aws')) as StateMachineDefinition;
}

/** The longest timer Node sets (2^31 - 1 ms): the engine's own wall-clock task timeout never fires. */
const WALL_CLOCK_TIMEOUT_SECONDS = 2_147_483;
/** A Task's timeout when its definition names none, as on AWS. */
const DEFAULT_TIMEOUT_SECONDS = 99_999_999;

/** Where the wrapped `Parameters` carry the state's own parameters and its resolved paths (see forLocalEngine). */
const PARAMETERS = 'stepwise:parameters';
const TIMEOUT_SECONDS = 'stepwise:timeoutSeconds';
const HEARTBEAT_SECONDS = 'stepwise:heartbeatSeconds';

interface TaskLimits {
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  timeoutSecondsPath?: string;
  heartbeatSecondsPath?: string;
}

/**
 * The definition as the embedded engine runs it, with task time taken from the engine. The engine
 * times every Task on the wall clock (`setTimeout`), so a loaded machine would time out tasks that
 * took no time of their own; and it resolves `TimeoutSecondsPath` against the input after
 * `Parameters`, where AWS resolves it against the state input. So each Task gets a wall-clock
 * timeout that never fires, its limits are kept in `limits` by state name, and a
 * `TimeoutSecondsPath`/`HeartbeatSecondsPath` becomes a field of a wrapped `Parameters` (evaluated
 * against the state input, as on AWS) that the task override unwraps. The runtime then counts each
 * task's time on the virtual clock (TaskTime). Map and Parallel states are rewritten inside too.
 */
function forLocalEngine(states: States, limits: Map<string, TaskLimits>): States {
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      if (state.Type === 'Map') {
        const inner = state.ItemProcessor ?? state.Iterator;
        if (!inner) return [name, state];
        const rewritten = { ...inner, States: forLocalEngine(inner.States, limits) };
        return [
          name,
          state.ItemProcessor ? { ...state, ItemProcessor: rewritten } : { ...state, Iterator: rewritten },
        ];
      }
      if (state.Type === 'Parallel') {
        const Branches = state.Branches.map((b) => ({ ...b, States: forLocalEngine(b.States, limits) }));
        return [name, { ...state, Branches }];
      }
      if (state.Type !== 'Task') return [name, state];
      const task = state as typeof state & {
        TimeoutSecondsPath?: string;
        HeartbeatSeconds?: number;
        HeartbeatSecondsPath?: string;
        Parameters?: unknown;
      };
      const {
        TimeoutSeconds,
        TimeoutSecondsPath,
        HeartbeatSeconds,
        HeartbeatSecondsPath,
        Parameters,
        ...rest
      } = task;
      limits.set(name, {
        ...(TimeoutSeconds !== undefined ? { timeoutSeconds: TimeoutSeconds } : {}),
        ...(HeartbeatSeconds !== undefined ? { heartbeatSeconds: HeartbeatSeconds } : {}),
        ...(TimeoutSecondsPath ? { timeoutSecondsPath: TimeoutSecondsPath } : {}),
        ...(HeartbeatSecondsPath ? { heartbeatSecondsPath: HeartbeatSecondsPath } : {}),
      });
      const paths = {
        ...(TimeoutSecondsPath ? { [`${TIMEOUT_SECONDS}.$`]: TimeoutSecondsPath } : {}),
        ...(HeartbeatSecondsPath ? { [`${HEARTBEAT_SECONDS}.$`]: HeartbeatSecondsPath } : {}),
      };
      const wrapped =
        Object.keys(paths).length === 0
          ? Parameters
          : {
              ...paths,
              ...(Parameters === undefined ? { [`${PARAMETERS}.$`]: '$' } : { [PARAMETERS]: Parameters }),
            };
      return [
        name,
        {
          ...rest,
          ...(wrapped === undefined ? {} : { Parameters: wrapped }),
          TimeoutSeconds: WALL_CLOCK_TIMEOUT_SECONDS,
        },
      ];
    }),
  ) as States;
}

/** An error the state machine cannot catch or retry, as AWS fails an execution with `States.Runtime`. */
function statesRuntime(message: string): Error {
  const error = new Error(message) as Error & { isRetryable: boolean; isCatchable: boolean };
  error.name = 'States.Runtime';
  error.isRetryable = false;
  error.isCatchable = false;
  return error;
}

/** A resolved `TimeoutSecondsPath`/`HeartbeatSecondsPath`: AWS takes a positive integer and fails the execution otherwise. */
function positiveSeconds(value: unknown, field: string, path: string, stateName: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw statesRuntime(
      `${stateName}: ${field} '${path}' resolved to ${JSON.stringify(value)}, but expected a positive integer`,
    );
  }
  return value;
}

/** The parameters a Task override gets, unwrapped, and the task's limits with its paths resolved. */
function unwrap(
  stateName: string,
  raw: unknown,
  limits: TaskLimits,
): { parameters: unknown; timeoutSeconds: number; heartbeatSeconds?: number } {
  if (!limits.timeoutSecondsPath && !limits.heartbeatSecondsPath) {
    return {
      parameters: raw,
      timeoutSeconds: limits.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      ...(limits.heartbeatSeconds !== undefined ? { heartbeatSeconds: limits.heartbeatSeconds } : {}),
    };
  }
  const wrapped = raw as Record<string, unknown>;
  const timeoutSeconds = limits.timeoutSecondsPath
    ? positiveSeconds(wrapped[TIMEOUT_SECONDS], 'TimeoutSecondsPath', limits.timeoutSecondsPath, stateName)
    : (limits.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  const heartbeatSeconds = limits.heartbeatSecondsPath
    ? positiveSeconds(
        wrapped[HEARTBEAT_SECONDS],
        'HeartbeatSecondsPath',
        limits.heartbeatSecondsPath,
        stateName,
      )
    : limits.heartbeatSeconds;
  return {
    parameters: wrapped[PARAMETERS],
    timeoutSeconds,
    ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}),
  };
}

/**
 * One task's own time on the virtual clock, which is what its `TimeoutSeconds` (or
 * `HeartbeatSeconds`: nobody sends heartbeats locally) bounds. Wall time a handler takes, on a
 * loaded machine, counts for nothing; time the runtime simulates for the task (an approval that
 * waits) counts through `pass`. Once the limit is used up the task fails `States.Timeout` (or
 * `States.HeartbeatTimeout`) as on AWS, whatever the invocation is still doing.
 */
export class TaskTime {
  readonly timeoutSeconds: number;
  readonly heartbeatSeconds: number | undefined;
  /** Rejects when the task times out; the engine races the invocation against it. */
  readonly expired: Promise<never>;
  private elapsed = 0;
  private reject: (error: Error) => void = () => undefined;

  constructor(timeoutSeconds: number, heartbeatSeconds?: number) {
    this.timeoutSeconds = timeoutSeconds;
    this.heartbeatSeconds = heartbeatSeconds;
    this.expired = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    // Nobody need wait for it: a task that never times out leaves it pending.
    this.expired.catch(() => undefined);
  }

  get elapsedSeconds(): number {
    return this.elapsed;
  }

  private get limit(): number {
    return Math.min(this.timeoutSeconds, this.heartbeatSeconds ?? Number.POSITIVE_INFINITY);
  }

  /** Virtual seconds the task has left before it times out. */
  leftSeconds(): number {
    return Math.max(0, this.limit - this.elapsed);
  }

  /** Counts `seconds` of virtual time against the task; throws (and `expired` rejects) once its limit is used up. */
  pass(seconds: number): void {
    this.elapsed += seconds;
    if (this.elapsed < this.limit) return;
    const heartbeat = this.heartbeatSeconds !== undefined && this.heartbeatSeconds < this.timeoutSeconds;
    const error = new Error(
      heartbeat
        ? `no heartbeat within ${this.heartbeatSeconds}s`
        : `the task did not end within ${this.timeoutSeconds}s`,
    );
    error.name = heartbeat ? 'States.HeartbeatTimeout' : 'States.Timeout';
    this.reject(error);
    throw error;
  }
}

/** StartExecution refused a name its state machine already holds. */
export class ExecutionAlreadyExistsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionAlreadyExists';
  }
}

/**
 * The execution names each state machine holds, as Step Functions keeps them (for 90 days on AWS,
 * here for the life of the process). Starting a name that is free starts an execution; the same
 * name with the same input while that execution runs is the same execution (StartExecution is
 * idempotent); any other reuse is refused: "When the original execution is closed, the
 * ExecutionAlreadyExists message is returned regardless of input".
 */
export class ExecutionNames {
  private readonly held = new Map<string, { input: string; open: boolean; execution: unknown }>();

  /**
   * Claims `name` of `stateMachine`: the execution `start` begins, or the open one it already
   * names (which the same caller started, so it has the same type).
   */
  claim<T>(
    stateMachine: string,
    name: string,
    input: string,
    start: () => T,
  ): { execution: T; started: boolean } {
    const key = `${stateMachine}:${name}`;
    const existing = this.held.get(key);
    if (existing) {
      if (existing.open && existing.input === input)
        return { execution: existing.execution as T, started: false };
      throw new ExecutionAlreadyExistsError(
        `Execution Already Exists: '${name}' of ${stateMachine} (${existing.open ? 'running with other input' : 'closed'})`,
      );
    }
    const entry: { input: string; open: boolean; execution: unknown } = {
      input,
      open: true,
      execution: undefined,
    };
    this.held.set(key, entry);
    try {
      const execution = start();
      entry.execution = execution;
      return { execution, started: true };
    } catch (error) {
      this.held.delete(key);
      throw error;
    }
  }

  /** The execution has ended: its name stays taken. */
  close(stateMachine: string, name: string): void {
    const entry = this.held.get(`${stateMachine}:${name}`);
    if (entry) entry.open = false;
  }

  isOpen(stateMachine: string, name: string): boolean {
    return this.held.get(`${stateMachine}:${name}`)?.open ?? false;
  }
}

/**
 * What a Task asks for: a Lambda invocation (`lambda`), the same with a task token whose answer
 * the invoker returns as SendTaskSuccess would (`callback`), or a child execution of another
 * state machine that it waits for (`execution`, for `states:startExecution.sync:2`).
 */
export type TaskRequest =
  | { kind: 'lambda' | 'callback'; functionName: string; payload: unknown; stateName: string; time: TaskTime }
  /** An AWS SDK integration (`arn:aws:states:::aws-sdk:<service>:<action>[.waitForTaskToken]`). */
  | {
      kind: 'sdk';
      service: string;
      action: string;
      /** The task waits for its token (`.waitForTaskToken`): the result is what the callback sent. */
      callback: boolean;
      parameters: Record<string, unknown>;
      stateName: string;
      time: TaskTime;
    }
  | {
      kind: 'execution';
      stateMachineArn: string;
      name: string;
      input: unknown;
      stateName: string;
      time: TaskTime;
    };

/** Runs a task locally; for `execution` it returns what `.sync:2` returns (`{ Output, Status, ... }`). */
export type LocalInvoker = (request: TaskRequest) => Promise<unknown>;

const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';
const SDK_INTEGRATION = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)(\.waitForTaskToken)?$/;

export interface EngineEvent {
  type: string;
  stateName?: string;
  stateType?: string;
  output?: unknown;
  error?: string;
  cause?: unknown;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionResult {
  status: ExecutionStatus;
  output?: unknown;
  /** The error name the execution failed with, e.g. `Stepwise.RolledBack`. */
  error?: string;
  cause?: string;
  stateTransitions: number;
}

type States = StateMachineDefinition['States'];

/** Task and Wait state names at every level (Map and Parallel states nest their own). */
function collectStates(states: States, tasks: Map<string, string>, waits: string[]): void {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') tasks.set(name, state.Resource);
    if (state.Type === 'Wait') waits.push(name);
    if (state.Type === 'Map') {
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) collectStates(inner.States, tasks, waits);
    }
    if (state.Type === 'Parallel') {
      for (const branch of state.Branches) collectStates(branch.States, tasks, waits);
    }
  }
}

/** A definition as the local engine runs it: validated, its tasks' limits taken out, its tasks and waits found. */
interface PreparedMachine {
  machine: StateMachine;
  tasks: Map<string, string>;
  waits: string[];
  limits: Map<string, TaskLimits>;
}

/** Each definition's prepared machine, by its JSON: a process validates an ASL file once, not per execution. */
const PREPARED = new Map<string, PreparedMachine>();

/** How many definitions this process has validated (one per distinct definition, however many executions ran). */
export function validatedDefinitions(): number {
  return PREPARED.size;
}

function prepared(definition: StateMachineDefinition): PreparedMachine {
  const key = JSON.stringify(definition);
  const known = PREPARED.get(key);
  if (known) return known;
  const tasks = new Map<string, string>();
  const waits: string[] = [];
  collectStates(definition.States, tasks, waits);
  const limits = new Map<string, TaskLimits>();
  // Validation happens here, in the constructor; a run of the same machine does not repeat it.
  const machine = new StateMachine(
    { ...definition, States: forLocalEngine(definition.States, limits) },
    { validationOptions: { checkArn: false } },
  );
  const entry = { machine, tasks, waits, limits };
  PREPARED.set(key, entry);
  return entry;
}

/**
 * Runs an ASL definition on aws-local-stepfunctions. Every `lambda:invoke` Task goes to `invoke`,
 * and its return value comes back in Lambda's result shape (`{ Payload, StatusCode }`) so that
 * `OutputPath: "$.Payload"` works as on AWS; a `.waitForTaskToken` task gets the callback's output. Waits and retry pauses take no wall time: simulated
 * time is the runtime's business (see VirtualClock).
 */
export async function runExecution(
  definition: StateMachineDefinition,
  input: unknown,
  invoke: LocalInvoker,
  onEvent: (event: EngineEvent) => void = () => undefined,
  executionName = `local-${Date.now().toString(36)}`,
  /** Stops the execution as StopExecution does: it ends ABORTED and no Catch runs. */
  signal?: AbortSignal,
): Promise<ExecutionResult> {
  const { machine, tasks, waits, limits } = prepared(definition);
  const run = async (stateName: string, resource: string, parameters: unknown, time: TaskTime) => {
    if (resource === START_EXECUTION_SYNC) {
      const { StateMachineArn, Name, Input } = parameters as {
        StateMachineArn: string;
        Name: string;
        Input: unknown;
      };
      return invoke({
        kind: 'execution',
        stateMachineArn: StateMachineArn,
        name: Name,
        input: Input,
        stateName,
        time,
      });
    }
    const sdk = SDK_INTEGRATION.exec(resource);
    if (sdk) {
      return invoke({
        kind: 'sdk',
        service: sdk[1] as string,
        action: sdk[2] as string,
        callback: sdk[3] !== undefined,
        parameters: parameters as Record<string, unknown>,
        stateName,
        time,
      });
    }
    const { FunctionName, Payload } = parameters as { FunctionName?: string; Payload?: unknown };
    if (typeof FunctionName !== 'string' || !resource.startsWith(LAMBDA_INVOKE)) {
      throw new Error(`task ${stateName}: ${resource} does not run locally`);
    }
    const callback = resource.endsWith('.waitForTaskToken');
    const result = await invoke({
      kind: callback ? 'callback' : 'lambda',
      functionName: FunctionName,
      payload: Payload,
      stateName,
      time,
    });
    // A callback task's result is what SendTaskSuccess sent; a plain invoke's is Lambda's envelope.
    return callback ? result : { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' };
  };
  const taskResourceLocalHandlers = Object.fromEntries(
    [...tasks].map(([stateName, resource]) => [
      stateName,
      async (raw: unknown) => {
        const { parameters, timeoutSeconds, heartbeatSeconds } = unwrap(
          stateName,
          raw,
          limits.get(stateName) ?? {},
        );
        const time = new TaskTime(timeoutSeconds, heartbeatSeconds);
        // The task ends at its virtual timeout even if the invocation goes on, as a Lambda does on AWS.
        return (await Promise.race([run(stateName, resource, parameters, time), time.expired])) as never;
      },
    ]),
  );
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers,
      waitTimeOverrides: Object.fromEntries(waits.map((w) => [w, 0])),
      retryIntervalOverrides: Object.fromEntries([...tasks.keys()].map((t) => [t, 0])),
    },
    // $$.Task.Token for .waitForTaskToken tasks; the local invoker answers them directly.
    context: {
      Execution: {
        Id: `arn:aws:states:local:000000000000:execution:local:${executionName}`,
        Name: executionName,
        Input: input as never,
        StartTime: new Date().toISOString(),
      },
      Task: { Token: `local-${executionName}-${randomBytes(6).toString('hex')}` },
    },
  });
  const stop = () => execution.abort();
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });

  let stateTransitions = 0;
  const consumed = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as unknown as {
        type: string;
        state?: { name: string; type: string; output?: unknown };
        Error?: string;
        Cause?: unknown;
      };
      if (e.type === 'StateEntered') stateTransitions++;
      onEvent({
        type: e.type,
        stateName: e.state?.name,
        stateType: e.state?.type,
        output: e.state?.output,
        error: e.Error,
        cause: e.Cause,
      });
    }
  })();

  let result: Omit<ExecutionResult, 'stateTransitions'>;
  try {
    result = { status: 'SUCCEEDED', output: await execution.result };
  } catch (error) {
    if (error instanceof ExecutionError) {
      const cause = (error as { cause?: { name?: string; message?: string } }).cause;
      result = {
        status: 'FAILED',
        error: cause?.name ?? 'States.Runtime',
        cause: cause?.message ?? error.message,
      };
    } else if (error instanceof ExecutionAbortedError) {
      result = { status: 'ABORTED' };
    } else if (error instanceof ExecutionTimeoutError) {
      result = { status: 'TIMED_OUT', error: 'States.Timeout' };
    } else {
      throw error;
    }
  }
  signal?.removeEventListener('abort', stop);
  await consumed;
  if (result.status === 'ABORTED' && signal?.reason instanceof StopRequest) {
    result = { ...result, error: signal.reason.error, cause: signal.reason.stopCause };
  }
  return { ...result, stateTransitions };
}
