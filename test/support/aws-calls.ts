import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@smithy/core/client';
import type { MiddlewareStack } from '@smithy/types';
import { currentFunction, type FunctionId } from '../../local/function-scope.ts';
import { type Authorization, apiModelProblems, authorizationOf, operationOf } from './aws-api.ts';

/**
 * Every AWS SDK command the code sends while the tests run, and who sent it: the Lambda function
 * the local runtime was standing in for (`local/function-scope.ts`), or nobody (a unit test calling
 * an adapter itself). Real clients (dynalite, the in-process simulated cloud) are seen through a
 * middleware on each client; mocked ones through `mockClient` (test/support/aws-mock.ts). Each
 * call's input is checked against the service's published API model as it is sent; the IAM test
 * (test/aws/iam-from-trace.test.ts) later holds every recorded call against the synthesized roles.
 */

/** Where the suites leave what they recorded, one file per test file, for the IAM test to read. */
export const TRACE_DIR = join(import.meta.dirname, '..', '..', '.vitest', 'aws-calls');

export interface RecordedCall extends Authorization {
  fn?: FunctionId;
  client: string;
  operation: string;
  /** The test file that made it. */
  file: string;
}

/** One call's input as it was sent, for the type check against the SDK's own input types. */
export interface RecordedInput {
  client: string;
  operation: string;
  /** JSON, with dates as `{ "$date": ISO }` and bytes as `{ "$bytes": length }`. */
  input: unknown;
  file: string;
}

interface TraceState {
  calls: Map<string, RecordedCall>;
  inputs: Map<string, RecordedInput>;
  problems: string[];
  file: string;
}

// Shared by every copy of this module in the process: the patched `send` outlives the test file
// that installed it (the SDK is loaded once per worker, test files are evaluated each on their own).
const KEY = Symbol.for('stepwise.awsCallTrace');
const holder = globalThis as { [KEY]?: TraceState };
holder[KEY] ??= { calls: new Map(), inputs: new Map(), problems: [], file: '' };
const state = holder[KEY];

/** Notes one call: its authorization for the IAM test, and whether it fits the API model. */
export function noteCall(client: string, commandName: string, input: unknown, region: string): void {
  const operation = operationOf(client, commandName);
  const fn = currentFunction();
  const where = { partition: 'aws', region, account: '000000000000' };
  const authorization = authorizationOf(client, operation, (input ?? {}) as Record<string, unknown>, where);
  const call: RecordedCall = { ...(fn ? { fn } : {}), client, operation, ...authorization, file: state.file };
  state.calls.set(JSON.stringify([fn, authorization]), call);
  // DynamoDB on dynalite is judged by dynalite itself, which validates as DynamoDB does; the
  // document client's mocked calls are judged by the model, after marshalling.
  if (client === 'DynamoDBClient') return;
  const problems = apiModelProblems(client, operation, input);
  for (const problem of problems) state.problems.push(`${client} ${problem}`);
  // A call the model refuses already fails its test; the type check sees the ones it accepts.
  if (problems.length > 0 || client === 'DynamoDBDocumentClient') return;
  const encoded = encode(input);
  const key = `${client} ${operation} ${JSON.stringify(encoded)}`;
  if (!state.inputs.has(key)) state.inputs.set(key, { client, operation, input: encoded, file: state.file });
}

/** An input as JSON the type check can write back as TypeScript. */
function encode(value: unknown): unknown {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (ArrayBuffer.isView(value)) return { $bytes: value.byteLength };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, encode(v)]),
    );
  }
  return value;
}

const TRACED = new WeakSet<object>();

/**
 * Adds the tracing middleware to every real SDK client on its first `send`. It sits first in the
 * `initialize` step, before anything (the in-process simulated cloud included) can answer.
 */
export function traceRealClients(): void {
  const proto = Client.prototype as unknown as { send: (...args: unknown[]) => unknown; [KEY]?: true };
  if (proto[KEY]) return;
  const send = proto.send;
  proto[KEY] = true;
  proto.send = function (
    this: { middlewareStack: MiddlewareStack<object, object>; config: { region?: unknown } },
    ...args
  ) {
    if (!TRACED.has(this.middlewareStack)) {
      TRACED.add(this.middlewareStack);
      const config = this.config;
      this.middlewareStack.add(
        (next, context) => async (request) => {
          const region = typeof config.region === 'function' ? await config.region() : config.region;
          noteCall(
            String(context.clientName),
            String(context.commandName),
            (request as { input?: unknown }).input,
            String(region ?? 'local'),
          );
          return next(request);
        },
        { step: 'initialize', priority: 'high', name: 'stepwiseAwsCallTrace' },
      );
    }
    return send.apply(this, args);
  };
}

/** Starts the record of one test file. */
export function beginFile(file: string): void {
  state.file = file;
  state.calls.clear();
  state.inputs.clear();
  state.problems.length = 0;
}

/** The API-model problems since the last look, for the test that caused them. */
export function takeProblems(): string[] {
  return state.problems.splice(0);
}

/** Leaves what this test file sent where the IAM test reads it. */
export function flushFile(): void {
  mkdirSync(TRACE_DIR, { recursive: true });
  const write = (prefix: string, records: unknown[]) => {
    if (records.length === 0) return;
    const lines = records.map((r) => JSON.stringify(r)).join('\n');
    appendFileSync(join(TRACE_DIR, `${prefix}${randomUUID()}.jsonl`), `${lines}\n`);
  };
  write('', [...state.calls.values()]);
  write('inputs-', [...state.inputs.values()]);
  state.calls.clear();
  state.inputs.clear();
}
