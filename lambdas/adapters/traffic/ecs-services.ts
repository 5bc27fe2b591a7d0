import type {
  ContainerDefinition,
  RegisterTaskDefinitionCommandInput,
  Service,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { InvalidInputError, ProviderError } from '../../domain/errors.ts';

/**
 * What the ECS providers (ecs-alb, ecs-rolling) check before they change a service: both roll a
 * version out by registering a copy of the service's task definition and handing it to the
 * service with UpdateService, and both leave traffic to Stepwise's steps.
 */

/** `arn:aws:ecs:<region>:<account>:service/<name>`: no cluster in it, the format of services created before 2021. */
const SHORT_SERVICE_ARN = /^arn:[^:]+:ecs:[^:]*:\d{12}:service\/[^/]+$/;

const SERVICE_ARN_MIGRATION =
  'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-arn-migration.html';

/**
 * Refuses, saying why, a service Stepwise cannot roll out by giving it a new task definition:
 * - a short (pre-2021) ARN: ECS refuses to tag it, and IAM matches its calls against that ARN, not
 *   the `service/<cluster>/<service>` one the stack grants;
 * - a deployment controller other than ECS: CODE_DEPLOY and EXTERNAL services take a new task
 *   definition only through a deployment of their own (UpdateService refuses it);
 * - an ECS strategy other than ROLLING: BLUE_GREEN, LINEAR and CANARY shift traffic themselves,
 *   under Stepwise's steps.
 */
export function assertDeployableService(service: Service, provider: string): void {
  const name = service.serviceName ?? service.serviceArn ?? 'the ECS service';
  const arn = service.serviceArn ?? '';
  if (SHORT_SERVICE_ARN.test(arn)) {
    throw new ProviderError(
      `ECS service ${name} has the short ARN ${arn} (created before 2021), which ECS does not let Stepwise tag and which the ${provider} permissions (service/<cluster>/<service>) do not match: migrate it to the long ARN format, without downtime, as ${SERVICE_ARN_MIGRATION} describes`,
    );
  }
  const controller = service.deploymentController?.type ?? 'ECS';
  const strategy = service.deploymentConfiguration?.strategy ?? 'ROLLING';
  if (controller !== 'ECS') {
    throw new ProviderError(
      `ECS service ${name} deploys with ${controller}; the ${provider} provider needs ECS rolling updates (deployment controller ECS, strategy ROLLING): a ${controller} service takes a new task definition only through a ${controller === 'CODE_DEPLOY' ? 'CodeDeploy' : 'task set'} deployment of its own`,
    );
  }
  if (strategy !== 'ROLLING') {
    throw new ProviderError(
      `ECS service ${name} deploys with ECS (${strategy}); the ${provider} provider needs ECS rolling updates (deployment controller ECS, strategy ROLLING): with ${strategy}, ECS shifts traffic itself, under Stepwise's steps`,
    );
  }
}

/** An IAM role ARN, with its path: what `taskRoleArn` and `executionRoleArn` take. */
export const ROLE_ARN_PATTERN = '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$';

/** The roles a provider config lets Stepwise pass to ECS, by task definition field. */
export interface PassableRoles {
  taskRoleArn?: string;
  executionRoleArn?: string;
}

const ROLE_FIELDS = [
  ['taskRoleArn', 'task role'],
  ['executionRoleArn', 'execution role'],
] as const;

/** A task definition may name a role by name or by ARN; `role/path/name` is that name. */
function sameRole(configured: string, used: string): boolean {
  return used === configured || (!used.startsWith('arn:') && configured.endsWith(`/${used}`));
}

/**
 * Before registering a copy of `definition`: the copy passes its task and execution roles to ECS
 * (iam:PassRole), and the stack grants PassRole only on the roles the config names. A role the
 * config does not name is refused here, naming the field, rather than by IAM halfway through.
 */
export function assertPassableRoles(definition: TaskDefinition, config: PassableRoles): void {
  const revision = definition.taskDefinitionArn?.split('/').pop() ?? 'the task definition';
  for (const [field, what] of ROLE_FIELDS) {
    const used = definition[field];
    if (!used) continue;
    const configured = config[field];
    if (configured === undefined) {
      throw new InvalidInputError(
        `providerConfig.${field} is required: ${revision} runs with ${what} ${used}, which registering the candidate's copy passes to ECS, and Stepwise may pass only the roles its config names`,
      );
    }
    if (!sameRole(configured, used)) {
      throw new InvalidInputError(
        `providerConfig.${field} is ${configured}, but ${revision} runs with ${what} ${used}: name that role, or Stepwise may not pass it to ECS`,
      );
    }
  }
}

/** The fields of a described task definition that RegisterTaskDefinition takes back; ECS sets the rest. */
const REGISTRABLE = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies readonly (keyof TaskDefinition & keyof RegisterTaskDefinitionCommandInput)[];

/**
 * The RegisterTaskDefinition input for a copy of `definition` whose `container` runs `image`,
 * everything else as it was: how both ECS providers make a candidate's revision.
 */
export function copyWithImage(
  definition: TaskDefinition,
  container: ContainerDefinition,
  image: string,
): RegisterTaskDefinitionCommandInput {
  const input: Record<string, unknown> = {};
  for (const field of REGISTRABLE) {
    if (definition[field] !== undefined) input[field] = definition[field];
  }
  input.containerDefinitions = (definition.containerDefinitions ?? []).map((c) =>
    c === container ? { ...c, image } : c,
  );
  return input as unknown as RegisterTaskDefinitionCommandInput;
}
