import { RE2JS } from 're2js';

/**
 * Wildcard patterns as trigger tag patterns and IAM resources write them: `*` is any run of
 * characters (none included), `?` exactly one, everything else literal. They compile to RE2
 * (re2js), an automaton engine whose time is linear in the text, never to a backtracking
 * `RegExp`: `******x` against a 128-character tag would backtrack for minutes there.
 */
export function compileWildcard(pattern: string): RE2JS {
  const source = pattern
    .split(/(\*+|\?)/)
    .map((part) => (part.startsWith('*') ? '.*' : part === '?' ? '.' : RE2JS.quote(part)))
    .join('');
  return RE2JS.compile(`^${source}$`, RE2JS.DOTALL);
}

/** Whether `text` fits `pattern` as a whole (see compileWildcard). */
export function wildcardMatches(pattern: string, text: string): boolean {
  return compileWildcard(pattern).matches(text);
}
