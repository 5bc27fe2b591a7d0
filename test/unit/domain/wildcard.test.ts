import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { matchPush } from '../../../lambdas/domain/triggers.ts';
import { compileWildcard, wildcardMatches } from '../../../lambdas/domain/wildcard.ts';

/** The textbook dynamic program over code points: what `*` and `?` mean, with no engine in between. */
function reference(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let row = [true, ...t.map(() => false)];
  for (const c of p) {
    const next = [c === '*' && row[0] === true];
    for (let j = 1; j <= t.length; j++) {
      next[j] =
        c === '*'
          ? row[j] === true || next[j - 1] === true
          : row[j - 1] === true && (c === '?' || c === t[j - 1]);
    }
    row = next;
  }
  return row[t.length] === true;
}

// Wildcards, regex metacharacters, a letter pair, and characters outside the BMP and ASCII.
const alphabet = fc.constantFrom(
  '*',
  '?',
  'a',
  'b',
  '.',
  '+',
  '(',
  ')',
  '[',
  ']',
  '\\',
  '$',
  '^',
  '|',
  '\n',
  'é',
  '😀',
);
const pattern = fc.array(alphabet, { maxLength: 8 }).map((cs) => cs.join(''));
const text = fc
  .array(fc.constantFrom('a', 'b', '.', '+', '(', '*', '?', '\\', '\n', 'é', '😀'), { maxLength: 10 })
  .map((cs) => cs.join(''));

describe('wildcard patterns', () => {
  it('compile to the RE2 automaton engine, not a backtracking RegExp', () => {
    expect(compileWildcard('******x')).toBeInstanceOf(RE2JS);
  });

  it('mean what * and ? mean, on any small pattern and text', () => {
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        expect(wildcardMatches(p, t)).toBe(reference(p, t));
      }),
      { numRuns: 2000 },
    );
  });

  it('compile a run of stars to one, so a pattern of 128 stars stays a small program', () => {
    expect(compileWildcard('*'.repeat(128)).programSize()).toBe(compileWildcard('*').programSize());
  });

  it('answers the pathological patterns of the review against a 128-character tag', () => {
    const tag = 'a'.repeat(128);
    for (const p of ['****x', '******x', `${'*'.repeat(40)}x`, '*-*-*-*x', '*a*a*a*a*a*a*a*a*x']) {
      expect(wildcardMatches(p, tag)).toBe(false);
    }
    expect(wildcardMatches('******a', tag)).toBe(true);
  });

  it('lets a push with a long tag through dispatch against such a pattern', () => {
    const push = {
      eventId: 'e',
      repository: 'shop/checkout',
      tag: 'a'.repeat(128),
      digest: `sha256:${'0'.repeat(64)}`,
      registry: 'r',
      time: '2026-01-01T00:00:00.000Z',
    };
    expect(
      matchPush(
        [{ service: 'checkout', trigger: { repository: 'shop/checkout', tagPattern: '******x' } }],
        push,
      ),
    ).toEqual([{ service: 'checkout', matched: false, reason: `tag ${push.tag} does not match ******x` }]);
  });
});
