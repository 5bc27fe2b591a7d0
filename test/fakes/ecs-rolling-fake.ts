import {
  ClientException,
  type Deployment,
  type DeploymentConfiguration,
  type DescribeServicesCommandInput,
  type DescribeTaskDefinitionCommandInput,
  type ListTaskDefinitionsCommandInput,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type Tag,
  type TagResourceCommandInput,
  type TaskDefinition,
  type UntagResourceCommandInput,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { expect } from 'vitest';

export const ARN = 'arn:aws:ecs:eu-west-1:123456789012';
export const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web';
export const V1 = `${REPO}:1.0.0`;
export const V2 = `${REPO}:1.1.0`;
const meta = { $metadata: {} };

/** The provider config of the fake's service, as a registry entry names it. */
export const config = {
  cluster: 'prod',
  service: 'web',
  taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/web-exec',
};

/**
 * A small ECS: one service, its deployments and tags, and the task definition revisions of its
 * family. `replace(n)` and `settle()` play the scheduler's part between calls.
 */
export class FakeEcs {
  serviceArn = `${ARN}:service/prod/web`;
  desiredCount = 4;
  controller = 'ECS';
  deploymentConfiguration: DeploymentConfiguration = {
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    deploymentCircuitBreaker: { enable: false, rollback: false },
  };
  deployments: Deployment[] = [];
  tags = new Map<string, string>();
  revisions = new Map<string, { definition: TaskDefinition; tags: Tag[] }>();
  missing = false;
  /**
   * While a rollout runs, the scheduler replaces one task every this many DescribeServices reads,
   * as ECS does while the state machine waits (undefined: only when a test calls `replace`).
   */
  readsPerTask: number | undefined;
  /**
   * Once every task runs the primary revision, ECS reports the rollout COMPLETED only after this
   * many more DescribeServices reads (steady state; undefined: at once).
   */
  steadyReads: number | undefined;
  private untilSteady: number | undefined;
  private reads = 0;
  private sequence = 0;
  private failures = new Map<string, Error>();

  constructor() {
    const stable = this.addRevision(
      {
        family: 'web',
        cpu: '512',
        memory: '1024',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        taskRoleArn: `${ARN.replace(':ecs:eu-west-1', ':iam:')}:role/web-task`,
        executionRoleArn: `${ARN.replace(':ecs:eu-west-1', ':iam:')}:role/web-exec`,
        containerDefinitions: [
          {
            name: 'log-router',
            image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2',
            essential: false,
          },
          { name: 'web', image: V1, essential: true, portMappings: [{ containerPort: 8080 }] },
          { name: 'envoy', image: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1', essential: true },
        ],
      },
      [
        { key: 'team', value: 'shop' },
        { key: 'aws:cloudformation:stack-name', value: 'shop' },
      ],
    );
    this.deployments = [this.deployment(stable, 4, 'COMPLETED')];
  }

  /** Makes the next call of `command` fail with `error`, once. */
  failOnce(command: string, error: Error) {
    this.failures.set(command, error);
  }

  private maybeFail(command: string) {
    const error = this.failures.get(command);
    if (error) {
      this.failures.delete(command);
      throw error;
    }
  }

  addRevision(definition: TaskDefinition, tags: Tag[] = []): string {
    const revision =
      [...this.revisions.values()].filter((r) => r.definition.family === definition.family).length + 1;
    const taskDefinitionArn = `${ARN}:task-definition/${definition.family}:${revision}`;
    this.revisions.set(taskDefinitionArn, {
      definition: { ...structuredClone(definition), taskDefinitionArn, revision, status: 'ACTIVE' },
      tags,
    });
    return taskDefinitionArn;
  }

  private deployment(
    taskDefinition: string,
    running: number,
    rolloutState: Deployment['rolloutState'],
  ): Deployment {
    this.sequence += 1;
    return {
      id: `ecs-svc/${this.sequence}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: this.desiredCount,
      runningCount: running,
      pendingCount: 0,
      rolloutState,
    };
  }

  get primary(): Deployment {
    const primary = this.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary) throw new Error('no primary deployment');
    return primary;
  }

  image(revision: string | undefined): string | undefined {
    return this.revisions.get(revision ?? '')?.definition.containerDefinitions?.find((c) => c.name === 'web')
      ?.image;
  }

  service(withTags: boolean): Service {
    return {
      serviceArn: this.serviceArn,
      serviceName: 'web',
      clusterArn: `${ARN}:cluster/prod`,
      status: 'ACTIVE',
      desiredCount: this.desiredCount,
      runningCount: this.deployments.reduce((n, d) => n + (d.runningCount ?? 0), 0),
      taskDefinition: this.primary.taskDefinition,
      deploymentController: { type: this.controller as 'ECS' },
      deploymentConfiguration: structuredClone(this.deploymentConfiguration),
      deployments: structuredClone(this.deployments),
      ...(withTags ? { tags: [...this.tags].map(([key, value]) => ({ key, value })) } : {}),
    };
  }

  describeServices(input: DescribeServicesCommandInput) {
    this.maybeFail('DescribeServices');
    if (
      this.readsPerTask !== undefined &&
      this.deployments.length > 1 &&
      ++this.reads % this.readsPerTask === 0
    ) {
      this.replace(1);
    } else if (this.untilSteady !== undefined && --this.untilSteady <= 0) {
      this.untilSteady = undefined;
      this.primary.rolloutState = 'COMPLETED';
    }
    if (this.missing) return { services: [], failures: [{ arn: this.serviceArn, reason: 'MISSING' }] };
    expect(input).toMatchObject({ cluster: 'prod', services: ['web'] });
    return { services: [this.service(input.include?.includes('TAGS') ?? false)], failures: [] };
  }

  describeTaskDefinition(input: DescribeTaskDefinitionCommandInput) {
    this.maybeFail('DescribeTaskDefinition');
    const found = this.revisions.get(input.taskDefinition ?? '');
    if (!found) throw new ClientException({ message: 'Unable to describe task definition.', ...meta });
    return {
      taskDefinition: structuredClone(found.definition),
      ...(input.include?.includes('TAGS') ? { tags: structuredClone(found.tags) } : {}),
    };
  }

  listTaskDefinitions(input: ListTaskDefinitionsCommandInput) {
    const arns = [...this.revisions.values()]
      .filter((r) => r.definition.family?.startsWith(input.familyPrefix ?? ''))
      .sort((a, b) =>
        a.definition.family === b.definition.family
          ? (b.definition.revision ?? 0) - (a.definition.revision ?? 0)
          : (b.definition.family ?? '').localeCompare(a.definition.family ?? ''),
      )
      .map((r) => r.definition.taskDefinitionArn ?? '');
    return { taskDefinitionArns: arns };
  }

  register(input: RegisterTaskDefinitionCommandInput) {
    this.maybeFail('RegisterTaskDefinition');
    const { tags, ...definition } = input;
    const arn = this.addRevision(definition as TaskDefinition, tags ?? []);
    return { taskDefinition: structuredClone(this.revisions.get(arn)?.definition), tags };
  }

  update(input: UpdateServiceCommandInput) {
    this.maybeFail('UpdateService');
    expect(input).toMatchObject({ cluster: 'prod', service: 'web' });
    if (input.deploymentConfiguration)
      this.deploymentConfiguration = structuredClone(input.deploymentConfiguration);
    if (input.desiredCount !== undefined) {
      this.desiredCount = input.desiredCount;
      this.primary.desiredCount = input.desiredCount;
    }
    if (input.taskDefinition && input.taskDefinition !== this.primary.taskDefinition) {
      if (!this.revisions.has(input.taskDefinition)) {
        throw new ClientException({ message: 'TaskDefinition not found.', ...meta });
      }
      for (const d of this.deployments) d.status = 'ACTIVE';
      this.deployments.unshift(this.deployment(input.taskDefinition, 0, 'IN_PROGRESS'));
    }
    return { service: this.service(false) };
  }

  tag(input: TagResourceCommandInput) {
    this.maybeFail('TagResource');
    expect(input.resourceArn).toBe(this.serviceArn);
    for (const t of input.tags ?? []) this.tags.set(t.key ?? '', t.value ?? '');
    return {};
  }

  untag(input: UntagResourceCommandInput) {
    expect(input.resourceArn).toBe(this.serviceArn);
    for (const key of input.tagKeys ?? []) this.tags.delete(key);
    return {};
  }

  /** The scheduler starts `n` more tasks of the primary revision and stops as many older ones. */
  replace(n: number) {
    const primary = this.primary;
    for (let i = 0; i < n; i++) {
      primary.runningCount = (primary.runningCount ?? 0) + 1;
      const old = this.deployments.find((d) => d !== primary && (d.runningCount ?? 0) > 0);
      if (old) old.runningCount = (old.runningCount ?? 0) - 1;
    }
    this.deployments = this.deployments.filter((d) => d === primary || (d.runningCount ?? 0) > 0);
    if (this.deployments.length === 1 && primary.runningCount === primary.desiredCount) {
      if (this.steadyReads === undefined) primary.rolloutState = 'COMPLETED';
      else this.untilSteady = this.steadyReads;
    }
  }

  /** The scheduler reaches steady state: every task on the primary revision, at the desired count. */
  settle() {
    const primary = this.primary;
    primary.runningCount = this.desiredCount;
    primary.rolloutState = 'COMPLETED';
    this.deployments = [primary];
  }

  /** The deployment circuit breaker fails the candidate's deployment, and with rollback returns to `revision`. */
  breakCircuit(rollbackTo?: string) {
    this.primary.rolloutState = 'FAILED';
    this.primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    if (rollbackTo) {
      for (const d of this.deployments) d.status = 'ACTIVE';
      this.deployments.unshift(this.deployment(rollbackTo, 0, 'IN_PROGRESS'));
    }
  }
}
