import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EXPIRY_ATTRIBUTE, TABLE_KEYS } from '../../lambdas/adapters/dynamodb/table.ts';
import { synthStepwise } from './support.ts';

const { stack, template, logicalId } = await synthStepwise();
const table = template.findResources('AWS::DynamoDB::GlobalTable')[logicalId(stack.table)];

describe('the table', () => {
  it('is the only table in the stack', () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'))).toHaveLength(1);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it('has the string keys of TABLE_KEYS', () => {
    expect(table?.Properties.KeySchema).toEqual([
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table?.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      ),
    );
  });

  it('has the byService index on gsi1pk/gsi1sk with every attribute', () => {
    const { historyIndex } = TABLE_KEYS;
    expect(table?.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: historyIndex.name,
        KeySchema: [
          { AttributeName: historyIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: historyIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it('deletes expired locks and idempotency records through TTL on expiresAt', () => {
    expect(EXPIRY_ATTRIBUTE).toBe('expiresAt');
    expect(table?.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('bills on demand', () => {
    expect(table?.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('is encrypted with the AWS-managed KMS key', () => {
    expect(table?.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
  });

  it('has point-in-time recovery and deletion protection', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('is retained when it leaves the stack or is replaced', () => {
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.UpdateReplacePolicy).toBe('Retain');
  });
});
