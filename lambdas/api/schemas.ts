import * as compiled from '../domain/compiled-schemas.js';
import { InvalidInputError } from '../domain/errors.ts';
import { checkCandidate } from '../domain/requests.ts';
import {
  type CompiledSchema,
  deploymentRequestSchema,
  refuseHiddenText,
  SERVICE_NAME_PATTERN,
  validator,
} from '../domain/schemas.ts';
import type { StrategyName } from '../domain/strategy-names.ts';
import type { ApprovalGate } from '../domain/types.ts';
import { HttpError } from './http.ts';

const { properties } = deploymentRequestSchema;
const reason = { type: 'string', minLength: 1, maxLength: 500 } as const;
/** Its grammar is checked by checkVersion, whose message says what is wrong with it. */
const version = { type: 'string', minLength: 1, maxLength: 512 } as const;

/** `POST /deployments`. */
export interface CreateDeploymentBody {
  service: string;
  image?: string;
  digest?: string;
  strategy?: StrategyName;
  plan?: unknown;
  reason?: string;
  commitSha?: string;
  allowFiringAlarms?: boolean;
  /** An approval gate before the first production traffic. */
  gate?: ApprovalGate;
}

export const createDeploymentSchema = {
  type: 'object',
  required: ['service'],
  additionalProperties: false,
  properties: {
    service: { type: 'string', pattern: SERVICE_NAME_PATTERN },
    image: version,
    digest: properties.artifact.properties.digest,
    strategy: properties.strategy,
    plan: properties.plan,
    reason,
    commitSha: properties.commitSha,
    allowFiringAlarms: { type: 'boolean' },
    gate: properties.gate,
  },
} as const;

export interface ApproveBody {
  approved?: boolean;
  reason?: string;
}

export const approveSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { approved: { type: 'boolean' }, reason },
} as const;

export interface ReasonBody {
  reason?: string;
}

export const reasonSchema = { type: 'object', additionalProperties: false, properties: { reason } } as const;

export interface RollbackBody {
  version?: string;
  reason?: string;
}

export const rollbackSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { version, reason },
} as const;

/** Body validation answers 400 and names the field: the request is malformed, nothing was read or written. */
function bodyValidator<T>(schema: CompiledSchema): (body: unknown) => T {
  const check = validator<T>(schema, 'body', { pathFromRoot: true });
  return (body) => {
    try {
      const parsed = check(body);
      const { reason } = parsed as { reason?: unknown };
      if (typeof reason === 'string') refuseHiddenText(reason, 'body.reason');
      return parsed;
    } catch (error) {
      if (error instanceof InvalidInputError) throw new HttpError(400, 'InvalidRequest', error.message);
      throw error;
    }
  };
}

const checkCreateDeployment = bodyValidator<CreateDeploymentBody>(compiled.createDeploymentBody);

/** A version in a body: an image reference or an S3 .zip, never the simulated baseline (checkCandidate). */
function checkVersion(value: string | undefined, field: string): void {
  if (value === undefined) return;
  try {
    checkCandidate(value, field);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new HttpError(400, 'InvalidRequest', error.message);
    throw error;
  }
}

export function parseCreateDeployment(body: unknown): CreateDeploymentBody {
  const parsed = checkCreateDeployment(body);
  if (!parsed.image && !parsed.digest) {
    throw new HttpError(400, 'InvalidRequest', 'body.image or body.digest is required');
  }
  checkVersion(parsed.image, 'body.image');
  return parsed;
}
export const parseApprove = bodyValidator<ApproveBody>(compiled.approveBody);
export const parseReason = bodyValidator<ReasonBody>(compiled.reasonBody);
const checkRollback = bodyValidator<RollbackBody>(compiled.rollbackBody);
export function parseRollback(body: unknown): RollbackBody {
  const parsed = checkRollback(body);
  checkVersion(parsed.version, 'body.version');
  return parsed;
}
