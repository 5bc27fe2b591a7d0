import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMANDS as ENTRIES, loadCommands } from '../../../cli/commands.ts';
import { UsageError } from '../../../cli/errors.ts';
import { main } from '../../../cli/main.ts';
import {
  argOf,
  command,
  HELP_OPTION,
  helpText,
  type OptionSpec,
  parseOptions,
} from '../../../cli/options.ts';

const COMMANDS = await loadCommands();

/** The `--flag` words of a help text's Options section. */
function documentedFlags(help: string): string[] {
  const section = help.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1] as string);
}

/** A value each kind of option takes. */
function sample(spec: OptionSpec): string | undefined {
  switch (spec.kind) {
    case 'flag':
      return undefined;
    case 'duration':
      return '5s';
    case 'count':
      return String(spec.min);
    case 'choice':
      return spec.choices[0];
    default:
      return 'x';
  }
}

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('every command’s help comes from the option table its parser uses', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '%s --help lists exactly its options',
    async (_, cmd) => {
      const help = await run([cmd.name, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toBe(helpText(cmd));
      expect(documentedFlags(help.out)).toEqual(Object.keys(cmd.options));
      for (const [name, spec] of Object.entries(cmd.options)) {
        const arg = argOf(spec);
        expect(help.out).toContain(`--${name}${arg ? ` ${arg}` : ''}`);
      }
      expect(help.out).toContain('-h, --help');
    },
  );

  it.each(
    COMMANDS.flatMap((c) =>
      Object.entries(c.options).map(([name, spec]) => [c.name, name, c, spec] as const),
    ),
  )('%s accepts --%s as its help shows it', (_, name, cmd, spec) => {
    const value = sample(spec);
    const parsed = parseOptions(cmd, value === undefined ? [`--${name}`] : [`--${name}`, value]);
    expect(parsed.given.has(name)).toBe(true);
  });

  it.each([
    ['status', '--wait DURATION'],
    ['approve', '--deny'],
    ['approve', '--reason TEXT'],
    ['rollback', '--service NAME'],
    ['rollback', '--version VERSION'],
    ['wait', '--timeout DURATION'],
    ['wait', '--digest sha256:…'],
    ['deploy', '--profile NAME'],
    ['status', '--region REGION'],
  ])('%s --help shows %s, which the review found missing', async (name, flag) => {
    expect((await run([name, '--help'])).out).toContain(`  ${flag}`);
  });

  it('docs/cli.md shows the help as status --help prints it', () => {
    const status = COMMANDS.find((c) => c.name === 'status');
    if (!status) throw new Error('no status command');
    const doc = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    expect(doc).toContain(`\`\`\`\n${helpText(status)}\n\`\`\``);
  });

  it('loads each command under the name the help lists it by', () => {
    expect(COMMANDS.map((c) => c.name)).toEqual(ENTRIES.map((e) => e.name));
  });

  it('lists every command in the top-level help with its summary', async () => {
    const help = await run(['--help']);
    for (const c of ENTRIES) expect(help.out).toContain(`  ${c.name.padEnd(10)}${c.summary}`);
  });
});

describe('durations, in every option that takes one', () => {
  const durations = COMMANDS.flatMap((c) =>
    Object.entries(c.options)
      .filter(([, spec]) => spec.kind === 'duration')
      .map(([name]) => [c.name, name, c] as const),
  );

  it('include wait --timeout, status --wait and deploy --bake', () => {
    expect(durations.map(([c, name]) => `${c} --${name}`)).toEqual(
      expect.arrayContaining(['wait --timeout', 'status --wait', 'deploy --bake', 'deploy --timeout']),
    );
  });

  it.each(durations)(
    '%s --%s reads 20s and a plain 20 alike (a latency threshold: 20ms and 20)',
    (_, name, cmd) => {
      const read = (text: string) =>
        (parseOptions(cmd, [`--${name}`, text]).values as Record<string, unknown>)[name];
      if (name === 'latency-threshold') expect([read('20ms'), read('20')]).toEqual([0.02, 0.02]);
      else expect([read('20s'), read('20')]).toEqual([20, 20]);
    },
  );

  it.each(durations)('%s --%s refuses -5m in one line naming the flag and the value', (_, name, cmd) => {
    expect(() => parseOptions(cmd, [`--${name}`, '-5m'])).toThrow(UsageError);
    expect(() => parseOptions(cmd, [`--${name}`, '-5m'])).toThrow(
      new RegExp(`^--${name} must be a duration like 90s, 5m or 1h.*, got '-5m'$`),
    );
  });

  it('reads 5m, 90s, 1h and plain seconds for wait --timeout', () => {
    const wait = COMMANDS.find((c) => c.name === 'wait');
    if (!wait) throw new Error('no wait command');
    const timeout = (text: string) => parseOptions(wait, ['x', '--timeout', text]).values.timeout;
    expect(['5m', '90s', '1h', '120'].map(timeout)).toEqual([300, 90, 3600, 120]);
  });

  it('refuses a duration above the option’s limit, and a fraction where whole seconds are due', () => {
    const status = COMMANDS.find((c) => c.name === 'status');
    if (!status) throw new Error('no status command');
    expect(() => parseOptions(status, ['x', '--wait', '30s'])).toThrow(
      "--wait must be at most 25s, got '30s'",
    );
    expect(() => parseOptions(status, ['x', '--wait', '1500ms'])).toThrow(
      "--wait must be whole seconds, got '1500ms'",
    );
  });
});

describe('parseOptions', () => {
  const cmd = command({
    name: 'try',
    usage: 'ID [options]',
    description: 'For tests.',
    positionals: ['ID'],
    options: {
      'state-dir': { kind: 'text', arg: 'DIR', help: 'where' },
      reason: { kind: 'text', arg: 'TEXT', help: 'why' },
      inject: { kind: 'text', arg: 'FAULT', multiple: true, help: 'faults' },
      limit: { kind: 'count', arg: 'N', min: 1, max: 100, default: 20, help: 'how many' },
      json: { kind: 'flag', help: 'as JSON' },
      help: HELP_OPTION,
    },
    run: async () => 0,
  });

  it('gives each option its typed value, defaults for the rest, and says which were given', () => {
    const parsed = parseOptions(cmd, ['id-1', '--limit', '5', '--inject', 'a', '--inject=b', '--json']);
    expect(parsed.values).toEqual({
      'state-dir': undefined,
      reason: undefined,
      inject: ['a', 'b'],
      limit: 5,
      json: true,
      help: false,
    });
    expect(parsed.positionals).toEqual(['id-1']);
    expect([...parsed.given]).toEqual(['limit', 'inject', 'json']);
    expect(parseOptions(cmd, []).values.limit).toBe(20);
  });

  it.each([
    [['--state-dir'], '--state-dir needs a value: --state-dir DIR'],
    [['--state-dir', '--json'], '--state-dir needs a value: --state-dir DIR'],
    [['--reason', '-h'], '--reason needs a value: --reason TEXT'],
    [['--limit', '150'], "--limit must be a whole number from 1 to 100, got '150'"],
    [['--json=yes'], "--json takes no value, got 'yes'"],
    [['--frobnicate'], "unknown option '--frobnicate'; 'npx stepwise try --help' lists its options"],
    [['-x'], "unknown option '-x'; 'npx stepwise try --help' lists its options"],
    [['a', 'b'], "unexpected argument 'b' after ID"],
  ])('refuses %j with %s', (argv, message) => {
    expect(() => parseOptions(cmd, argv)).toThrow(UsageError);
    expect(() => parseOptions(cmd, argv)).toThrow(message);
  });

  it('takes a value that starts with one dash, or any value given with =', () => {
    expect(parseOptions(cmd, ['--reason', '-x marks the spot']).values.reason).toBe('-x marks the spot');
    expect(parseOptions(cmd, ['--reason=--json']).values.reason).toBe('--json');
  });

  it('prints the whole message of a value error, however many sentences it has', async () => {
    const approve = await run(['deploy', '--service', 'c', '--image', 'x', '--approve', 'maybe']);
    expect(approve.code).toBe(1);
    expect(approve.err).toBe(
      "stepwise deploy: --approve must be auto, deny or after=DURATION (for example after=2m), got 'maybe'",
    );
  });
});

describe('any value, for any option that takes one', () => {
  const valued = COMMANDS.flatMap((c) =>
    Object.entries(c.options)
      .filter(([, spec]) => spec.kind !== 'flag')
      .map(([name, spec]) => [c.name, name, c, spec] as const),
  );

  it.each(valued)(
    '%s --%s=VALUE is taken, or refused naming the option and the value',
    (_, name, cmd, spec) => {
      fc.assert(
        fc.property(fc.string(), (text) => {
          let value: unknown;
          try {
            value = (parseOptions(cmd, [`--${name}=${text}`]).values as Record<string, unknown>)[name];
          } catch (error) {
            expect(error).toBeInstanceOf(UsageError);
            expect((error as Error).message.startsWith(`--${name} `)).toBe(true);
            expect((error as Error).message).toContain(`'${text}'`);
            return;
          }
          if (spec.kind === 'duration' || spec.kind === 'count') {
            expect(Number.isFinite(value) && (value as number) >= 0).toBe(true);
            if (spec.max !== undefined) expect(value as number).toBeLessThanOrEqual(spec.max);
          } else if (spec.kind === 'choice') expect(spec.choices).toContain(value);
          else expect(value).toEqual(spec.kind === 'text' && spec.multiple ? [text] : text);
        }),
      );
    },
  );

  it('prints every refusal on one line, control characters in the value included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        const run = await (async () => {
          const err: string[] = [];
          const code = await main(['status', `--wait=${text}`], {
            out: () => undefined,
            err: (l) => err.push(l),
          });
          return { code, err };
        })();
        expect(run.code).toBe(1);
        expect(run.err).toHaveLength(1);
        expect(run.err[0]).not.toMatch(/[\n\r]/);
      }),
    );
  });
});
