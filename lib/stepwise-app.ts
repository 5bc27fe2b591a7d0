import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RegistryFile } from '../lambdas/domain/registry.ts';
import { DEFAULT_REGISTRY_FILE, loadRegistry } from '../registry/load.ts';
import { ExampleWorkloadStack } from './example/example-workload-stack.ts';
import { StepwiseStack } from './stepwise-stack.ts';

export interface StepwiseAppProps {
  /** Context on top of the CLI's (tests pass cdk.json's flags and skip bundling). @default - none */
  readonly context?: Record<string, unknown>;
  /**
   * The service registry, already loaded and validated.
   * @default - the file `registryFile` finds: context `config`, else ./stepwise.config.json, else none
   */
  readonly registry?: RegistryFile;
}

export interface StepwiseAppStacks {
  readonly app: App;
  readonly stack: StepwiseStack;
  /** The example workload, with context `example=true`. */
  readonly example?: ExampleWorkloadStack;
}

/**
 * The registry file the app reads: context `config` (a path, relative to `cwd`), which must exist;
 * else `stepwise.config.json` in `cwd` if there is one; else none (a Stepwise with no services).
 */
export function registryFile(config: unknown, cwd = process.cwd()): string | undefined {
  if (config !== undefined) {
    if (typeof config !== 'string' || config.length === 0) {
      throw new Error(`context config must be the path of a registry file, got ${JSON.stringify(config)}`);
    }
    return resolve(cwd, config);
  }
  const fallback = resolve(cwd, DEFAULT_REGISTRY_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

/**
 * The CDK app: the `StepwiseStack` (stack name from context `stackName`, default `Stepwise`) with the
 * services of the registry file (`registryFile`), checked by cdk-nag's AwsSolutions pack, in the account
 * and region `deploymentEnvironment` finds. With context `example=true`, also `<stackName>-example`: a
 * sample workload registered with Stepwise. With context `apiGatewayCloudWatchRole=true`, the stack
 * also sets the account's API Gateway CloudWatch role (see `StepwiseApiProps.cloudWatchRole`). cdk-nag 3 is
 * a policy-validation plugin, not an Aspect: its findings go to the synth's validation report and any
 * unacknowledged one fails the synth. Async because a registry may be a TypeScript module.
 */
export async function createStepwiseApp(props: StepwiseAppProps = {}): Promise<StepwiseAppStacks> {
  const app = new App({ context: props.context });
  const stackName: unknown = app.node.tryGetContext('stackName') ?? 'Stepwise';
  if (typeof stackName !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(stackName)) {
    throw new Error(
      `context stackName must be letters, digits and dashes, starting with a letter (at most 64), got ${JSON.stringify(stackName)}`,
    );
  }
  const example = booleanContext(app, 'example');
  const apiGatewayCloudWatchRole = booleanContext(app, 'apiGatewayCloudWatchRole');
  const env = deploymentEnvironment(app);
  const file = props.registry ? undefined : registryFile(app.node.tryGetContext('config'));
  const registry = props.registry ?? (file ? await loadRegistry(file) : { services: [] });

  const stack = new StepwiseStack(app, 'StepwiseStack', {
    stackName,
    description: 'Stepwise: progressive delivery with Step Functions (state machines, task functions, table)',
    env,
    services: registry.services,
    apiGatewayCloudWatchRole,
  });
  const exampleStack = example
    ? new ExampleWorkloadStack(app, 'StepwiseExampleStack', {
        stackName: `${stackName}-example`,
        description:
          'Stepwise example workload: ECS blue/green behind an ALB and a Lambda alias, registered with Stepwise',
        env,
        stepwise: stack,
        registered: registry.services.map((service) => service.name),
      })
    : undefined;
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, example: exampleStack };
}

/** A yes/no context value: `true` from code, `"true"` from `-c name=true`; absent is false, anything else a mistake. */
function booleanContext(app: App, name: string): boolean {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`context ${name} must be true or false, got ${JSON.stringify(value)}`);
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * The account and region the stacks deploy to: context `account` and `region`, else what the CDK
 * CLI found in the credentials and configuration it runs with (CDK_DEFAULT_ACCOUNT,
 * CDK_DEFAULT_REGION). Both are required: an environment-agnostic synth would bake a region in
 * anyway (the example's cross-stack references, the API's permissions), whatever the CLI guessed.
 */
export function deploymentEnvironment(app: App, env = process.env): { account: string; region: string } {
  const pick = (name: 'account' | 'region', variable: string, pattern: RegExp, example: string) => {
    const fromContext: unknown = app.node.tryGetContext(name);
    const value = fromContext ?? env[variable];
    const source = fromContext === undefined ? variable : `context ${name}`;
    if (value === undefined || value === '') {
      throw new Error(
        `the ${name} to deploy to is not set: pass -c ${name}=${example}, or run cdk with AWS credentials and a region configured (it sets ${variable})`,
      );
    }
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(`${source} must be an AWS ${name} like ${example}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  return {
    account: pick('account', 'CDK_DEFAULT_ACCOUNT', ACCOUNT, '123456789012'),
    region: pick('region', 'CDK_DEFAULT_REGION', REGION, 'eu-west-1'),
  };
}
