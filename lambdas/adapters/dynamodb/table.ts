/**
 * The one table's key schema, shared by the CDK stack and the local runtime so that both create
 * the same table. Items:
 *
 * | pk                 | sk             | what                                   |
 * |--------------------|----------------|----------------------------------------|
 * | SERVICE#<name>     | CONFIG         | the service's registered configuration |
 * | SERVICE#<name>     | STATUS         | the live (last good) version           |
 * | SERVICE#<name>     | LOCK           | who deploys the service now            |
 * | SERVICE#<name>     | ROUTES         | weights held by the simulated provider |
 * | DEPLOYMENT#<id>    | SUMMARY        | status, step, weights; indexed by service |
 * | DEPLOYMENT#<id>    | EVENT#<seq>    | one audit event, hash-chained          |
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  historyIndex: { name: 'byService', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;

export const serviceKey = (service: string) => `SERVICE#${service}`;
export const deploymentKey = (deploymentId: string) => `DEPLOYMENT#${deploymentId}`;
export const eventSortKey = (seq: number) => `EVENT#${String(seq).padStart(6, '0')}`;
