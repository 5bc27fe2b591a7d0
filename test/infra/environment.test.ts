import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { createStepwiseApp, deploymentEnvironment } from '../../lib/stepwise-app.ts';
import { TEST_ACCOUNT, TEST_REGION } from './support.ts';

const app = (context: Record<string, unknown> = {}) => new App({ context });

describe('the account and region the stacks deploy to', () => {
  it('are required: without them synth fails saying how to set each', () => {
    expect(() => deploymentEnvironment(app(), {})).toThrow(
      'the account to deploy to is not set: pass -c account=123456789012, or run cdk with AWS credentials and a region configured (it sets CDK_DEFAULT_ACCOUNT)',
    );
    expect(() => deploymentEnvironment(app({ account: TEST_ACCOUNT }), {})).toThrow(
      'the region to deploy to is not set: pass -c region=eu-west-1, or run cdk with AWS credentials and a region configured (it sets CDK_DEFAULT_REGION)',
    );
  });

  it('are what the CDK CLI found when the context does not say', () => {
    expect(
      deploymentEnvironment(app(), { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'cn-north-1' }),
    ).toEqual({ account: '111122223333', region: 'cn-north-1' });
  });

  it('come from context account and region first', () => {
    const env = { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'us-east-1' };
    expect(deploymentEnvironment(app({ account: TEST_ACCOUNT, region: TEST_REGION }), env)).toEqual({
      account: TEST_ACCOUNT,
      region: TEST_REGION,
    });
  });

  it('are refused naming where they came from when they are not an account or a region', () => {
    expect(() => deploymentEnvironment(app({ account: '1234', region: TEST_REGION }), {})).toThrow(
      'context account must be an AWS account like 123456789012, got "1234"',
    );
    expect(() =>
      deploymentEnvironment(app(), { CDK_DEFAULT_ACCOUNT: TEST_ACCOUNT, CDK_DEFAULT_REGION: 'Ireland' }),
    ).toThrow('CDK_DEFAULT_REGION must be an AWS region like eu-west-1, got "Ireland"');
  });

  it('are the Stepwise stack’s and the example’s, not left to CloudFormation', async () => {
    const { stack, example } = await createStepwiseApp({
      context: {
        account: '111122223333',
        region: 'ap-southeast-2',
        example: 'true',
        'aws:cdk:bundling-stacks': [],
      },
      registry: { services: [] },
    });
    expect([stack.account, stack.region]).toEqual(['111122223333', 'ap-southeast-2']);
    expect([example?.account, example?.region]).toEqual(['111122223333', 'ap-southeast-2']);
  });
});
