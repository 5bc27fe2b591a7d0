import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { apiModelProblems, authorizationOf } from '../../support/aws-api.ts';
import { takeProblems } from '../../support/aws-calls.ts';
import { mockClient } from '../../support/aws-mock.ts';

const HERE = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };

describe('the API model check', () => {
  it('accepts a call that fits the operation', () => {
    expect(
      apiModelProblems('ECSClient', 'UpdateService', { cluster: 'prod', service: 'web', desiredCount: 2 }),
    ).toEqual([]);
  });

  it('names a missing required member, a misspelt one and a wrong type', () => {
    expect(
      apiModelProblems('ECSClient', 'UpdateService', { cluster: 'prod', servic: 'web', desiredCount: true }),
    ).toEqual([
      "UpdateService: Missing required key 'service' in params",
      "UpdateService: Unexpected key 'servic' found in params",
      'UpdateService: Expected params.desiredCount to be a number',
    ]);
  });

  it('knows an operation the service does not have', () => {
    expect(apiModelProblems('SFNClient', 'StartExecutions', {})).toEqual([
      'states has no operation StartExecutions',
    ]);
  });

  it('knows members AWS added after the v2 models, from the installed v3 client', () => {
    expect(
      apiModelProblems('AppConfigClient', 'StopDeployment', {
        ApplicationId: 'abc1234',
        EnvironmentId: 'env5678',
        DeploymentNumber: 3,
        AllowRevert: true,
      }),
    ).toEqual([]);
  });

  it("judges the document client's plain values as DynamoDB attribute values", () => {
    expect(
      apiModelProblems('DynamoDBDocumentClient', 'PutItem', { TableName: 't', Item: { pk: 'a', n: 1 } }),
    ).toEqual([]);
    expect(apiModelProblems('DynamoDBDocumentClient', 'PutItem', { Item: { pk: 'a' } })).toEqual([
      "PutItem: Missing required key 'TableName' in params",
    ]);
  });

  it('fails the test whose mocked client was sent what AWS would refuse', async () => {
    const ecs = mockClient(ECSClient);
    ecs.on(UpdateServiceCommand).resolves({});
    await new ECSClient({ region: 'eu-west-1' }).send(new UpdateServiceCommand({ cluster: 'prod' } as never));
    // Taken here so this test passes; left alone, test/setup.ts fails the test with them.
    expect(takeProblems()).toEqual(["ECSClient UpdateService: Missing required key 'service' in params"]);
    ecs.restore();
  });
});

describe('how IAM authorizes a call', () => {
  it('names a DynamoDB call by its table, or its index', () => {
    expect(
      authorizationOf('DynamoDBClient', 'Query', { TableName: 'stepwise', IndexName: 'byService' }, HERE),
    ).toEqual({
      action: 'dynamodb:Query',
      resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/stepwise/index/byService'],
    });
  });

  it('names an ECS service in the long ARN format, and an invocation as lambda:InvokeFunction', () => {
    expect(
      authorizationOf('ECSClient', 'UpdateService', { cluster: 'prod', service: 'web' }, HERE).resources,
    ).toEqual(['arn:aws:ecs:eu-west-1:123456789012:service/prod/web']);
    expect(authorizationOf('LambdaClient', 'Invoke', { FunctionName: 'stepwise-hook-smoke' }, HERE)).toEqual({
      action: 'lambda:InvokeFunction',
      resources: ['arn:aws:lambda:eu-west-1:123456789012:function:stepwise-hook-smoke'],
    });
  });

  it('adds iam:PassRole for the roles a new task definition passes', () => {
    const role = 'arn:aws:iam::123456789012:role/web-task';
    expect(
      authorizationOf('ECSClient', 'RegisterTaskDefinition', { family: 'web', taskRoleArn: role }, HERE)
        .implied,
    ).toEqual([{ required: true, action: 'iam:PassRole', resources: [role] }]);
  });
});
