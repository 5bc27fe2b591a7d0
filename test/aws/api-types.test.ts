import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../support/aws-api.ts';
import { type RecordedInput, TRACE_DIR } from '../support/aws-calls.ts';

/**
 * Every call's input as the suites sent it (mocked or in-process), written back as TypeScript and
 * type-checked against the SDK v3 client's own input type for its operation: what the v2 API
 * models do not carry (the npm package ships them without enums) is in these types, generated
 * from the same service models: each enum's values, and which members are required. A misspelt
 * enum value (`include: ['TAGZ']`) or a member the operation does not have fails here.
 */

let inputs: RecordedInput[] = [];
beforeAll(() => {
  if (!existsSync(join(TRACE_DIR, 'started'))) return;
  inputs = readdirSync(TRACE_DIR)
    .filter((f) => f.startsWith('inputs-'))
    .flatMap((f) =>
      readFileSync(join(TRACE_DIR, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RecordedInput),
    );
});

/** A recorded value as a TypeScript expression. */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.$date === 'string') return `new Date(${JSON.stringify(record.$date)})`;
    if (typeof record.$bytes === 'number') return `new Uint8Array(${record.$bytes})`;
    return `{ ${Object.entries(record)
      .map(([k, v]) => `${JSON.stringify(k)}: ${literal(v)}`)
      .join(', ')} }`;
  }
  return JSON.stringify(value);
}

describe('every call input, against the SDK input type of its operation', () => {
  it('has inputs to check (run with npm test)', () => {
    expect(new Set(inputs.map((i) => i.client)).size).toBeGreaterThanOrEqual(5);
  });

  it('type-checks', () => {
    const unique = [
      ...new Map(inputs.map((i) => [JSON.stringify([i.client, i.operation, i.input]), i])).values(),
    ];
    const imports = new Map<string, Set<string>>();
    const lines: string[] = [];
    const origin: (RecordedInput | undefined)[] = [];
    for (const input of unique) {
      const pkg = SERVICES[input.client]?.v3;
      if (!pkg) continue;
      // Two clients may share an operation name (TagResource): each package's types get its prefix.
      const type = `${input.operation}CommandInput`;
      const alias = `${input.client}_${type}`;
      imports.set(pkg, (imports.get(pkg) ?? new Set()).add(`${type} as ${alias}`));
      lines.push(`export const call${lines.length}: ${alias} = ${literal(input.input)};`);
      origin.push(input);
    }
    const header = [...imports].map(
      ([pkg, types]) => `import type { ${[...types].join(', ')} } from '${pkg}';`,
    );
    const dir = join(TRACE_DIR, 'types');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'calls.ts');
    writeFileSync(file, [...header, ...lines].join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2024,
      lib: ['lib.es2024.d.ts'],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
      const call = origin[line - header.length];
      const where = call
        ? `${call.client} ${call.operation} (${call.file.replace(/^.*\/test\//, 'test/')})`
        : '';
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
    expect(problems).toEqual([]);
  });
});
