import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../../lambdas/adapters/dynamodb/dynamodb-store.ts';
import { chainEvent, verifyChain } from '../../../lambdas/domain/audit.ts';
import { LockHeldError, StepwiseError, TransientError } from '../../../lambdas/domain/errors.ts';
import { mockClient } from '../../support/aws-mock.ts';
import { auditInput, deploymentSummary, T0 } from '../fixtures.ts';

/** The store over a mocked DynamoDB: what it sends, and what it makes of DynamoDB's errors. */
const ddb = mockClient(DynamoDBDocumentClient);
const TABLE = 'stepwise-test';
let store: DynamoDbStore;

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds', $metadata: {} });

/** An event as the table holds it, key attributes included. */
function stored(event: ReturnType<typeof chainEvent>) {
  return {
    pk: `DEPLOYMENT#${event.deploymentId}`,
    sk: `EVENT#${String(event.seq).padStart(6, '0')}`,
    ...event,
  };
}

beforeEach(() => {
  ddb.reset();
  store = new DynamoDbStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
});

describe('acquireLock', () => {
  it('takes the lock with a conditional put that lets the holder in again and an expired lock be taken', async () => {
    ddb.on(PutCommand).resolves({});
    await store.acquireLock('shop', 'dep-1', T0, 600);
    const nowSeconds = T0.getTime() / 1000;
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        pk: 'SERVICE#shop',
        sk: 'LOCK',
        holder: 'dep-1',
        acquiredAt: T0.toISOString(),
        expiresAt: nowSeconds + 600,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR holder = :me OR expiresAt < :now',
      ExpressionAttributeValues: { ':me': 'dep-1', ':now': nowSeconds },
    });
  });

  it('throws LockHeldError naming the holder when the condition fails', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand, { Key: { pk: 'SERVICE#shop', sk: 'LOCK' } }).resolves({
      Item: { pk: 'SERVICE#shop', sk: 'LOCK', holder: 'dep-0', acquiredAt: '2026-03-01T09:00:00Z' },
    });
    const taking = store.acquireLock('shop', 'dep-1', T0, 600);
    await expect(taking).rejects.toThrow(LockHeldError);
    await expect(taking).rejects.toMatchObject({
      name: 'Stepwise.LockHeld',
      message: 'service shop is locked by deployment dep-0 since 2026-03-01T09:00:00Z',
    });
  });

  it('turns throttling into a TransientError', async () => {
    ddb.on(PutCommand).rejects(throttled());
    const taking = store.acquireLock('shop', 'dep-1', T0, 600);
    await expect(taking).rejects.toThrow(TransientError);
    await expect(taking).rejects.toMatchObject({
      name: 'Stepwise.Transient',
      message: expect.stringContaining('ProvisionedThroughputExceededException'),
    });
  });

  it('passes other errors through unchanged', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    ddb.on(PutCommand).rejects(denied);
    await expect(store.acquireLock('shop', 'dep-1', T0, 600)).rejects.toBe(denied);
  });
});

describe('releaseLock', () => {
  it('deletes the lock only if this deployment holds it', async () => {
    ddb.on(DeleteCommand).resolves({});
    await store.releaseLock('shop', 'dep-1');
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'SERVICE#shop', sk: 'LOCK' },
      ConditionExpression: 'holder = :me',
      ExpressionAttributeValues: { ':me': 'dep-1' },
    });
  });

  it('is a no-op when another deployment holds the lock', async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed());
    await expect(store.releaseLock('shop', 'dep-1')).resolves.toBeUndefined();
  });

  it('turns throttling into a TransientError', async () => {
    ddb.on(DeleteCommand).rejects(throttled());
    await expect(store.releaseLock('shop', 'dep-1')).rejects.toThrow(TransientError);
  });
});

describe('reads and writes', () => {
  it('returns an item without its key attributes', async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        pk: 'DEPLOYMENT#dep-1',
        sk: 'SUMMARY',
        gsi1pk: 'SERVICE#shop',
        gsi1sk: 'x',
        ...deploymentSummary(),
      },
    });
    expect(await store.getDeployment('dep-1')).toEqual(deploymentSummary());
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      Key: { pk: 'DEPLOYMENT#dep-1', sk: 'SUMMARY' },
      ConsistentRead: true,
    });
  });

  it('returns undefined for an item that is not there', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await store.getServiceConfig('shop')).toBeUndefined();
  });

  it('turns a throttled read into a TransientError', async () => {
    ddb.on(GetCommand).rejects(throttled());
    await expect(store.getServiceConfig('shop')).rejects.toThrow(TransientError);
  });

  it('creates a summary only if there is none, indexed by service and start time', async () => {
    ddb.on(PutCommand).resolves({});
    await store.createDeployment(deploymentSummary());
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: 'DEPLOYMENT#dep-1',
        sk: 'SUMMARY',
        gsi1pk: 'SERVICE#shop',
        gsi1sk: `${T0.toISOString()}#dep-1`,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('keeps an IN_PROGRESS summary quietly when the start is retried', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(UpdateCommand, { ConditionExpression: '#queued = :queued' }).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { ...deploymentSummary(), status: 'IN_PROGRESS' } });
    await expect(store.createDeployment(deploymentSummary())).resolves.toBeUndefined();
  });

  it('fills in a queued summary field by field, keeping its request, control and execution', async () => {
    ddb.on(PutCommand, { ConditionExpression: 'attribute_not_exists(pk)' }).rejectsOnce(conditionFailed());
    ddb.on(UpdateCommand).resolves({});
    await store.createDeployment({ ...deploymentSummary(), executionArn: undefined });
    const update = ddb.commandCalls(UpdateCommand).find((call) => call.args[0].input.Key?.sk === 'SUMMARY')
      ?.args[0].input;
    expect(update?.ConditionExpression).toBe('#queued = :queued');
    expect(Object.values(update?.ExpressionAttributeNames ?? {})).not.toContain('control');
    expect(Object.values(update?.ExpressionAttributeNames ?? {})).not.toContain('request');
    expect(Object.values(update?.ExpressionAttributeNames ?? {})).toContain('status');
  });

  it('refuses to start a deployment that ended while it queued', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(UpdateCommand, { ConditionExpression: '#queued = :queued' }).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { ...deploymentSummary(), status: 'CANCELLED' } });
    await expect(store.createDeployment(deploymentSummary())).rejects.toThrow(
      'deployment dep-1 already ended (CANCELLED)',
    );
  });

  it('refuses to update a summary that does not exist', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const updating = store.updateDeployment('dep-9', { status: 'FAILED' });
    await expect(updating).rejects.toThrow(StepwiseError);
    await expect(updating).rejects.toThrow('deployment dep-9 has no summary');
  });

  it('sends no update when the patch has nothing in it', async () => {
    await store.updateDeployment('dep-1', { reason: undefined });
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('appendAuditEvent', () => {
  it('writes the first event as seq 1 with a conditional put, reading its key and the last event only', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
    const event = await store.appendAuditEvent('dep-1', auditInput());
    expect(event).toMatchObject({ seq: 1, key: 'step-1#shifted', deploymentId: 'dep-1' });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'DEPLOYMENT#dep-1', sk: 'EVENT#000001', hash: event.hash }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    // The key's item, for a retry to find the event by.
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: { pk: 'DEPLOYMENT#dep-1', sk: 'AUDITKEY#step-1#shifted', seq: 1 },
    });
    // O(1) reads: the trail's newest events, newest first, a bounded page.
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { ScanIndexForward: false, Limit: 8 });
  });

  it('returns the event already in the trail with the same key, and writes nothing', async () => {
    const first = chainEvent('dep-1', auditInput({ key: 'started', type: 'DeploymentStarted' }), undefined);
    const shifted = chainEvent('dep-1', auditInput({ key: 'step-1#shifted' }), first);
    ddb
      .on(GetCommand, { Key: { pk: 'DEPLOYMENT#dep-1', sk: 'AUDITKEY#step-1#shifted' } })
      .resolves({ Item: { pk: 'DEPLOYMENT#dep-1', sk: 'AUDITKEY#step-1#shifted', seq: 2 } });
    ddb
      .on(GetCommand, { Key: { pk: 'DEPLOYMENT#dep-1', sk: 'EVENT#000002' } })
      .resolves({ Item: stored(shifted) });
    const again = await store.appendAuditEvent('dep-1', auditInput({ key: 'step-1#shifted', at: 'later' }));
    expect(again).toEqual(shifted);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    expect(ddb).not.toHaveReceivedCommand(QueryCommand);
  });

  it('finds a first write whose key item was never written (the task stopped between the two) among the newest events', async () => {
    const first = chainEvent('dep-1', auditInput({ key: 'started', type: 'DeploymentStarted' }), undefined);
    const shifted = chainEvent('dep-1', auditInput({ key: 'step-1#shifted' }), first);
    // Someone else appended after it before the retry came.
    const approval = chainEvent(
      'dep-1',
      auditInput({ key: 'step-2#approval', type: 'ApprovalRequested' }),
      shifted,
    );
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [stored(approval), stored(shifted), stored(first)] });
    ddb.on(PutCommand).resolves({});
    const again = await store.appendAuditEvent('dep-1', auditInput({ key: 'step-1#shifted', at: 'later' }));
    expect(again).toEqual(shifted);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.sk)).toEqual([
      'AUDITKEY#step-1#shifted',
    ]);
  });

  it('re-reads the last event after losing a race and writes the next seq', async () => {
    const winner = chainEvent('dep-1', auditInput({ key: 'other' }), undefined);
    ddb.on(GetCommand).resolves({});
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [] })
      .resolves({ Items: [stored(winner)] });
    ddb.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});

    const event = await store.appendAuditEvent('dep-1', auditInput({ key: 'mine' }));

    expect(event.seq).toBe(2);
    expect(event.prevHash).toBe(winner.hash);
    expect(verifyChain([winner, event]).intact).toBe(true);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ sk: 'EVENT#000002', key: 'mine' }),
    });
  });

  it('gives up with a retryable error naming the event when the trail keeps changing', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).rejects(conditionFailed());
    await expect(store.appendAuditEvent('dep-1', auditInput())).rejects.toMatchObject({
      name: 'Stepwise.Transient',
      message: 'could not append TrafficShifted to dep-1: the trail kept changing',
    });
  });

  it('turns a throttled write into a TransientError', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).rejects(throttled());
    await expect(store.appendAuditEvent('dep-1', auditInput())).rejects.toMatchObject({
      name: 'Stepwise.Transient',
    });
  });
});

describe('listAuditEvents', () => {
  it('follows pages until the trail is read to the end', async () => {
    const e1 = chainEvent('dep-1', auditInput({ key: 'a' }), undefined);
    const e2 = chainEvent('dep-1', auditInput({ key: 'b' }), e1);
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [stored(e1)], LastEvaluatedKey: { pk: 'DEPLOYMENT#dep-1', sk: 'EVENT#000001' } })
      .resolvesOnce({ Items: [stored(e2)] });
    expect(await store.listAuditEvents('dep-1')).toEqual([e1, e2]);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      ExclusiveStartKey: { pk: 'DEPLOYMENT#dep-1', sk: 'EVENT#000001' },
    });
  });

  it('turns a throttled query into a TransientError', async () => {
    ddb.on(QueryCommand).rejects(throttled());
    await expect(store.listAuditEvents('dep-1')).rejects.toThrow(TransientError);
  });
});

describe('listDeployments', () => {
  it('queries the service index newest first', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await store.listDeployments('shop', 20);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byService',
      ExpressionAttributeValues: { ':pk': 'SERVICE#shop' },
      ScanIndexForward: false,
      Limit: 20,
    });
  });
});
