import { type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { verifyChain } from '../../lambdas/domain/audit.ts';
import type { AuditEvent } from '../../lambdas/domain/types.ts';
import { BASELINE_VERSION } from '../../lambdas/handlers/start-deployment.ts';

type Item = Record<string, unknown> & { pk: string; sk: string };

/** Every item of the table, as plain values. */
export async function scanTable(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
    for (const item of page.Items ?? []) items.push(unmarshall(item) as Item);
  }
  return items;
}

const OPEN = new Set(['QUEUED', 'IN_PROGRESS']);

/**
 * What breaks the invariants of docs/architecture.md in the store once every execution has ended,
 * one line each (empty: none). Read from the table itself, not from what any report says:
 * - traffic 100 % on exactly one version, integer weights summing to 100, no segment or stopped
 *   version left, and that version the service's live one (invariants 1, 4);
 * - no lock held, no queue entry, no summary left QUEUED or IN_PROGRESS (invariants 1, 3);
 * - every deployment's trail closed by exactly one closing event, its chain intact, no event key
 *   twice (invariants 1, 2).
 */
export function invariantViolations(items: Item[]): string[] {
  const violations: string[] = [];
  const live = new Map<string, string>();
  for (const item of items) {
    if (item.pk.startsWith('SERVICE#') && item.sk === 'STATUS') live.set(item.pk, String(item.liveVersion));
  }
  const trails = new Map<string, AuditEvent[]>();
  for (const item of items) {
    const { pk, sk } = item;
    if (pk.startsWith('SERVICE#') && sk === 'LOCK')
      violations.push(`${pk}: lock still held by ${item.holder}`);
    if (pk.startsWith('SERVICE#') && sk.startsWith('QUEUE#'))
      violations.push(`${pk}: queue entry left: ${sk}`);
    if (pk.startsWith('SERVICE#') && sk === 'ROUTES') {
      const weights = item.weights as Record<string, number>;
      const values = Object.values(weights);
      const full = Object.entries(weights).filter(([, w]) => w === 100);
      if (
        !values.every((w) => Number.isInteger(w) && w >= 0 && w <= 100) ||
        values.reduce((a, b) => a + b, 0) !== 100
      ) {
        violations.push(`${pk}: weights are not integers summing to 100: ${JSON.stringify(weights)}`);
      }
      if (full.length !== 1)
        violations.push(`${pk}: traffic is not 100 % on one version: ${JSON.stringify(weights)}`);
      if (item.segment) violations.push(`${pk}: a segment is left: ${JSON.stringify(item.segment)}`);
      if (Array.isArray(item.stopped) && item.stopped.length > 0) {
        violations.push(`${pk}: versions left stopped: ${JSON.stringify(item.stopped)}`);
      }
      const expected = live.get(pk) ?? BASELINE_VERSION;
      if (full.length === 1 && full[0]?.[0] !== expected) {
        violations.push(`${pk}: 100 % on ${full[0]?.[0]} but the live version is ${expected}`);
      }
    }
    if (pk.startsWith('DEPLOYMENT#') && sk === 'SUMMARY' && OPEN.has(String(item.status))) {
      violations.push(`${pk}: summary left ${item.status}`);
    }
    if (pk.startsWith('DEPLOYMENT#') && sk.startsWith('EVENT#')) {
      const id = pk.slice('DEPLOYMENT#'.length);
      const { pk: _pk, sk: _sk, gsi1pk: _gpk, gsi1sk: _gsk, expiresAt: _exp, ...event } = item;
      trails.set(id, [...(trails.get(id) ?? []), event as unknown as AuditEvent]);
    }
  }
  for (const item of items) {
    if (!item.pk.startsWith('DEPLOYMENT#') || item.sk !== 'SUMMARY') continue;
    const id = item.pk.slice('DEPLOYMENT#'.length);
    const events = (trails.get(id) ?? []).sort((a, b) => a.seq - b.seq);
    const closing = events.filter((e) => e.key === 'closed');
    if (closing.length !== 1) violations.push(`${item.pk}: ${closing.length} closing events`);
    const keys = events.map((e) => e.key);
    if (new Set(keys).size !== keys.length) violations.push(`${item.pk}: an event key appears twice`);
    if (!verifyChain(events).intact) violations.push(`${item.pk}: the audit chain is broken`);
    const closed = closing[0];
    if (closed && closed.status !== item.status) {
      violations.push(`${item.pk}: summary says ${item.status}, its closing event ${closed.status}`);
    }
  }
  return violations;
}
