import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  InvalidParameterException,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  ServerException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateInProgressException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  COPIED_FROM_TAG,
  EcsRollingTrafficProvider,
  ROLLOUT_TAGS,
} from '../../../../lambdas/adapters/traffic/ecs-rolling/ecs-rolling-provider.ts';
import {
  ConflictError,
  InvalidInputError,
  NotReadyYetError,
  ProviderError,
  ResourceNotFoundError,
  TransientError,
} from '../../../../lambdas/domain/errors.ts';
import type { TrafficProvider, TrafficTarget } from '../../../../lambdas/ports/traffic.ts';
import { ARN, FakeEcs, REPO, V1, V2 } from '../../../fakes/ecs-rolling-fake.ts';
import { mockClient } from '../../../support/aws-mock.ts';

const target: TrafficTarget = { service: 'web', stableVersion: V1, candidateVersion: V2 };
const ROLE = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const config = {
  cluster: 'prod',
  service: 'web',
  taskRoleArn: ROLE('web-task'),
  executionRoleArn: ROLE('web-exec'),
};

const meta = { $metadata: {} };
const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

const ecs = mockClient(ECSClient);
let fake: FakeEcs;
let provider: EcsRollingTrafficProvider;
const STABLE_REVISION = `${ARN}:task-definition/web:1`;
const CANDIDATE_REVISION = `${ARN}:task-definition/web:2`;

beforeEach(() => {
  ecs.reset();
  fake = new FakeEcs();
  ecs.on(DescribeServicesCommand).callsFake((input) => fake.describeServices(input));
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input) => fake.describeTaskDefinition(input));
  ecs.on(ListTaskDefinitionsCommand).callsFake((input) => fake.listTaskDefinitions(input));
  ecs.on(RegisterTaskDefinitionCommand).callsFake((input) => fake.register(input));
  ecs.on(UpdateServiceCommand).callsFake((input) => fake.update(input));
  ecs.on(TagResourceCommand).callsFake((input) => fake.tag(input));
  ecs.on(UntagResourceCommand).callsFake((input) => fake.untag(input));
  provider = new EcsRollingTrafficProvider(new ECSClient({ region: 'eu-west-1' }), config);
});

/** No call that changes something, only reads. */
function expectNoWrites() {
  expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  expect(ecs).not.toHaveReceivedCommand(TagResourceCommand);
  expect(ecs).not.toHaveReceivedCommand(UntagResourceCommand);
}

describe('EcsRollingTrafficProvider config', () => {
  const client = new ECSClient({ region: 'eu-west-1' });

  it('names a missing field', () => {
    expect(() => new EcsRollingTrafficProvider(client, { cluster: 'prod' })).toThrow(
      new InvalidInputError('providerConfig.service is required'),
    );
    expect(() => new EcsRollingTrafficProvider(client, undefined)).toThrow(
      'providerConfig.cluster is required',
    );
  });

  it('names an unknown field', () => {
    expect(() => new EcsRollingTrafficProvider(client, { ...config, listener: 'arn' })).toThrow(
      'providerConfig.listener is not a known field',
    );
  });

  it('names a bad value and shows it', () => {
    expect(() => new EcsRollingTrafficProvider(client, { ...config, maximumPercent: 90 })).toThrow(
      'providerConfig.maximumPercent must be >= 100, got 90',
    );
    expect(() => new EcsRollingTrafficProvider(client, { ...config, container: 'web app' })).toThrow(
      /^providerConfig\.container must match pattern/,
    );
  });

  it('refuses a deployment configuration that can never replace a task', () => {
    expect(
      () =>
        new EcsRollingTrafficProvider(client, { ...config, minimumHealthyPercent: 100, maximumPercent: 100 }),
    ).toThrow(
      /providerConfig\.maximumPercent \(100\) must be greater than providerConfig\.minimumHealthyPercent/,
    );
  });
});

describe('EcsRollingTrafficProvider.prepare', () => {
  it('registers a copy of the service revision with only the image changed, and runs nothing', async () => {
    const result = await provider.prepare(target);

    expect(result.ready).toBe(true);
    const copy = fake.revisions.get(CANDIDATE_REVISION);
    const base = fake.revisions.get(STABLE_REVISION);
    expect(copy?.definition.containerDefinitions).toEqual(
      base?.definition.containerDefinitions?.map((c) => (c.name === 'web' ? { ...c, image: V2 } : c)),
    );
    expect(copy?.definition).toMatchObject({
      family: 'web',
      cpu: '512',
      memory: '1024',
      networkMode: 'awsvpc',
      taskRoleArn: base?.definition.taskRoleArn,
      executionRoleArn: base?.definition.executionRoleArn,
    });
    expect(copy?.tags).toEqual([
      { key: 'team', value: 'shop' },
      { key: COPIED_FROM_TAG, value: STABLE_REVISION },
    ]);
    expect(Object.fromEntries(fake.tags)).toEqual({
      [ROLLOUT_TAGS.stable]: STABLE_REVISION,
      [ROLLOUT_TAGS.candidate]: CANDIDATE_REVISION,
      [ROLLOUT_TAGS.image]: V2,
      [ROLLOUT_TAGS.released]: '0',
    });
    expect(fake.primary.taskDefinition).toBe(STABLE_REVISION);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 100, [V2]: 0 });
  });

  it('registers once when asked again', async () => {
    await provider.prepare(target);
    ecs.resetHistory();
    expect(await provider.prepare(target)).toMatchObject({ ready: true });
    expectNoWrites();
  });

  it('reuses the copy it registered when recording the rollout failed', async () => {
    fake.failOnce('TagResource', throttling());
    await expect(provider.prepare(target)).rejects.toThrow(TransientError);
    await provider.prepare(target);
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
    expect(fake.tags.get(ROLLOUT_TAGS.candidate)).toBe(CANDIDATE_REVISION);
  });

  it('changes the named container', async () => {
    provider = new EcsRollingTrafficProvider(new ECSClient({ region: 'eu-west-1' }), {
      ...config,
      container: 'envoy',
    });
    const envoyTarget = { ...target, stableVersion: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1' };
    await provider.prepare(envoyTarget);
    const containers = fake.revisions.get(CANDIDATE_REVISION)?.definition.containerDefinitions;
    expect(containers?.find((c) => c.name === 'envoy')?.image).toBe(V2);
    expect(containers?.find((c) => c.name === 'web')?.image).toBe(V1);
  });

  it('says so when the service ran another image than the stable version', async () => {
    const result = await provider.prepare({ ...target, stableVersion: 'baseline (simulated)' });
    expect(result.detail).toContain(
      `the service ran ${V1}, not baseline (simulated): rollback restores what ran`,
    );
  });

  it('names a container that is not in the task definition', async () => {
    provider = new EcsRollingTrafficProvider(new ECSClient({ region: 'eu-west-1' }), {
      ...config,
      container: 'api',
    });
    await expect(provider.prepare(target)).rejects.toThrow(
      new ResourceNotFoundError(`container api not found in task definition ${STABLE_REVISION}`),
    );
  });

  it('refuses a service that already runs the candidate it did not prepare', async () => {
    await expect(provider.prepare({ ...target, candidateVersion: V1, stableVersion: V2 })).rejects.toThrow(
      ConflictError,
    );
    expectNoWrites();
  });

  it.each([
    ['CODE_DEPLOY', 'a CodeDeploy deployment of its own'],
    ['EXTERNAL', 'a task set deployment of its own'],
  ])('refuses, changing nothing, a service on the %s deployment controller', async (controller, why) => {
    fake.controller = controller;
    await expect(provider.prepare(target)).rejects.toThrow(
      new ProviderError(
        `ECS service web deploys with ${controller}; the ecs-rolling provider needs ECS rolling updates (deployment controller ECS, strategy ROLLING): a ${controller} service takes a new task definition only through ${why}`,
      ),
    );
    expectNoWrites();
  });

  it.each(['BLUE_GREEN', 'LINEAR', 'CANARY'] as const)(
    'refuses, changing nothing, a service on the ECS %s strategy',
    async (strategy) => {
      fake.deploymentConfiguration.strategy = strategy;
      await expect(provider.prepare(target)).rejects.toThrow(
        `ECS service web deploys with ECS (${strategy}); the ecs-rolling provider needs ECS rolling updates`,
      );
      expectNoWrites();
    },
  );

  it('refuses, changing nothing, a service with a short (pre-2021) ARN, pointing at the migration', async () => {
    fake.serviceArn = `${ARN}:service/web`;
    await expect(provider.prepare(target)).rejects.toMatchObject({
      name: 'Stepwise.ProviderFailed',
      message: expect.stringMatching(
        /^ECS service web has the short ARN arn:aws:ecs:eu-west-1:123456789012:service\/web \(created before 2021\), which ECS does not let Stepwise tag.*migrate it to the long ARN format, without downtime, as https:\/\/docs\.aws\.amazon\.com\/AmazonECS\/latest\/developerguide\/service-arn-migration\.html describes$/,
      ),
    });
    expectNoWrites();
  });

  it('refuses, naming the field and changing nothing, a task definition role the config does not name', async () => {
    const { taskRoleArn: _, ...withoutTaskRole } = config;
    provider = new EcsRollingTrafficProvider(new ECSClient({ region: 'eu-west-1' }), withoutTaskRole);
    await expect(provider.prepare(target)).rejects.toThrow(
      new InvalidInputError(
        `providerConfig.taskRoleArn is required: web:1 runs with task role ${ROLE('web-task')}, which registering the candidate's copy passes to ECS, and Stepwise may pass only the roles its config names`,
      ),
    );
    provider = new EcsRollingTrafficProvider(new ECSClient({ region: 'eu-west-1' }), {
      ...config,
      executionRoleArn: ROLE('admin'),
    });
    await expect(provider.prepare(target)).rejects.toThrow(
      `providerConfig.executionRoleArn is ${ROLE('admin')}, but web:1 runs with execution role ${ROLE('web-exec')}`,
    );
    expectNoWrites();
  });

  it('takes a role the task definition names by name as the configured ARN of that name', async () => {
    const stable = fake.revisions.get(STABLE_REVISION);
    if (stable) stable.definition.taskRoleArn = 'web-task';
    expect((await provider.prepare(target)).ready).toBe(true);
  });

  it('refuses a role ARN that is not one, naming the field', () => {
    expect(
      () =>
        new EcsRollingTrafficProvider(new ECSClient({ region: 'eu-west-1' }), {
          ...config,
          taskRoleArn: 'web-task',
        }),
    ).toThrow(/^providerConfig\.taskRoleArn must match pattern/);
  });
});

describe('EcsRollingTrafficProvider rolling', () => {
  it('prepares, shifts batch by batch and promotes: the service ends on the candidate revision', async () => {
    provider = new EcsRollingTrafficProvider(new ECSClient({ region: 'eu-west-1' }), {
      ...config,
      minimumHealthyPercent: 75,
      maximumPercent: 125,
      circuitBreaker: true,
    });
    await provider.prepare(target);

    // The first shift starts ECS's rolling update; nothing of it runs yet.
    await expect(provider.setWeights(target, { [V1]: 75, [V2]: 25 })).rejects.toThrow(
      new NotReadyYetError(
        `ECS is replacing the tasks of web: 0% of running tasks run ${V2}, waiting for 25%`,
      ),
    );
    expect(fake.primary.taskDefinition).toBe(CANDIDATE_REVISION);
    expect(fake.deploymentConfiguration).toEqual({
      maximumPercent: 125,
      minimumHealthyPercent: 75,
      deploymentCircuitBreaker: { enable: true, rollback: true },
    });

    fake.replace(1);
    await provider.setWeights(target, { [V1]: 75, [V2]: 25 });
    expect(await provider.getWeights(target)).toEqual({ [V1]: 75, [V2]: 25 });

    // ECS does not stop at a batch: it finishes while Stepwise bakes, and the weight stays at the released 25.
    fake.settle();
    expect(await provider.getWeights(target)).toEqual({ [V1]: 75, [V2]: 25 });

    await provider.setWeights(target, { [V1]: 50, [V2]: 50 });
    expect(await provider.getWeights(target)).toEqual({ [V1]: 50, [V2]: 50 });
    await provider.setWeights(target, { [V1]: 0, [V2]: 100 });
    await provider.promote(target);

    expect(await provider.getWeights(target)).toEqual({ [V1]: 0, [V2]: 100 });
    expect(fake.primary).toMatchObject({ taskDefinition: CANDIDATE_REVISION, rolloutState: 'COMPLETED' });
    expect(fake.image(fake.primary.taskDefinition)).toBe(V2);
    expect(fake.tags.get(ROLLOUT_TAGS.released)).toBe('100');
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });

  it('promotes only once ECS reports the rollout COMPLETED', async () => {
    await provider.prepare(target);
    await expect(provider.setWeights(target, { [V1]: 0, [V2]: 100 })).rejects.toThrow(TransientError);
    fake.replace(3);

    await expect(provider.promote(target)).rejects.toThrow(
      new NotReadyYetError(
        `ECS is still rolling web out to ${V2}: 3/4 tasks running, 1 older deployment(s) draining`,
      ),
    );
    fake.replace(1);
    await provider.promote(target);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 0, [V2]: 100 });
  });

  it('prepares, shifts and rolls back: the service ends on the stable revision', async () => {
    await provider.prepare(target);
    await expect(provider.setWeights(target, { [V1]: 75, [V2]: 25 })).rejects.toThrow(TransientError);
    fake.replace(1);
    await provider.setWeights(target, { [V1]: 75, [V2]: 25 });

    await expect(provider.rollback(target)).rejects.toThrow(
      new NotReadyYetError(`ECS is rolling web back to ${V1}: 1 task(s) still run ${V2}`),
    );
    expect(fake.primary.taskDefinition).toBe(STABLE_REVISION);
    fake.settle();
    await provider.rollback(target);

    expect(await provider.getWeights(target)).toEqual({ [V1]: 100, [V2]: 0 });
    expect(fake.image(fake.primary.taskDefinition)).toBe(V1);
    expect(fake.desiredCount).toBe(4);
    expect(fake.tags.get(ROLLOUT_TAGS.released)).toBe('0');
  });

  it('rolls back to the stable revision after ECS completed the rollout', async () => {
    await provider.prepare(target);
    await expect(provider.setWeights(target, { [V1]: 0, [V2]: 100 })).rejects.toThrow(TransientError);
    fake.settle();
    await expect(provider.rollback(target)).rejects.toThrow(TransientError);
    fake.settle();
    await provider.rollback(target);
    expect(fake.primary.taskDefinition).toBe(STABLE_REVISION);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 100, [V2]: 0 });
  });

  it('writes nothing when asked for the same weight again, or to roll back what never started', async () => {
    await provider.prepare(target);
    await expect(provider.setWeights(target, { [V1]: 75, [V2]: 25 })).rejects.toThrow(TransientError);
    fake.replace(2);
    await provider.setWeights(target, { [V1]: 75, [V2]: 25 });
    ecs.resetHistory();

    await provider.setWeights(target, { [V1]: 75, [V2]: 25 });
    expectNoWrites();

    fake = new FakeEcs();
    await provider.rollback(target);
    expectNoWrites();
  });

  it('refuses to shift a candidate that was never prepared', async () => {
    await expect(provider.setWeights(target, { [V1]: 50, [V2]: 50 })).rejects.toThrow(
      new ProviderError(
        `ECS service web has no revision prepared for ${V2}: Prepare candidate must run first`,
      ),
    );
    expectNoWrites();
  });

  it('refuses weights that name a third version', async () => {
    await expect(provider.setWeights(target, { [V1]: 50, v9: 50 })).rejects.toThrow(InvalidInputError);
  });

  it('reports what ECS says when its circuit breaker failed the rollout', async () => {
    await provider.prepare(target);
    await expect(provider.setWeights(target, { [V1]: 75, [V2]: 25 })).rejects.toThrow(TransientError);
    fake.breakCircuit(STABLE_REVISION);

    await expect(provider.setWeights(target, { [V1]: 50, [V2]: 50 })).rejects.toThrow(
      new ProviderError(
        `ECS failed the rollout of ${V2} on web: ECS deployment circuit breaker: tasks failed to start.`,
      ),
    );
    await expect(provider.promote(target)).rejects.toThrow(ProviderError);
    fake.settle();
    await provider.rollback(target);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 100, [V2]: 0 });
  });

  it('does not restart a rollout that someone moved the service off', async () => {
    await provider.prepare(target);
    await expect(provider.setWeights(target, { [V1]: 75, [V2]: 25 })).rejects.toThrow(TransientError);
    fake.update({ cluster: 'prod', service: 'web', taskDefinition: STABLE_REVISION });
    ecs.resetHistory();

    await expect(provider.setWeights(target, { [V1]: 50, [V2]: 50 })).rejects.toThrow(ConflictError);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('reads a third image by its name', async () => {
    const other = fake.addRevision({
      family: 'web',
      containerDefinitions: [{ name: 'web', image: `${REPO}:hotfix`, essential: true }],
    });
    fake.update({ cluster: 'prod', service: 'web', taskDefinition: other });
    fake.replace(1);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 75, [V2]: 0, [`${REPO}:hotfix`]: 25 });
  });
});

describe('EcsRollingTrafficProvider recreate', () => {
  it('stops the stable version, starts the candidate at the remembered count, and promotes', async () => {
    await provider.prepare(target);
    await provider.stopStart.stopVersion(target, V1);
    expect(fake.desiredCount).toBe(0);
    expect(fake.tags.get(ROLLOUT_TAGS.desiredCount)).toBe('4');
    fake.settle();

    ecs.resetHistory();
    await provider.stopStart.stopVersion(target, V1);
    expectNoWrites();

    await provider.stopStart.startVersion(target, V2);
    expect(fake.primary).toMatchObject({ taskDefinition: CANDIDATE_REVISION, desiredCount: 4 });
    expect(fake.tags.has(ROLLOUT_TAGS.desiredCount)).toBe(false);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 0, [V2]: 100 });

    ecs.resetHistory();
    await provider.stopStart.startVersion(target, V2);
    expectNoWrites();

    fake.settle();
    await provider.promote(target);
    expect(await provider.getWeights(target)).toEqual({ [V1]: 0, [V2]: 100 });
  });

  it('rolls back a stopped stable version to its remembered count', async () => {
    await provider.prepare(target);
    await provider.stopStart.stopVersion(target, V1);
    fake.settle();

    await provider.rollback(target);
    expect(fake.primary).toMatchObject({ taskDefinition: STABLE_REVISION, desiredCount: 4 });
    expect(fake.tags.has(ROLLOUT_TAGS.desiredCount)).toBe(false);
    fake.settle();
    expect(await provider.getWeights(target)).toEqual({ [V1]: 100, [V2]: 0 });
  });

  it('rolls back a started candidate to the stable revision at the same count', async () => {
    await provider.prepare(target);
    await provider.stopStart.stopVersion(target, V1);
    fake.settle();
    await provider.stopStart.startVersion(target, V2);
    fake.settle();

    await expect(provider.rollback(target)).rejects.toThrow(TransientError);
    fake.settle();
    await provider.rollback(target);
    expect(fake.primary).toMatchObject({ taskDefinition: STABLE_REVISION, desiredCount: 4 });
    expect(await provider.getWeights(target)).toEqual({ [V1]: 100, [V2]: 0 });
  });

  it('refuses to start with no count to start at', async () => {
    await provider.prepare(target);
    fake.update({ cluster: 'prod', service: 'web', desiredCount: 0 });
    await expect(provider.stopStart.startVersion(target, V2)).rejects.toThrow(ProviderError);
  });

  it('refuses a version that is neither stable nor candidate', async () => {
    await provider.prepare(target);
    await expect(provider.stopStart.stopVersion(target, 'v0')).rejects.toThrow(InvalidInputError);
  });
});

describe('EcsRollingTrafficProvider segments', () => {
  it('has no segment routing: an ECS service has no request routing', () => {
    const port: TrafficProvider = provider;
    expect(port.segments).toBeUndefined();
  });
});

describe('EcsRollingTrafficProvider errors', () => {
  it('names a missing service', async () => {
    fake.missing = true;
    await expect(provider.getWeights(target)).rejects.toThrow(
      new ResourceNotFoundError('ECS service web not found in cluster prod (MISSING)'),
    );
  });

  it('names a missing cluster', async () => {
    fake.failOnce(
      'DescribeServices',
      new ClusterNotFoundException({ message: 'Cluster not found.', ...meta }),
    );
    await expect(provider.prepare(target)).rejects.toThrow(
      new ResourceNotFoundError('ECS cluster prod not found'),
    );
  });

  it('names a missing revision', async () => {
    fake.revisions.delete(STABLE_REVISION);
    await expect(provider.prepare(target)).rejects.toThrow(
      new ResourceNotFoundError(`task definition ${STABLE_REVISION} not found`),
    );
  });

  it('turns throttling and ECS server errors into TransientError', async () => {
    fake.failOnce('DescribeServices', throttling());
    await expect(provider.getWeights(target)).rejects.toThrow(TransientError);
    fake.failOnce('DescribeTaskDefinition', new ServerException({ message: 'Service unavailable', ...meta }));
    await expect(provider.prepare(target)).rejects.toThrow(TransientError);
  });

  it('turns an update in progress into ConflictError', async () => {
    await provider.prepare(target);
    fake.failOnce('UpdateService', new UpdateInProgressException({ message: 'Update in progress', ...meta }));
    await expect(provider.setWeights(target, { [V1]: 50, [V2]: 50 })).rejects.toThrow(ConflictError);
  });

  it('turns a refused request into ProviderError', async () => {
    await provider.prepare(target);
    fake.failOnce(
      'UpdateService',
      new InvalidParameterException({ message: 'maximumPercent is invalid', ...meta }),
    );
    await expect(provider.setWeights(target, { [V1]: 50, [V2]: 50 })).rejects.toThrow(
      new ProviderError('updating ECS service web: InvalidParameterException: maximumPercent is invalid'),
    );
  });
});
