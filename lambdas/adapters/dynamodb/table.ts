import type { ServiceConfig } from '../../domain/types.ts';

/**
 * The one table's key schema, shared by the CDK stack and the local runtime so that both create
 * the same table. Items:
 *
 * | pk                 | sk             | what                                   |
 * |--------------------|----------------|----------------------------------------|
 * | SERVICE#<name>     | CONFIG         | the service's registered configuration; also indexed under REGISTRY |
 * | SERVICE#<name>     | STATUS         | the live (last good) version           |
 * | SERVICE#<name>     | LOCK           | who deploys the service now            |
 * | SERVICE#<name>     | ROUTES         | weights held by the simulated provider |
 * | SERVICE#<name>     | QUEUE#<at>#<id>| a deployment waiting for the lock      |
 * | DIGEST#<digest>    | DEPLOYMENT#<id>| a deployment of that image digest      |
 * | DIGEST#<digest>    | SERVICE#<name> | the push deployment that claimed it    |
 * | IDEMPOTENCY        | <key hash>     | an API request's stored response       |
 * | DEPLOYMENT#<id>    | SUMMARY        | status, step, weights; indexed by service |
 * | DEPLOYMENT#<id>    | EVENT#<seq>    | one audit event, hash-chained          |
 * | DEPLOYMENT#<id>    | AUDITKEY#<key> | the sequence number of the event with that key (a retried write finds it) |
 * | BAKE               | <service>      | the bake under way: its task token and the alarms it watches, written by the state machine |
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  historyIndex: { name: 'byService', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;

export const serviceKey = (service: string) => `SERVICE#${service}`;
export const deploymentKey = (deploymentId: string) => `DEPLOYMENT#${deploymentId}`;
export const eventSortKey = (seq: number) => `EVENT#${String(seq).padStart(6, '0')}`;
export const auditKeySortKey = (key: string) => `AUDITKEY#${key}`;
export const queueSortKey = (requestedAt: string, deploymentId: string) =>
  `QUEUE#${requestedAt}#${deploymentId}`;
export const digestKey = (digest: string) => `DIGEST#${digest}`;
/** Idempotency records of API requests share one partition, keyed by a hash of the Idempotency-Key. */
export const IDEMPOTENCY_PARTITION = 'IDEMPOTENCY';
/** The table's TTL attribute: expired locks and idempotency records are deleted by DynamoDB. */
export const EXPIRY_ATTRIBUTE = 'expiresAt';
/**
 * The bakes under way, one item per service (a service bakes one deployment at a time), written by
 * the Bake state itself (`dynamodb:putItem.waitForTaskToken`): the alarm-changed function reads
 * them all with one query.
 */
export const BAKE_PARTITION = 'BAKE';
/** CONFIG items also sit in the history index under this partition, so the registry can be listed. */
export const REGISTRY_PARTITION = 'REGISTRY';

/** The CONFIG item of a service, as the runtime and the CDK stack both write it. */
export function serviceConfigItem(config: ServiceConfig): Record<string, unknown> {
  return {
    pk: serviceKey(config.service),
    sk: 'CONFIG',
    [TABLE_KEYS.historyIndex.partitionKey]: REGISTRY_PARTITION,
    [TABLE_KEYS.historyIndex.sortKey]: config.service,
    ...config,
  };
}
