import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
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
        // The simulated baseline can be deployed back (a ring rollout restoring a ring that had no history).
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
  },
} as const;

// verbose: errors carry the refused value, so messages can show it.
const ajv = new Ajv({ allErrors: false, strict: true, verbose: true });

/** `/artifact/image` → `artifact.image`; `/plan/steps/2/weight` → `plan.steps[2].weight`. */
function fieldOf(error: ErrorObject, root: string): string {
  const parts = error.instancePath.split('/').slice(1);
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') parts.push(String(error.params.additionalProperty));
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

/** Compiles a schema once; the returned function throws InvalidInputError naming the bad field. */
export function validator<T>(
  schema: object,
  root: string,
  /** Name fields from the root (`plan.steps[0].weight`) rather than within it (`steps[0].weight`). */
  options: { pathFromRoot?: boolean } = {},
): (value: unknown) => T {
  const check: ValidateFunction = ajv.compile(schema);
  return (value) => {
    if (check(value)) return value as T;
    const error = check.errors?.[0];
    if (!error) throw new InvalidInputError(`${root} is invalid`);
    const shown =
      error.keyword === 'required' || error.keyword === 'additionalProperties'
        ? ''
        : `, got ${JSON.stringify(error.data)}`;
    const field = fieldOf(error, root);
    const named = options.pathFromRoot && field !== root ? `${root}.${field.replace(/^\[/, '[')}` : field;
    throw new InvalidInputError(`${named.replace(`${root}.[`, `${root}[`)} ${describe(error)}${shown}`);
  };
}
