import type { ErrorObject } from 'ajv';
import { InvalidInputError } from './errors.ts';
import { STRATEGIES } from './strategy-names.ts';

const trigger = {
  type: 'object',
  required: ['source', 'principal'],
  additionalProperties: false,
  properties: {
    source: { type: 'string', minLength: 1, maxLength: 64 },
    principal: { type: 'string', minLength: 1, maxLength: 512 },
  },
} as const;

/**
 * An image digest: `sha256:` and hex. Every real ECR digest has 64 digits; the sample push event
 * in ECR's documentation has 60, and pasting that sample must work, so 32 to 64 are taken.
 */
export const IMAGE_DIGEST_PATTERN = '^sha256:[a-f0-9]{32,64}$';

/** A deployment id is its execution's name: Step Functions allows 80 characters, without spaces or punctuation but `.`, `-`, `_`. */
export const DEPLOYMENT_ID_PATTERN = '^[A-Za-z0-9._-]{1,80}$';

export const SERVICE_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

/** The longest value an error message repeats: a 5 MiB field is named, not echoed. */
export const SHOWN_CHARACTERS = 100;

/**
 * Characters that show as nothing, or as something they are not: controls (Cc), format
 * characters such as bidirectional overrides and zero-width spaces (Cf), line and paragraph
 * separators (Zl, Zp), spaces other than the ASCII one (Zs), private-use, surrogate and
 * unassigned code points, and the rest of Unicode's default-ignorable code points (the Hangul
 * fillers, variation selectors). In a version they make two different versions read alike.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Cn}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs}/u;

/** The same, everywhere in a text: an error message shows them escaped, never raw. */
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/**
 * A refused value as an error message shows it: JSON, invisible characters escaped (`\u202e`),
 * cut to 100 characters with an ellipsis.
 */
export function shown(value: unknown): string {
  return clip(value === undefined ? 'undefined' : JSON.stringify(value));
}

/** A text an error message repeats (a field name, a value): invisible characters escaped, at most 100 characters. */
export function clip(text: string): string {
  const visible = text.replace(
    INVISIBLE_ALL,
    (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
  return visible.length <= SHOWN_CHARACTERS ? visible : `${visible.slice(0, SHOWN_CHARACTERS)}…`;
}

/** Throws naming the field when `value` holds an invisible or control character (see INVISIBLE). */
export function refuseInvisible(
  value: string,
  field: string,
  why = 'a version must read as what it is',
): void {
  const match = INVISIBLE.exec(value);
  if (!match) return;
  const code = (match[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
  throw new InvalidInputError(
    `${field} holds the invisible or control character U+${code} at index ${match.index}: ${why}, got ${shown(value)}`,
  );
}

/**
 * A reason someone gives (it goes into the audit trail as written): lines and tabs are fine, a
 * bidirectional override or a zero-width character that makes it read as something else is not.
 */
export function refuseHiddenText(value: string, field: string): void {
  refuseInvisible(value.replace(/[\n\t]/g, ' '), field, 'the audit trail must read as it was written');
}

// The OCI distribution reference grammar (github.com/distribution/reference, regexp.go).
const ALPHANUMERIC = '[a-z0-9]+';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:(?:[._]|__|-+)${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
/** An image tag: 1 to 128 of letters, digits, `_`, `.` and `-`, not starting with `.` or `-`. */
export const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';
const TAG = IMAGE_TAG_PATTERN.slice(1, -1);
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** A .zip package in S3 (the lambda-alias provider deploys those): a bucket name and a key of S3's safe characters. */
const S3_ARTIFACT = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[A-Za-z0-9!_.*'()/=+-]{1,1024}$/;
/** Docker's limit on a repository name, registry host included. */
const MAX_IMAGE_NAME = 255;

/**
 * Refuses a version that no registry could hold: it must be an OCI image reference
 * (`[registry/]name[:tag][@digest]`, as `docker pull` takes it) or an S3 URI of a .zip package
 * (`s3://bucket/key`, for Lambda). Invisible characters are named first, since they are what
 * makes a spoofed version look right. Throws InvalidInputError naming `field`.
 */
export function checkArtifactName(value: string, field: string): void {
  refuseInvisible(value, field);
  const foreign = /[^\x21-\x7e]/u.exec(value);
  if (foreign) {
    const code = (foreign[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
    const what = foreign[0] === ' ' ? 'a space' : `the character ${foreign[0]} (U+${code})`;
    throw new InvalidInputError(
      `${field} holds ${what} at index ${foreign.index}: an image reference is visible ASCII, got ${shown(value)}`,
    );
  }
  if (value.startsWith('s3://')) {
    if (!S3_ARTIFACT.test(value)) {
      throw new InvalidInputError(
        `${field} must be s3://bucket/key (a bucket name, then a key of letters, digits and !_.*'()/=+-), got ${shown(value)}`,
      );
    }
    return;
  }
  const match = IMAGE_REFERENCE.exec(value);
  if (!match && IMAGE_REFERENCE.test(value.replace(/^[^:@]*/, (name) => name.toLowerCase()))) {
    throw new InvalidInputError(`${field} must name its repository in lowercase, got ${shown(value)}`);
  }
  if (!match) {
    throw new InvalidInputError(
      `${field} must be an image reference, [registry/]name[:tag][@sha256:digest] with a lowercase name and a tag of letters, digits, _ . - (at most 128), got ${shown(value)}`,
    );
  }
  if ((match[1] as string).length > MAX_IMAGE_NAME) {
    throw new InvalidInputError(`${field} names a repository longer than ${MAX_IMAGE_NAME} characters`);
  }
}

/** The execution input of every strategy state machine. */
export const deploymentRequestSchema = {
  type: 'object',
  required: ['deploymentId', 'service', 'artifact', 'trigger'],
  additionalProperties: false,
  properties: {
    // An execution name: Step Functions allows 80 characters, without spaces or punctuation but `.`, `-`, `_`.
    deploymentId: { type: 'string', pattern: DEPLOYMENT_ID_PATTERN },
    service: { type: 'string', pattern: SERVICE_NAME_PATTERN },
    artifact: {
      type: 'object',
      required: ['image'],
      additionalProperties: false,
      properties: {
        // An image reference or an S3 .zip (checkArtifactName), or the simulated baseline, which a
        // rollback or a ring rollout restoring a ring that had no history deploys back.
        image: { type: 'string', minLength: 1, maxLength: 512, pattern: '^(\\S+|baseline \\(simulated\\))$' },
        digest: { type: 'string', pattern: IMAGE_DIGEST_PATTERN },
      },
    },
    strategy: { type: 'string', enum: STRATEGIES },
    // Checked against the strategy's own schema when the plan is expanded (PLAN_SCHEMAS).
    plan: { type: 'object' },
    gate: {
      type: 'object',
      additionalProperties: false,
      required: ['timeoutSeconds', 'onTimeout'],
      properties: {
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 604_800 },
        onTimeout: { type: 'string', enum: ['rollback', 'continue'] },
      },
    },
    trigger,
    commitSha: { type: 'string', pattern: '^[0-9a-f]{7,40}$' },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
    allowFiringAlarms: { type: 'boolean' },
    // Step Functions adds it to a child execution's input (a ring's deployment) to link it to its parent.
    AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: { type: 'string' },
  },
} as const;

/** The state every task after Start receives: checked for shape only, Start already validated the content. */
export const taskStateSchema = {
  type: 'object',
  required: ['deployment', 'progress'],
  properties: {
    deployment: {
      type: 'object',
      required: [
        'deploymentId',
        'service',
        'plan',
        'stableVersion',
        'candidateVersion',
        'provider',
        'alarms',
      ],
      properties: {
        deploymentId: { type: 'string' },
        service: { type: 'string' },
        strategy: { type: 'string', enum: STRATEGIES },
        plan: {
          type: 'object',
          required: ['steps'],
          properties: { steps: { type: 'array', items: { type: 'object' } } },
        },
        stableVersion: { type: 'string' },
        candidateVersion: { type: 'string' },
        provider: { type: 'string' },
        alarms: { type: 'array', items: { type: 'string' } },
      },
    },
    progress: {
      type: 'object',
      required: ['stepIndex', 'stepCount', 'trafficStep', 'weights'],
      properties: {
        stepIndex: { type: 'integer', minimum: -1 },
        stepCount: { type: 'integer', minimum: 1 },
        trafficStep: { type: 'integer', minimum: 0 },
        weights: { type: 'object', additionalProperties: { type: 'integer', minimum: 0, maximum: 100 } },
      },
    },
  },
} as const;

export const recordEventSchema = {
  type: 'object',
  required: ['type', 'state'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['DeploymentSucceeded', 'DeploymentRolledBack', 'DeploymentFailed'] },
    state: taskStateSchema,
  },
} as const;

/** What Request approval is called with: the state and the task token to answer. */
export const approvalRequestSchema = {
  type: 'object',
  required: ['state', 'taskToken'],
  additionalProperties: false,
  properties: { state: taskStateSchema, taskToken: { type: 'string', minLength: 1 } },
} as const;

export const serviceConfigSchema = {
  type: 'object',
  required: ['service', 'environment', 'provider', 'alarms', 'insufficientData', 'strategy', 'plan'],
  additionalProperties: false,
  properties: {
    service: { type: 'string', pattern: SERVICE_NAME_PATTERN },
    environment: { type: 'string', minLength: 1, maxLength: 64 },
    provider: { type: 'string', minLength: 1 },
    providerConfig: { type: 'object' },
    alarms: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 255 } },
    insufficientData: { type: 'string', enum: ['healthy', 'unhealthy'] },
    strategy: { type: 'string', enum: STRATEGIES },
    plan: { type: 'object' },
    // Written by toServiceConfig from a validated registry entry (defaults filled in).
    analysis: { type: 'object' },
  },
} as const;

/**
 * A schema's validator as ajv compiles it (`npm run schemas` writes them all to
 * compiled-schemas.ts): true, or false with the first error in `errors`, carrying the refused value.
 */
export type CompiledSchema = ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** `/artifact/image` → `artifact.image`; `/plan/steps/2/weight` → `plan.steps[2].weight`. */
function fieldOf(error: ErrorObject, root: string): string {
  const parts = error.instancePath.split('/').slice(1).map(clip);
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') parts.push(clip(String(error.params.additionalProperty)));
  const path = parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  return path || root;
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** A validator that throws InvalidInputError naming the bad field, from a schema's compiled check. */
export function validator<T>(
  check: CompiledSchema,
  root: string,
  /** Name fields from the root (`plan.steps[0].weight`) rather than within it (`steps[0].weight`). */
  options: { pathFromRoot?: boolean } = {},
): (value: unknown) => T {
  return (value) => {
    if (check(value)) return value as T;
    const error = check.errors?.[0];
    if (!error) throw new InvalidInputError(`${root} is invalid`);
    const got =
      error.keyword === 'required' || error.keyword === 'additionalProperties'
        ? ''
        : `, got ${shown(error.data)}`;
    const field = fieldOf(error, root);
    const named = options.pathFromRoot && field !== root ? `${root}.${field.replace(/^\[/, '[')}` : field;
    throw new InvalidInputError(`${named.replace(`${root}.[`, `${root}[`)} ${describe(error)}${got}`);
  };
}
