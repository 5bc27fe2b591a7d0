import {
  GetAliasCommand,
  GetFunctionCommand,
  InvalidParameterValueException,
  LambdaClient,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { lambdaAliasConfigSchema } from '../../../../lambdas/adapters/traffic/lambda-alias/config.ts';
import { LambdaAliasTrafficProvider } from '../../../../lambdas/adapters/traffic/lambda-alias/lambda-alias-provider.ts';
import {
  ConflictError,
  InvalidInputError,
  ProviderError,
  ResourceNotFoundError,
  TransientError,
} from '../../../../lambdas/domain/errors.ts';
import type { PrepareResult, TrafficProvider, TrafficTarget } from '../../../../lambdas/ports/traffic.ts';
import { ARN, awsError, config, FakeLambda, REPO, V2, V3 } from '../../../fakes/lambda-fake.ts';
import { mockClient } from '../../../support/aws-mock.ts';

const lambda = mockClient(LambdaClient);
let fake: FakeLambda;
let provider: LambdaAliasTrafficProvider;
const first: TrafficTarget = {
  service: 'checkout',
  stableVersion: 'baseline (simulated)',
  candidateVersion: V2,
};

beforeEach(() => {
  lambda.reset();
  fake = new FakeLambda();
  fake.install(lambda);
  provider = new LambdaAliasTrafficProvider(new LambdaClient({ region: 'eu-west-1' }), config);
});

/** Asks as the state machine does, until ready; returns every answer. */
async function prepareUntilReady(target: TrafficTarget = first): Promise<PrepareResult[]> {
  const answers: PrepareResult[] = [];
  for (let i = 0; i < 10; i++) {
    const answer = await provider.prepare(target);
    answers.push(answer);
    if (answer.ready) return answers;
  }
  throw new Error(`not ready after 10 calls: ${JSON.stringify(answers)}`);
}

describe('lambda-alias config', () => {
  const build = (providerConfig: unknown) => () =>
    new LambdaAliasTrafficProvider(new LambdaClient({}), providerConfig);

  it('exports its JSON schema with the required fields', () => {
    expect(lambdaAliasConfigSchema.required).toEqual(['functionName', 'alias']);
  });

  it('accepts a function ARN and a ready timeout', () => {
    expect(build({ functionName: ARN, alias: 'live', readyTimeoutSeconds: 600 })).not.toThrow();
  });

  it('refuses a config without functionName, naming the field', () => {
    expect(build({ alias: 'live' })).toThrow(
      new InvalidInputError('providerConfig.functionName is required'),
    );
    expect(build(undefined)).toThrow('providerConfig.functionName is required');
  });

  it('refuses a qualified function name, naming the field and the value', () => {
    expect(build({ functionName: 'checkout:live', alias: 'live' })).toThrow(
      /^providerConfig\.functionName must match pattern .*, got "checkout:live"$/,
    );
  });

  it('refuses an alias name Lambda would refuse', () => {
    expect(build({ functionName: 'checkout', alias: '42' })).toThrow(
      /^providerConfig\.alias must match pattern/,
    );
  });

  it('refuses a fractional ready timeout and an unknown field', () => {
    expect(build({ ...config, readyTimeoutSeconds: 1.5 })).toThrow(
      'providerConfig.readyTimeoutSeconds must be integer, got 1.5',
    );
    expect(build({ ...config, listenerArn: 'x' })).toThrow('providerConfig.listenerArn is not a known field');
  });
});

describe('LambdaAliasTrafficProvider.prepare', () => {
  it('updates the code, answers not ready while the update runs, then publishes a version naming the artifact', async () => {
    const answers = await prepareUntilReady();

    expect(answers.map((a) => a.ready)).toEqual([false, false, true]);
    expect(answers[1]?.detail).toBe(`function checkout is updating to ${V2}`);
    expect(answers[2]?.detail).toBe(`version 2 of function checkout runs ${V2}`);
    expect(fake.versions.at(-1)).toMatchObject({
      Version: '2',
      ImageUri: V2,
      Description: `Stepwise deployed ${V2} (replacing version 1)`,
    });
    expect(fake.alias).toMatchObject({ FunctionVersion: '1', weights: {} });
    expect(await provider.getWeights(first)).toEqual({ 'baseline (simulated)': 100 });
  });

  it("says where each version's own metrics are: the alias's invocations by executed version", async () => {
    await prepareUntilReady();
    const specs = await provider.versionMetrics(first);
    // The candidate was published as version 2; the alias serves version 1.
    expect(specs.candidate.requests).toEqual({
      namespace: 'AWS/Lambda',
      metricName: 'Invocations',
      dimensions: { FunctionName: 'checkout', Resource: 'checkout:live', ExecutedVersion: '2' },
    });
    expect(specs.candidate.errors.metricName).toBe('Errors');
    expect(specs.candidate.latency).toMatchObject({ metricName: 'Duration', unitMs: 1 });
    expect(specs.baseline.requests.dimensions.ExecutedVersion).toBe('1');
  });

  it('publishes no second version when prepare is asked again', async () => {
    await prepareUntilReady();
    expect(await provider.prepare(first)).toEqual({
      ready: true,
      detail: `version 2 of function checkout runs ${V2}`,
    });

    expect(lambda).toHaveReceivedCommandTimes(PublishVersionCommand, 1);
    expect(lambda).toHaveReceivedCommandTimes(UpdateFunctionCodeCommand, 1);
    expect(fake.versions).toHaveLength(2);
  });

  it('deploys a .zip package from S3 and follows it by the code tag', async () => {
    fake.packageType = 'Zip';
    fake.code = { s3: 's3://artifacts/checkout-1.zip' };
    const zip = { ...first, candidateVersion: 's3://artifacts/checkout-2.zip' };

    const answers = await prepareUntilReady(zip);

    expect(answers.map((a) => a.ready)).toEqual([false, false, true]);
    expect(lambda).toHaveReceivedCommandWith(UpdateFunctionCodeCommand, {
      S3Bucket: 'artifacts',
      S3Key: 'checkout-2.zip',
    });
    expect(fake.versions.at(-1)).toMatchObject({
      Version: '2',
      CodeSha256: 'sha-of-s3://artifacts/checkout-2.zip',
      Description: 'Stepwise deployed s3://artifacts/checkout-2.zip (replacing version 1)',
    });
    expect(await provider.prepare(zip)).toMatchObject({ ready: true });
    expect(lambda).toHaveReceivedCommandTimes(PublishVersionCommand, 1);
  });

  it('refuses a .zip outside providerConfig.artifactBucket before updating anything', async () => {
    fake.packageType = 'Zip';
    fake.code = { s3: 's3://artifacts/checkout-1.zip' };
    const scoped = new LambdaAliasTrafficProvider(new LambdaClient({ region: 'eu-west-1' }), {
      ...config,
      artifactBucket: 'artifacts',
    });

    await expect(
      scoped.prepare({ ...first, candidateVersion: 's3://elsewhere/checkout-2.zip' }),
    ).rejects.toThrow(
      new InvalidInputError(
        "s3://elsewhere/checkout-2.zip is not in providerConfig.artifactBucket 'artifacts', the only bucket Stepwise may read .zip packages from",
      ),
    );
    expect(lambda).toHaveReceivedCommandTimes(UpdateFunctionCodeCommand, 0);
    expect(
      await scoped.prepare({ ...first, candidateVersion: 's3://artifacts/checkout-2.zip' }),
    ).toMatchObject({
      ready: false,
    });
  });

  it('updates again when someone else changed $LATEST between two prepare calls', async () => {
    expect(await provider.prepare(first)).toMatchObject({ ready: false });
    fake.finishUpdate();
    fake.changeLatest({ imageUri: `${REPO}:hotfix` });

    await prepareUntilReady();

    expect(lambda).toHaveReceivedCommandTimes(UpdateFunctionCodeCommand, 2);
    expect(fake.versions.at(-1)).toMatchObject({ Version: '2', ImageUri: V2 });
  });

  it('does not publish a .zip $LATEST whose code changed after Stepwise updated it', async () => {
    fake.packageType = 'Zip';
    fake.code = { s3: 's3://artifacts/checkout-1.zip' };
    const zip = { ...first, candidateVersion: 's3://artifacts/checkout-2.zip' };
    await provider.prepare(zip);
    fake.finishUpdate();
    fake.changeLatest({ s3: 's3://someone/else.zip' });

    await prepareUntilReady(zip);

    expect(lambda).toHaveReceivedCommandTimes(UpdateFunctionCodeCommand, 2);
    expect(fake.versions.at(-1)).toMatchObject({ CodeSha256: 'sha-of-s3://artifacts/checkout-2.zip' });
  });

  it('waits for an update it did not start instead of updating over it', async () => {
    fake.changeLatest({ imageUri: `${REPO}:hotfix` });

    expect(await provider.prepare(first)).toEqual({
      ready: false,
      detail: `function checkout is busy with an update Stepwise did not start; ${V2} waits`,
    });
    expect(lambda).not.toHaveReceivedCommand(UpdateFunctionCodeCommand);
  });

  it('fails with the reason Lambda gives when the update fails', async () => {
    fake.nextUpdate = { fails: { code: 'ImageAccessDenied', reason: 'cannot pull the image' } };
    await provider.prepare(first);
    await provider.prepare(first);

    await expect(provider.prepare(first)).rejects.toThrow(
      new ProviderError(
        `updating function checkout to ${V2} failed: ImageAccessDenied: cannot pull the image`,
      ),
    );
    expect(fake.versions).toHaveLength(1);
  });

  it('answers not ready while the published version is pending', async () => {
    fake.publishedState = 'Pending';

    const answers = await prepareUntilReady();

    expect(answers.map((a) => a.ready)).toEqual([false, false, false, true]);
    expect(answers[2]?.detail).toBe(`version 2 of function checkout (${V2}) is Pending`);
    expect(lambda).toHaveReceivedCommandTimes(PublishVersionCommand, 1);
  });

  it('refuses an alias that points at $LATEST before changing anything', async () => {
    fake.alias.FunctionVersion = '$LATEST';

    await expect(provider.prepare(first)).rejects.toThrow(ProviderError);
    await expect(provider.prepare(first)).rejects.toThrow(
      /alias live of function checkout points at \$LATEST/,
    );
    expect(lambda).not.toHaveReceivedCommand(UpdateFunctionCodeCommand);
  });

  it('refuses a .zip artifact for an image function', async () => {
    await expect(
      provider.prepare({ ...first, candidateVersion: 's3://artifacts/checkout-2.zip' }),
    ).rejects.toThrow(
      'function checkout is packaged as Image, so it cannot run s3://artifacts/checkout-2.zip (a .zip package)',
    );
  });

  it('refuses a candidate identical to the version the alias serves', async () => {
    fake.code = { imageUri: V2 };

    await expect(provider.prepare(first)).rejects.toThrow(
      `${V2} is what alias live of function checkout already serves: $LATEST matches version 1, so Lambda published no new version`,
    );
  });

  it('reports a conflicting update as a ConflictError', async () => {
    lambda
      .on(UpdateFunctionCodeCommand)
      .rejects(awsError(ResourceConflictException, 'An update is in progress for resource: checkout'));

    await expect(provider.prepare(first)).rejects.toThrow(ConflictError);
  });
});

describe('LambdaAliasTrafficProvider traffic', () => {
  it('shifts by weight, then promotes: the alias ends on the new version with no routing config', async () => {
    await prepareUntilReady();

    await provider.setWeights(first, { 'baseline (simulated)': 90, [V2]: 10 });
    expect(fake.alias).toMatchObject({ FunctionVersion: '1', weights: { '2': 0.1 } });
    expect(await provider.getWeights(first)).toEqual({ 'baseline (simulated)': 90, [V2]: 10 });

    await provider.setWeights(first, { 'baseline (simulated)': 50, [V2]: 50 });
    expect(await provider.getWeights(first)).toEqual({ 'baseline (simulated)': 50, [V2]: 50 });

    await provider.promote(first);
    expect(fake.alias).toMatchObject({ FunctionVersion: '2', weights: {} });
    expect(fake.getAlias({ FunctionName: 'checkout', Name: 'live' }).RoutingConfig).toBeUndefined();
    expect(await provider.getWeights(first)).toEqual({ [V2]: 100 });
  });

  it('rolls back to the old version with no routing config', async () => {
    await prepareUntilReady();
    await provider.setWeights(first, { 'baseline (simulated)': 75, [V2]: 25 });

    await provider.rollback(first);

    expect(fake.alias).toMatchObject({ FunctionVersion: '1', weights: {} });
    expect(await provider.getWeights(first)).toEqual({ 'baseline (simulated)': 100 });
  });

  it('rolls back after a promote to the version the candidate replaced', async () => {
    await prepareUntilReady();
    await provider.promote(first);

    await provider.rollback(first);

    expect(fake.alias).toMatchObject({ FunctionVersion: '1', weights: {} });
  });

  it('finds a stable version Stepwise published by its description', async () => {
    await prepareUntilReady();
    await provider.promote(first);
    const second: TrafficTarget = { service: 'checkout', stableVersion: V2, candidateVersion: V3 };
    await prepareUntilReady(second);
    await provider.setWeights(second, { [V2]: 80, [V3]: 20 });
    expect(await provider.getWeights(second)).toEqual({ [V2]: 80, [V3]: 20 });

    await provider.promote(second);
    await provider.rollback(second);

    expect(fake.alias).toMatchObject({ FunctionVersion: '2', weights: {} });
    expect(await provider.getWeights(second)).toEqual({ [V2]: 100 });
  });

  it('writes the alias once when the same weights are set twice', async () => {
    await prepareUntilReady();

    await provider.setWeights(first, { 'baseline (simulated)': 90, [V2]: 10 });
    await provider.setWeights(first, { 'baseline (simulated)': 90, [V2]: 10 });

    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
  });

  it('writes nothing to promote or roll back when the alias is already there', async () => {
    await prepareUntilReady();
    await provider.rollback(first);
    await provider.promote(first);
    await provider.promote(first);

    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
  });

  it('names a version the deployment does not know by its number', async () => {
    await prepareUntilReady();
    fake.versions.push({ Version: '3', Description: '', CodeSha256: 'x', State: 'Active' });
    fake.alias.weights = { '3': 0.05 };

    expect(await provider.getWeights(first)).toEqual({ 'baseline (simulated)': 95, 'version 3': 5 });
  });

  it('refuses weights for a candidate that was never prepared', async () => {
    await expect(provider.setWeights(first, { 'baseline (simulated)': 90, [V2]: 10 })).rejects.toThrow(
      new ProviderError(`no version of function checkout was published for ${V2}: prepare it first`),
    );
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('refuses weights for a third version', async () => {
    await expect(provider.setWeights(first, { 'baseline (simulated)': 90, other: 10 })).rejects.toThrow(
      InvalidInputError,
    );
  });
});

describe('LambdaAliasTrafficProvider errors', () => {
  it('turns throttling and service faults into TransientError', async () => {
    lambda.on(GetAliasCommand).rejects(awsError(TooManyRequestsException, 'Rate exceeded'));
    await expect(provider.getWeights(first)).rejects.toThrow(TransientError);

    lambda.on(GetAliasCommand).rejects(awsError(ServiceException, 'internal error'));
    await expect(provider.getWeights(first)).rejects.toThrow(TransientError);
  });

  it('names the alias or the function that does not exist', async () => {
    await expect(
      new LambdaAliasTrafficProvider(new LambdaClient({}), { ...config, alias: 'gone' }).getWeights(first),
    ).rejects.toThrow(ResourceNotFoundError);
    await expect(
      new LambdaAliasTrafficProvider(new LambdaClient({}), { ...config, alias: 'gone' }).getWeights(first),
    ).rejects.toThrow(/^alias gone of function checkout not found/);

    lambda.on(GetFunctionCommand).rejects(awsError(ResourceNotFoundException, `Function not found: ${ARN}`));
    await expect(provider.prepare(first)).rejects.toThrow(/^function checkout not found/);
  });

  it('reports an alias changed meanwhile as a ConflictError', async () => {
    await prepareUntilReady();
    lambda.on(UpdateAliasCommand).rejects(awsError(PreconditionFailedException, 'RevisionId does not match'));

    await expect(provider.promote(first)).rejects.toThrow(ConflictError);
  });

  it('reports a refused parameter as a ProviderError', async () => {
    lambda
      .on(UpdateFunctionCodeCommand)
      .rejects(awsError(InvalidParameterValueException, 'Source image does not exist'));

    await expect(provider.prepare(first)).rejects.toThrow(ProviderError);
    await expect(provider.prepare(first)).rejects.toThrow(/Source image does not exist/);
  });

  it('has neither segment routing nor stopping and starting: an alias splits by weight only', () => {
    const port: TrafficProvider = provider;
    expect(port.segments).toBeUndefined();
    expect(port.stopStart).toBeUndefined();
  });
});
