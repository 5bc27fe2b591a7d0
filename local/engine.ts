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

/** Long enough never to fire before the local runtime's own decision. */
const LOCAL_CALLBACK_TIMEOUT_SECONDS = 7 * 86_400;

/**
 * The one place the local engine needs the definition adjusted: aws-local-stepfunctions resolves
 * a Task's `TimeoutSecondsPath` against the input after `Parameters`, where AWS resolves it
 * against the state input, so the same path cannot work in both. Locally the only such tasks are
 * approval callbacks, whose timeout the runtime enforces itself on the virtual clock; the path is
 * replaced by a fixed wall-clock timeout that never fires first. Everything else runs as written.
 */
function forLocalEngine(states: States): States {
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      if (state.Type === 'Task' && state.TimeoutSecondsPath) {
        const { TimeoutSecondsPath: _path, ...rest } = state;
        return [name, { ...rest, TimeoutSeconds: LOCAL_CALLBACK_TIMEOUT_SECONDS }];
      }
      return [name, state];
    }),
  ) as States;
}

/**
 * What a Task asks for: a Lambda invocation (`lambda`), the same with a task token whose answer
 * the invoker returns as SendTaskSuccess would (`callback`), or a child execution of another
 * state machine that it waits for (`execution`, for `states:startExecution.sync:2`).
 */
export type TaskRequest =
  | { kind: 'lambda' | 'callback'; functionName: string; payload: unknown; stateName: string }
  | { kind: 'execution'; stateMachineArn: string; name: string; input: unknown; stateName: string };

/** Runs a task locally; for `execution` it returns what `.sync:2` returns (`{ Output, Status, ... }`). */
export type LocalInvoker = (request: TaskRequest) => Promise<unknown>;

const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';

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
  const tasks = new Map<string, string>();
  const waits: string[] = [];
  collectStates(definition.States, tasks, waits);
  const machine = new StateMachine(
    { ...definition, States: forLocalEngine(definition.States) },
    { validationOptions: { checkArn: false } },
  );
  const taskResourceLocalHandlers = Object.fromEntries(
    [...tasks].map(([stateName, resource]) => [
      stateName,
      async (parameters: unknown) => {
        if (resource === START_EXECUTION_SYNC) {
          const { StateMachineArn, Name, Input } = parameters as {
            StateMachineArn: string;
            Name: string;
            Input: unknown;
          };
          return (await invoke({
            kind: 'execution',
            stateMachineArn: StateMachineArn,
            name: Name,
            input: Input,
            stateName,
          })) as never;
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
        });
        // A callback task's result is what SendTaskSuccess sent; a plain invoke's is Lambda's envelope.
        return (
          callback ? result : { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' }
        ) as never;
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
