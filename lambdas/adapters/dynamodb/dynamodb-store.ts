import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { chainEvent } from '../../domain/audit.ts';
import { InvalidInputError, LockHeldError, StepwiseError, TransientError } from '../../domain/errors.ts';
import type {
  AuditEvent,
  AuditEventInput,
  DeploymentControl,
  DeploymentSummary,
  ServiceConfig,
} from '../../domain/types.ts';
import type {
  BakeRecord,
  DeploymentPage,
  LockRecord,
  QueueEntry,
  RouteRecord,
  ServiceStatus,
  Store,
} from '../../ports/store.ts';
import { isConditionFailed, rethrowAws } from '../aws-errors.ts';
import {
  auditKeySortKey,
  BAKE_PARTITION,
  deploymentKey,
  digestKey,
  eventSortKey,
  queueSortKey,
  REGISTRY_PARTITION,
  serviceConfigItem,
  serviceKey,
  TABLE_KEYS,
} from './table.ts';

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'expiresAt'];
/** `SET #f0 = :v0, …` for the fields that are defined. */
function setFields(fields: Record<string, unknown>) {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  return {
    UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
  };
}

/** Fields of a queued summary that its request wrote and Start deployment must not overwrite. */
const KEPT_FROM_REQUEST = new Set<keyof DeploymentSummary>([
  'deploymentId',
  'requestedAt',
  'request',
  'control',
  'executionArn',
  'startedAt',
]);

/** Concurrent appenders can race for a sequence number; each lost race re-reads and tries again. */
const APPEND_ATTEMPTS = 10;

/** How many of a trail's newest events an append reads: where a first write without its key item is. */
const RECENT_EVENTS = 8;

/** A bake as the Bake state wrote it (its item, keys stripped). */
function bakeOf({ service, deploymentId, taskToken, alarms, until }: Record<string, unknown>): BakeRecord {
  return {
    service: String(service),
    deploymentId: String(deploymentId),
    taskToken: String(taskToken),
    alarms: String(alarms),
    until: String(until),
  };
}

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const copy = { ...item };
  for (const k of KEY_ATTRIBUTES) delete copy[k];
  return copy as T;
}

/** The Store port on one DynamoDB table (AWS, or dynalite locally). */
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
const BATCH_GET_ATTEMPTS = 5;

export class DynamoDbStore implements Store {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.table = tableName;
  }

  private async get<T>(pk: string, sk: string): Promise<T | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }),
      );
      return strip<T>(out.Item);
    } catch (e) {
      rethrowAws(e, `reading ${pk} ${sk}`);
    }
  }

  private async put(item: Record<string, unknown>, what: string): Promise<void> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: item }));
    } catch (e) {
      rethrowAws(e, what);
    }
  }

  /** Sends a conditional write: false when its condition did not hold; any other failure is rethrown. */
  private async conditional(
    command: PutCommand | UpdateCommand | DeleteCommand,
    what: string,
  ): Promise<boolean> {
    return (await this.conditionalWrite(command, what)) !== false;
  }

  /** The same, answering the item as written when the command asks for it (`ReturnValues`). */
  private async conditionalWrite(
    command: PutCommand | UpdateCommand | DeleteCommand,
    what: string,
  ): Promise<false | { item?: Record<string, unknown> }> {
    try {
      const out = await this.doc.send(command as UpdateCommand);
      return out.Attributes ? { item: out.Attributes } : {};
    } catch (e) {
      if (isConditionFailed(e)) return false;
      rethrowAws(e, what);
    }
  }

  /** Every item a query finds, page after page, without the table's key attributes. */
  private async queryAll<T>(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
    what: string,
  ): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const out = await this.doc.send(
          new QueryCommand({ ...input, TableName: this.table, ExclusiveStartKey: startKey }),
        );
        for (const item of out.Items ?? []) items.push(strip<T>(item) as T);
        startKey = out.LastEvaluatedKey;
      } while (startKey);
    } catch (e) {
      rethrowAws(e, what);
    }
    return items;
  }

  getServiceConfig(service: string) {
    return this.get<ServiceConfig>(serviceKey(service), 'CONFIG');
  }

  putServiceConfig(config: ServiceConfig) {
    return this.put(serviceConfigItem(config), 'writing service config');
  }

  listServiceConfigs(): Promise<ServiceConfig[]> {
    const index = TABLE_KEYS.historyIndex;
    return this.queryAll<ServiceConfig>(
      {
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.partitionKey },
        ExpressionAttributeValues: { ':pk': REGISTRY_PARTITION },
      },
      'listing services',
    );
  }

  getServiceStatus(service: string) {
    return this.get<ServiceStatus>(serviceKey(service), 'STATUS');
  }

  async getServiceStatuses(services: readonly string[]): Promise<Map<string, ServiceStatus>> {
    const found = new Map<string, ServiceStatus>();
    for (let from = 0; from < services.length; from += BATCH_GET_KEYS) {
      let keys: Record<string, unknown>[] | undefined = services
        .slice(from, from + BATCH_GET_KEYS)
        .map((service) => ({ pk: serviceKey(service), sk: 'STATUS' }));
      // What DynamoDB leaves unprocessed (throttling) is asked for again, a bounded number of times.
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt === BATCH_GET_ATTEMPTS) {
          throw new TransientError(
            `could not read the status of ${keys.length} services: DynamoDB kept them unprocessed`,
          );
        }
        try {
          const out = await this.doc.send(
            new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
          );
          for (const item of out.Responses?.[this.table] ?? []) {
            const status = strip<ServiceStatus>(item);
            if (status) found.set(status.service, status);
          }
          keys = out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined;
        } catch (e) {
          rethrowAws(e, 'reading service statuses');
        }
      }
    }
    return found;
  }

  setLiveVersion(status: ServiceStatus) {
    return this.put({ pk: serviceKey(status.service), sk: 'STATUS', ...status }, 'writing service status');
  }

  async acquireLock(service: string, deploymentId: string, now: Date, ttlSeconds: number): Promise<void> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const taken = await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: serviceKey(service),
          sk: 'LOCK',
          holder: deploymentId,
          acquiredAt: now.toISOString(),
          expiresAt: nowSeconds + ttlSeconds,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR holder = :me OR expiresAt < :now',
        ExpressionAttributeValues: { ':me': deploymentId, ':now': nowSeconds },
      }),
      'taking the service lock',
    );
    if (taken) return;
    const lock = await this.get<{ holder: string; acquiredAt: string }>(serviceKey(service), 'LOCK');
    throw new LockHeldError(
      `service ${service} is locked by deployment ${lock?.holder ?? 'unknown'} since ${lock?.acquiredAt ?? 'unknown'}`,
    );
  }

  async releaseLock(service: string, deploymentId: string): Promise<void> {
    await this.conditional(
      new DeleteCommand({
        TableName: this.table,
        Key: { pk: serviceKey(service), sk: 'LOCK' },
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': deploymentId },
      }),
      'releasing the service lock',
    );
  }

  async listBakes(): Promise<BakeRecord[]> {
    const items = await this.queryAll<Record<string, unknown>>(
      {
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':pk': BAKE_PARTITION },
      },
      'reading the bakes under way',
    );
    return items.map(bakeOf);
  }

  async getBake(service: string): Promise<BakeRecord | undefined> {
    const item = await this.get<Record<string, unknown>>(BAKE_PARTITION, service);
    return item ? bakeOf(item) : undefined;
  }

  async getLock(service: string): Promise<LockRecord | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: serviceKey(service), sk: 'LOCK' },
          ConsistentRead: true,
        }),
      );
      if (!out.Item) return undefined;
      const { holder, acquiredAt, expiresAt } = out.Item as LockRecord;
      return { holder, acquiredAt, expiresAt };
    } catch (e) {
      rethrowAws(e, 'reading the service lock');
    }
  }

  private summaryItem(summary: DeploymentSummary): Record<string, unknown> {
    return {
      pk: deploymentKey(summary.deploymentId),
      sk: 'SUMMARY',
      gsi1pk: serviceKey(summary.service),
      gsi1sk: `${summary.requestedAt ?? summary.startedAt}#${summary.deploymentId}`,
      ...summary,
    };
  }

  /** An image digest points at its deployments, for `GET /deployments?digest=`. */
  private async pointDigest(summary: DeploymentSummary): Promise<void> {
    const digest = summary.artifact.digest;
    if (!digest) return;
    await this.put(
      { pk: digestKey(digest), sk: deploymentKey(summary.deploymentId), service: summary.service },
      'indexing the image digest',
    );
  }

  /**
   * The service's set of open deployments (QUEUED or IN_PROGRESS), one item under the service:
   * what recovery and the sweep read, whatever the length of the service's history. A deployment
   * joins it before its summary is written and leaves it after its summary is closed, so every open
   * summary is in it; an id left behind by a crash in between is dropped when next read.
   */
  private async markOpen(service: string, deploymentId: string, open: boolean): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: serviceKey(service), sk: 'OPEN' },
          UpdateExpression: open ? 'ADD #ids :id' : 'DELETE #ids :id',
          ExpressionAttributeNames: { '#ids': 'ids' },
          ExpressionAttributeValues: { ':id': new Set([deploymentId]) },
        }),
      );
    } catch (e) {
      rethrowAws(e, `${open ? 'opening' : 'closing'} ${deploymentId} in ${service}'s open deployments`);
    }
  }

  async listOpenDeployments(service: string): Promise<DeploymentSummary[]> {
    const item = await this.get<{ ids?: Set<string> }>(serviceKey(service), 'OPEN');
    const open: DeploymentSummary[] = [];
    for (const id of [...(item?.ids ?? [])].sort()) {
      const summary = await this.getDeployment(id);
      if (summary && (summary.status === 'QUEUED' || summary.status === 'IN_PROGRESS')) open.push(summary);
      else if (summary) await this.markOpen(service, id, false);
    }
    return open.sort((a, b) => (a.requestedAt ?? a.startedAt).localeCompare(b.requestedAt ?? b.startedAt));
  }

  async requestDeployment(summary: DeploymentSummary): Promise<boolean> {
    await this.markOpen(summary.service, summary.deploymentId, true);
    const recorded = await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: this.summaryItem(summary),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
      'recording the deployment request',
    );
    if (recorded) await this.pointDigest(summary);
    return recorded;
  }

  async createDeployment(summary: DeploymentSummary): Promise<void> {
    await this.markOpen(summary.service, summary.deploymentId, true);
    const created = await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: this.summaryItem(summary),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
      'creating the deployment summary',
    );
    if (!created) await this.startQueued(summary);
    await this.pointDigest(summary);
  }

  /**
   * Fills in the QUEUED summary a request left, field by field: what the request recorded (the
   * request itself, a control asked for while it queued, the execution's ARN) stays. An
   * IN_PROGRESS summary is a retried start and is left alone; an ended one is refused.
   */
  private async startQueued(summary: DeploymentSummary): Promise<void> {
    const fields = Object.fromEntries(
      Object.entries(summary).filter(([k]) => !KEPT_FROM_REQUEST.has(k as keyof DeploymentSummary)),
    );
    const set = setFields(fields);
    const started = await this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: deploymentKey(summary.deploymentId), sk: 'SUMMARY' },
        UpdateExpression: set.UpdateExpression,
        ConditionExpression: '#queued = :queued',
        ExpressionAttributeNames: { ...set.ExpressionAttributeNames, '#queued': 'status' },
        ExpressionAttributeValues: { ...set.ExpressionAttributeValues, ':queued': 'QUEUED' },
      }),
      'starting the queued deployment',
    );
    if (started) return;
    const current = await this.getDeployment(summary.deploymentId);
    if (current?.status === 'IN_PROGRESS') return;
    throw new InvalidInputError(`deployment ${summary.deploymentId} already ended (${current?.status})`);
  }

  async listQueue(service: string): Promise<QueueEntry[]> {
    const items = await this.queryAll<QueueEntry>(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :queue)',
        ExpressionAttributeValues: { ':pk': serviceKey(service), ':queue': 'QUEUE#' },
        ConsistentRead: true,
      },
      'reading the queue',
    );
    return items.map(({ deploymentId, requestedAt }) => ({ deploymentId, requestedAt }));
  }

  enqueue(service: string, entry: QueueEntry): Promise<void> {
    return this.put(
      { pk: serviceKey(service), sk: queueSortKey(entry.requestedAt, entry.deploymentId), ...entry },
      'queueing the deployment',
    );
  }

  async dequeue(service: string, entry: QueueEntry): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: serviceKey(service), sk: queueSortKey(entry.requestedAt, entry.deploymentId) },
        }),
      );
    } catch (e) {
      rethrowAws(e, 'leaving the queue');
    }
  }

  async claimDigest(service: string, digest: string, deploymentId: string): Promise<string> {
    const claimed = await this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { pk: digestKey(digest), sk: serviceKey(service), deploymentId },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
      'claiming the image digest',
    );
    if (claimed) return deploymentId;
    const owner = await this.get<{ deploymentId: string }>(digestKey(digest), serviceKey(service));
    return owner?.deploymentId ?? deploymentId;
  }

  async findByDigest(digest: string): Promise<string[]> {
    try {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :deployment)',
          ExpressionAttributeValues: { ':pk': digestKey(digest), ':deployment': deploymentKey('') },
        }),
      );
      // The deployment is named by the pointer's sort key.
      return (out.Items ?? []).map((i) => String(i.sk).slice(deploymentKey('').length));
    } catch (e) {
      rethrowAws(e, 'finding deployments of a digest');
    }
  }

  clearPendingApproval(deploymentId: string, taskToken: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: deploymentKey(deploymentId), sk: 'SUMMARY' },
        UpdateExpression: 'REMOVE pendingApproval',
        ConditionExpression: 'pendingApproval.taskToken = :token',
        ExpressionAttributeValues: { ':token': taskToken },
      }),
      'clearing the pending approval',
    );
  }

  requestControl(deploymentId: string, control: DeploymentControl): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: deploymentKey(deploymentId), sk: 'SUMMARY' },
        UpdateExpression: 'SET #control = :control',
        ConditionExpression: 'attribute_not_exists(#control) AND #status IN (:queued, :running)',
        ExpressionAttributeNames: { '#control': 'control', '#status': 'status' },
        ExpressionAttributeValues: { ':control': control, ':queued': 'QUEUED', ':running': 'IN_PROGRESS' },
      }),
      'recording the control request',
    );
  }

  async updateDeployment(deploymentId: string, patch: Partial<DeploymentSummary>): Promise<void> {
    if (Object.values(patch).every((v) => v === undefined)) return;
    const closes = patch.status !== undefined && patch.status !== 'QUEUED' && patch.status !== 'IN_PROGRESS';
    const set = setFields(patch);
    const updated = await this.conditionalWrite(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: deploymentKey(deploymentId), sk: 'SUMMARY' },
        ...set,
        // An ended deployment waits for no approval (one that timed out into a rollback, say).
        ...(closes ? { UpdateExpression: `${set.UpdateExpression} REMOVE pendingApproval` } : {}),
        ConditionExpression: 'attribute_exists(pk)',
        // The closing write learns the service from the item itself (a closing task may not read it).
        ...(closes ? { ReturnValues: 'ALL_NEW' as const } : {}),
      }),
      'updating the deployment summary',
    );
    if (!updated) throw new StepwiseError(`deployment ${deploymentId} has no summary`);
    const service = updated.item?.service;
    if (closes && typeof service === 'string') await this.markOpen(service, deploymentId, false);
  }

  getDeployment(deploymentId: string) {
    return this.get<DeploymentSummary>(deploymentKey(deploymentId), 'SUMMARY');
  }

  async listDeployments(service: string, limit: number): Promise<DeploymentSummary[]> {
    return (await this.pageDeployments(service, limit)).items;
  }

  async pageDeployments(service: string, limit: number, cursor?: string): Promise<DeploymentPage> {
    const index = TABLE_KEYS.historyIndex;
    let startKey: Record<string, unknown> | undefined;
    if (cursor) {
      try {
        startKey = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new InvalidInputError('cursor is not one this API returned');
      }
      const keys = Object.keys(startKey ?? {})
        .sort()
        .join(',');
      if (startKey?.gsi1pk !== serviceKey(service) || keys !== 'gsi1pk,gsi1sk,pk,sk') {
        throw new InvalidInputError('cursor belongs to another listing');
      }
      if (!Object.values(startKey).every((v) => typeof v === 'string' && v.length <= 1024)) {
        throw new InvalidInputError('cursor is not one this API returned');
      }
    }
    try {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.partitionKey },
          ExpressionAttributeValues: { ':pk': serviceKey(service) },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      const items = (out.Items ?? []).map((i) => strip<DeploymentSummary>(i) as DeploymentSummary);
      return out.LastEvaluatedKey
        ? { items, cursor: Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') }
        : { items };
    } catch (e) {
      rethrowAws(e, 'listing deployments');
    }
  }

  listAuditEvents(deploymentId: string): Promise<AuditEvent[]> {
    return this.queryAll<AuditEvent>(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
        ExpressionAttributeValues: { ':pk': deploymentKey(deploymentId), ':event': 'EVENT#' },
        ConsistentRead: true,
      },
      'reading the audit trail',
    );
  }

  /** The trail's newest events, newest first: a bounded read, however long the trail is. */
  private async latestAuditEvents(deploymentId: string, count: number): Promise<AuditEvent[]> {
    try {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
          ExpressionAttributeValues: { ':pk': deploymentKey(deploymentId), ':event': 'EVENT#' },
          ScanIndexForward: false,
          Limit: count,
          ConsistentRead: true,
        }),
      );
      return (out.Items ?? []).map((item) => strip<AuditEvent>(item) as AuditEvent);
    } catch (e) {
      rethrowAws(e, 'reading the audit trail');
    }
  }

  /**
   * Appends in O(1) reads, without transactions (dynalite has none): the event's key item
   * (`AUDITKEY#<key>`, its sequence number) makes a retry find its first write; the trail's newest
   * events are the only ones read to chain the next; the conditional put on the next sequence
   * number makes racing writers re-read instead of overwriting. A first write whose key item was
   * not written (the invocation stopped between the two) is found by its key among the newest
   * events. The trail stays gapless and hash-chained.
   */
  async appendAuditEvent(deploymentId: string, input: AuditEventInput): Promise<AuditEvent> {
    const pk = deploymentKey(deploymentId);
    const keyItem = auditKeySortKey(input.key);
    const remember = (seq: number) => this.put({ pk, sk: keyItem, seq }, 'indexing the audit trail');
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const known = await this.get<{ seq: number }>(pk, keyItem);
      const already = known ? await this.get<AuditEvent>(pk, eventSortKey(known.seq)) : undefined;
      if (already) return already;
      const latest = await this.latestAuditEvents(deploymentId, RECENT_EVENTS);
      const written = latest.find((e) => e.key === input.key);
      if (written) {
        await remember(written.seq);
        return written;
      }
      const event = chainEvent(deploymentId, input, latest[0]);
      const appended = await this.conditional(
        new PutCommand({
          TableName: this.table,
          Item: { pk, sk: eventSortKey(event.seq), ...event },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
        'appending to the audit trail',
      );
      if (appended) {
        await remember(event.seq);
        return event;
      }
    }
    throw new TransientError(`could not append ${input.type} to ${deploymentId}: the trail kept changing`);
  }

  getRoutes(service: string) {
    return this.get<RouteRecord>(serviceKey(service), 'ROUTES');
  }

  putRoutes(routes: RouteRecord) {
    return this.put({ pk: serviceKey(routes.service), sk: 'ROUTES', ...routes }, 'writing routes');
  }
}
