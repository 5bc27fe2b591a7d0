import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  ConflictError,
  DeploymentNotFoundError,
  InvalidInputError,
  LockHeldError,
  PreflightFailedError,
  ResourceNotFoundError,
  ServiceNotFoundError,
  TransientError,
} from '../domain/errors.ts';

/** An HTTP error with the JSON body every API error has: `{ "error": CODE, "message": ... }`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/** Bodies larger than this are refused (413) before they are parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** Maps what the domain throws to the status a client can act on; anything unknown is a 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof ServiceNotFoundError) return new HttpError(404, 'ServiceNotFound', message);
  if (error instanceof DeploymentNotFoundError) return new HttpError(404, 'DeploymentNotFound', message);
  if (error instanceof PreflightFailedError) return new HttpError(422, 'PreflightFailed', message);
  if (error instanceof InvalidInputError) return new HttpError(422, 'InvalidRequest', message);
  if (error instanceof LockHeldError) return new HttpError(409, 'Locked', message);
  if (error instanceof ConflictError) return new HttpError(409, 'Conflict', message);
  if (error instanceof ResourceNotFoundError) return new HttpError(404, 'NotFound', message);
  if (error instanceof TransientError) {
    return new HttpError(503, 'Unavailable', `${message}; try again`);
  }
  const name = (error as { name?: string })?.name;
  if (name === 'IdempotencyValidationError') {
    return new HttpError(
      422,
      'IdempotencyKeyReused',
      'this Idempotency-Key was used with a different request',
    );
  }
  if (name === 'IdempotencyAlreadyInProgressError') {
    return new HttpError(
      409,
      'RequestInProgress',
      'a request with this Idempotency-Key is still being processed',
    );
  }
  return new HttpError(500, 'Internal', 'the request failed; see the API function logs');
}

/** The caller's IAM principal (IAM auth), or the local user the local server names. */
export function principalOf(event: APIGatewayProxyEvent): string {
  const identity = event.requestContext?.identity;
  return identity?.userArn ?? identity?.caller ?? identity?.user ?? 'unknown';
}

/** Header lookup regardless of case (API Gateway keeps the client's case). */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The JSON body, refused with 413 when too large and 400 when not JSON or not an object. */
export function bodyOf(event: APIGatewayProxyEvent): Record<string, unknown> {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PayloadTooLarge', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'InvalidJson', 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'InvalidRequest', 'the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
