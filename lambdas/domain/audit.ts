import { createHash } from 'node:crypto';
import type { AuditEvent, AuditEventInput } from './types.ts';

/** The hash that the first event of every trail chains from. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with keys sorted at every level, so a hash does not depend on property order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Numbers an event and links it to the one before it. */
export function chainEvent(
  deploymentId: string,
  input: AuditEventInput,
  previous: Pick<AuditEvent, 'seq' | 'hash'> | undefined,
): AuditEvent {
  const seq = (previous?.seq ?? 0) + 1;
  const prevHash = previous?.hash ?? GENESIS_HASH;
  const unsigned = { ...input, deploymentId, seq, prevHash };
  return { ...unsigned, hash: hashOf(unsigned) };
}

function hashOf(event: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

export interface ChainVerdict {
  intact: boolean;
  /** The first event whose number, link or content does not check out. */
  brokenAt?: number;
  problem?: string;
}

/** Re-computes every link of a trail, in sequence order. */
export function verifyChain(events: AuditEvent[]): ChainVerdict {
  let previous: AuditEvent | undefined;
  for (const event of events) {
    const { hash, ...unsigned } = event;
    if (event.seq !== (previous?.seq ?? 0) + 1) {
      return { intact: false, brokenAt: event.seq, problem: `expected event ${(previous?.seq ?? 0) + 1}` };
    }
    if (event.prevHash !== (previous?.hash ?? GENESIS_HASH)) {
      return { intact: false, brokenAt: event.seq, problem: 'does not link to the event before it' };
    }
    if (hashOf(unsigned) !== hash) {
      return { intact: false, brokenAt: event.seq, problem: 'content does not match its hash' };
    }
    previous = event;
  }
  return { intact: true };
}
