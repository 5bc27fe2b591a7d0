import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TABLE_KEYS } from '../lambdas/adapters/dynamodb/table.ts';

export const LOCAL_TABLE_NAME = 'stepwise';

export interface LocalDynamoDb {
  client: DynamoDBClient;
  endpoint: string;
  tableName: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite (a DynamoDB-protocol server) on an ephemeral loopback port, on disk under `dir`
 * (or in memory without it), and creates the same table the CDK stack creates. The client is the
 * real AWS SDK client: nothing in the store adapter knows it is not talking to AWS.
 */
export async function startLocalDynamoDb(dir?: string): Promise<LocalDynamoDb> {
  if (dir) mkdirSync(dir, { recursive: true });
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureTable(client, LOCAL_TABLE_NAME);
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    client,
    endpoint,
    tableName: LOCAL_TABLE_NAME,
    close: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.close(() => resolve());
      }),
  };
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { partitionKey, sortKey, historyIndex } = TABLE_KEYS;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: sortKey, AttributeType: 'S' },
        { AttributeName: historyIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: historyIndex.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: historyIndex.name,
          KeySchema: [
            { AttributeName: historyIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: historyIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  // dynalite reports a new table CREATING for a moment even with createTableMs 0: wait for ACTIVE.
  await waitUntilTableExists(
    { client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 },
    { TableName: tableName },
  );
}
