import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { EXPIRY_ATTRIBUTE, TABLE_KEYS } from '../../lambdas/adapters/dynamodb/table.ts';

/**
 * The one table: service configuration, locks, deployment summaries and the hash-chained audit
 * trail, keyed by `TABLE_KEYS` so that it matches the table the local runtime creates.
 *
 * The audit trail must outlive any stack operation: the table is retained when it leaves the
 * stack, deletion-protected and has point-in-time recovery.
 */
export class StepwiseTable extends TableV2 {
  constructor(scope: Construct, id: string) {
    const { partitionKey, sortKey, historyIndex } = TABLE_KEYS;
    super(scope, id, {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: historyIndex.name,
          partitionKey: { name: historyIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: historyIndex.sortKey, type: AttributeType.STRING },
        },
      ],
      // Expired locks and idempotency records are deleted by DynamoDB (within days of expiry: readers
      // still check the time); audit events and deployments carry no expiry and are kept.
      timeToLiveAttribute: EXPIRY_ATTRIBUTE,
      billing: Billing.onDemand(),
      // The AWS-managed key (aws/dynamodb) rather than a customer-managed one: its use is logged in
      // CloudTrail like any KMS key, but there is no key policy to own and no monthly key charge, and
      // the task roles need no kms: grants because DynamoDB uses the key on their behalf. Switch to
      // TableEncryptionV2.customerManagedKey() when a key must be shared, rotated or revoked by us.
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
