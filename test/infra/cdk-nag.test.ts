import { Validations } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../lambdas/domain/strategy-names.ts';
import { HOOK_FUNCTION_PREFIX, TASKS } from '../../lambdas/tasks.ts';
import { buildStepwise } from './support.ts';

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack', async () => {
    const { app } = await buildStepwise();
    const findings = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
    expect(findings).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged with the account’s API Gateway CloudWatch role set up too', async () => {
    const { app } = await buildStepwise({ context: { apiGatewayCloudWatchRole: true } });
    const findings = new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);
    expect(findings).toEqual([]);
  });

  it('fails the synth on a finding', async () => {
    const { app, stack } = await buildStepwise();
    new Table(stack, 'Unprotected', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
  });

  it('is acknowledged only for the wildcards X-Ray, log delivery, alarm reads, hooks, approvals, bakes and executions need, and the API and dead-letter queue findings listed, each with a reason', async () => {
    const { app } = await buildStepwise();
    const acknowledged = app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
            at: construct.node.path,
            id,
            reason,
          })),
        ),
    );
    const everything = (at: string) => `${at} Annotation::AwsSolutions-IAM5[Resource::*]`;
    const executions = (at: string) =>
      STRATEGIES.map(
        (name) =>
          `${at} Annotation::AwsSolutions-IAM5[Resource::` +
          `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Stepwise-${name}:*]`,
      );
    const control = ['Api', 'Dispatch', 'Reconcile'].map((id) => `StepwiseStack/Control/${id}/Handler`);
    const restApi = 'StepwiseStack/Control/Api/RestApi';
    expect(acknowledged.map(({ at, id }) => `${at} ${id}`).sort()).toEqual(
      [
        ...TASKS.map((task) => everything(`StepwiseStack/Tasks/${task.id}/Role/DefaultPolicy`)),
        everything('StepwiseStack/Tasks/StartDeployment/Role/Resource'),
        everything('StepwiseStack/Tasks/CheckAlarms/Role/Resource'),
        'StepwiseStack/Tasks/RunHook/Role/Resource Annotation::AwsSolutions-IAM5[Resource::' +
          `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${HOOK_FUNCTION_PREFIX}*]`,
        // The deployments' own comparison alarms, stepwise-*: created by one task, deleted by one task and the reconciler.
        ...['Tasks/PrepareCandidate', 'Tasks/RecordEvent', 'Control/Reconcile/Handler'].map(
          (at) =>
            `StepwiseStack/${at}/Role/Resource Annotation::AwsSolutions-IAM5[Resource::` +
            'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:stepwise-*]',
        ),
        ...['Canary', 'Linear', 'AllAtOnce', 'BlueGreen', 'Rolling', 'Recreate', 'AbSegment', 'Ring'].map(
          (id) => everything(`StepwiseStack/${id}/StateMachine/Role/DefaultPolicy`),
        ),
        ...['canary', 'linear', 'all-at-once', 'blue-green', 'rolling', 'recreate', 'ab-segment'].map(
          (child) =>
            'StepwiseStack/Ring/StartChildren Annotation::AwsSolutions-IAM5[Resource::' +
            `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Stepwise-${child}:*]`,
        ),
        // The control functions: X-Ray, and stopping or describing executions of the Stepwise state machines.
        ...control.flatMap((at) => [
          everything(`${at}/Role/DefaultPolicy`),
          ...executions(`${at}/Role/Resource`),
        ]),
        // The API's approvals (states:SendTaskSuccess) and pre-flight alarm reads.
        everything('StepwiseStack/Control/Api/Handler/Role/Resource'),
        `${restApi} Annotation::AwsSolutions-APIG2`,
        `${restApi} Annotation::AwsSolutions-COG4`,
        `${restApi}/DeploymentStage.v1 Annotation::AwsSolutions-APIG3`,
        'StepwiseStack/Control/Dispatch/DeadLetterQueue Annotation::AwsSolutions-SQS3',
        'StepwiseStack/Control/Reconcile/DeadLetterQueue Annotation::AwsSolutions-SQS3',
        // The alarm-changed function: X-Ray, and failing bakes' task tokens (states:SendTaskFailure).
        everything('StepwiseStack/Control/AlarmChanged/Handler/Role/DefaultPolicy'),
        everything('StepwiseStack/Control/AlarmChanged/Handler/Role/Resource'),
        'StepwiseStack/Control/AlarmChanged/DeadLetterQueue Annotation::AwsSolutions-SQS3',
      ].sort(),
    );
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });
});
