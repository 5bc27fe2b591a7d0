/**
 * `npm run diagrams`: draws each strategy's state machine in docs/strategies.md from its ASL file
 * (Next, Choices, Default and Catch; Retry is left out), so the names match the console. Each
 * diagram follows the line that names its file: **State machine** (`statemachines/NAME.asl.json`…).
 * `--check` changes nothing and exits 1 when a diagram is not what its ASL draws (CI runs the
 * same check as a test).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
export const STRATEGIES_DOC = join(ROOT, 'docs', 'strategies.md');

interface Rule {
  Variable?: string;
  And?: Rule[];
  Or?: Rule[];
  Not?: Rule;
  Next?: string;
  [comparison: string]: unknown;
}
interface State {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: Rule[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
}

const id = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

/** A Choice rule in words: `kind = setWeight`, `check.healthy present and check.healthy = false`. */
function condition(rule: Rule): string {
  if (rule.And) return rule.And.map(condition).join(' and ');
  if (rule.Or) return rule.Or.map(condition).join(' or ');
  if (rule.Not) return `not ${condition(rule.Not)}`;
  const variable = (rule.Variable ?? '').replace(/^\$\.(progress\.step\.)?/, '');
  const [op, value] = Object.entries(rule).find(([k]) => k !== 'Variable' && k !== 'Next') ?? ['', ''];
  if (op === 'IsPresent') return `${variable} ${value ? 'present' : 'absent'}`;
  return `${variable} ${op.startsWith('NumericGreaterThan') ? '>' : '='} ${String(value)}`;
}

/** The mermaid state diagram of one ASL definition. */
export function diagramOf(asl: { StartAt: string; States: Record<string, State> }): string {
  const out = [
    'stateDiagram-v2',
    ...Object.keys(asl.States).map((n) => `  state "${n}" as ${id(n)}`),
    `  [*] --> ${id(asl.StartAt)}`,
  ];
  for (const [n, s] of Object.entries(asl.States)) {
    if (s.Next) out.push(`  ${id(n)} --> ${id(s.Next)}`);
    for (const c of s.Choices ?? []) out.push(`  ${id(n)} --> ${id(c.Next ?? '')} : ${condition(c)}`);
    if (s.Default) out.push(`  ${id(n)} --> ${id(s.Default)} : otherwise`);
    for (const c of s.Catch ?? []) {
      out.push(
        `  ${id(n)} --> ${id(c.Next)} : catch ${c.ErrorEquals.map((e) => e.replace(/^Stepwise\./, '')).join(', ')}`,
      );
    }
    if (s.Type === 'Succeed' || s.Type === 'Fail') out.push(`  ${id(n)} --> [*]`);
  }
  return out.join('\n');
}

/** The doc with every diagram redrawn from its ASL file. */
export function redrawn(doc: string): string {
  return doc.replace(
    /(\*\*State machine\*\* \(`(statemachines\/[a-z-]+\.asl\.json)`[^)]*\):\n\n```mermaid\n)[\s\S]*?(\n```)/g,
    (_all, head: string, file: string, tail: string) =>
      `${head}${diagramOf(JSON.parse(readFileSync(join(ROOT, file), 'utf8')))}${tail}`,
  );
}

if (import.meta.main) {
  const doc = readFileSync(STRATEGIES_DOC, 'utf8');
  const next = redrawn(doc);
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      process.stderr.write('docs/strategies.md: a state diagram is stale; run npm run diagrams\n');
      process.exit(1);
    }
  } else {
    writeFileSync(STRATEGIES_DOC, next);
    process.stdout.write(
      next === doc ? 'diagrams already fresh\n' : 'diagrams redrawn in docs/strategies.md\n',
    );
  }
}
