import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, chainEvent, GENESIS_HASH, verifyChain } from '../../../lambdas/domain/audit.ts';
import type { AuditEvent } from '../../../lambdas/domain/types.ts';
import { auditInput } from '../fixtures.ts';

function trail(length: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 1; i <= length; i++) {
    events.push(chainEvent('dep-1', auditInput({ key: `event-${i}`, detail: { i } }), events.at(-1)));
  }
  return events;
}

function at<T>(items: T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

describe('canonicalJson', () => {
  it('does not depend on the order of keys, at any depth', () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: 'x' } };
    const b = { a: { x: 'x', y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"x","y":[1,{"p":2,"q":1}]},"b":1}');
  });

  it('keeps the order of array items', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('leaves out undefined properties, as the store does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });
});

describe('chainEvent', () => {
  it('numbers the first event 1 and links it to the genesis hash', () => {
    const first = chainEvent('dep-1', auditInput(), undefined);
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(first.deploymentId).toBe('dep-1');
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the canonical JSON of everything but the hash', () => {
    const { hash, ...unsigned } = chainEvent('dep-1', auditInput(), undefined);
    expect(hash).toBe(createHash('sha256').update(canonicalJson(unsigned)).digest('hex'));
  });

  it('numbers each event after the one before and links to its hash', () => {
    const [first, second] = trail(2);
    expect(second?.seq).toBe(2);
    expect(second?.prevHash).toBe(first?.hash);
  });

  it('gives the same hash whatever order the input properties come in', () => {
    const input = auditInput();
    const reversed = Object.fromEntries(Object.entries(input).reverse()) as typeof input;
    expect(chainEvent('dep-1', reversed, undefined).hash).toBe(chainEvent('dep-1', input, undefined).hash);
  });

  it('gives a different hash for different content', () => {
    const a = chainEvent('dep-1', auditInput({ status: 'IN_PROGRESS' }), undefined);
    const b = chainEvent('dep-1', auditInput({ status: 'FAILED' }), undefined);
    expect(a.hash).not.toBe(b.hash);
  });
});

describe('verifyChain', () => {
  it('finds an untouched trail intact', () => {
    expect(verifyChain(trail(4))).toEqual({ intact: true });
  });

  it('finds an empty trail intact', () => {
    expect(verifyChain([])).toEqual({ intact: true });
  });

  it('detects edited content', () => {
    const events = trail(4);
    events[2] = { ...at(events, 2), status: 'SUCCEEDED' };
    expect(verifyChain(events)).toEqual({
      intact: false,
      brokenAt: 3,
      problem: 'content does not match its hash',
    });
  });

  it('detects edited content even when the edited event was re-hashed', () => {
    const events = trail(4);
    const { hash: _, ...edited } = { ...at(events, 1), detail: { i: 99 } };
    events[1] = chainEvent('dep-1', edited, at(events, 0));
    expect(verifyChain(events)).toEqual({
      intact: false,
      brokenAt: 3,
      problem: 'does not link to the event before it',
    });
  });

  it('detects a removed event', () => {
    const events = trail(4);
    events.splice(1, 1);
    expect(verifyChain(events)).toMatchObject({ intact: false, brokenAt: 3, problem: 'expected event 2' });
  });

  it('detects a removed event whose followers were renumbered', () => {
    const events = trail(4).filter((e) => e.seq !== 2);
    const renumbered = events.map((e, i) => ({ ...e, seq: i + 1 }));
    expect(verifyChain(renumbered)).toMatchObject({ intact: false, brokenAt: 2 });
  });

  it('detects reordered events', () => {
    const events = trail(4);
    [events[1], events[2]] = [at(events, 2), at(events, 1)];
    expect(verifyChain(events)).toMatchObject({ intact: false, brokenAt: 3, problem: 'expected event 2' });
  });

  it('detects a trail that does not start from the genesis hash', () => {
    const events = trail(3)
      .slice(1)
      .map((e, i) => ({ ...e, seq: i + 1 }));
    expect(verifyChain(events)).toMatchObject({ intact: false, brokenAt: 1 });
  });
});
