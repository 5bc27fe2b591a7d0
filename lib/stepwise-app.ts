import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StepwiseStack } from './stepwise-stack.ts';

export interface StepwiseAppProps {
  /** Context on top of the CLI's (tests pass cdk.json's flags and skip bundling). @default - none */
  readonly context?: Record<string, unknown>;
}

/**
 * The CDK app: the `StepwiseStack` (stack name from context `stackName`, default `Stepwise`) checked
 * by cdk-nag's AwsSolutions pack. cdk-nag 3 is a policy-validation plugin, not an Aspect: its findings
 * go to the synth's validation report and any unacknowledged one fails the synth.
 */
export function createStepwiseApp(props: StepwiseAppProps = {}): { app: App; stack: StepwiseStack } {
  const app = new App({ context: props.context });
  const stackName: unknown = app.node.tryGetContext('stackName') ?? 'Stepwise';
  if (typeof stackName !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(stackName)) {
    throw new Error(
      `context stackName must be letters, digits and dashes, starting with a letter (at most 64), got ${JSON.stringify(stackName)}`,
    );
  }
  const stack = new StepwiseStack(app, 'StepwiseStack', {
    stackName,
    description: 'Stepwise: progressive delivery with Step Functions (state machines, task functions, table)',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
