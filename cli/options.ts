import { parseArgs } from 'node:util';
import { InvalidInputError } from '../lambdas/domain/errors.ts';
import { parseDurationSeconds } from '../lambdas/domain/plan.ts';
import { UsageError } from './errors.ts';
import { formatDuration } from './format.ts';
import type { Io } from './io.ts';

/**
 * One option of a command. The same table drives the parser, the value checks and the help text,
 * so a flag cannot be accepted without being documented, or documented in a form it refuses.
 */
export type OptionSpec =
  | { kind: 'flag'; help: string; short?: string }
  | { kind: 'text'; arg: string; help: string; multiple?: boolean; default?: string }
  /** Seconds; written `90`, `90s`, `5m`, `1h` (or `900ms` when `wholeSeconds` is false). */
  | {
      kind: 'duration';
      help: string;
      default?: number;
      max?: number;
      /** False for sub-second values such as a latency threshold. */
      wholeSeconds?: boolean;
      /** What a bare number means: seconds unless said otherwise. */
      bareUnit?: 'ms';
    }
  | { kind: 'count'; arg: string; help: string; min: number; max?: number; default?: number }
  /** One of a few words; `arg` names the value in help when the words are too many to list there. */
  | { kind: 'choice'; choices: readonly string[]; help: string; default?: string; arg?: string };

export type Options = Readonly<Record<string, OptionSpec>>;

type ValueOf<S> = S extends { kind: 'flag' }
  ? boolean
  : S extends { kind: 'text'; multiple: true }
    ? string[]
    : S extends { kind: 'text'; default: string }
      ? string
      : S extends { kind: 'text' }
        ? string | undefined
        : S extends { kind: 'duration' | 'count'; default: number }
          ? number
          : S extends { kind: 'duration' | 'count' }
            ? number | undefined
            : S extends { kind: 'choice'; choices: readonly (infer C)[]; default: string }
              ? C
              : S extends { kind: 'choice'; choices: readonly (infer C)[] }
                ? C | undefined
                : never;

export type Values<O extends Options> = { -readonly [K in keyof O]: ValueOf<O[K]> };

export interface Parsed<O extends Options> {
  values: Values<O>;
  positionals: string[];
  /** The options given on the command line (not defaulted), by name. */
  given: Set<keyof O & string>;
}

export interface Command<O extends Options = Options> {
  name: string;
  /** What follows `npx stepwise <name>` in the usage line. */
  usage: string;
  description: string;
  options: O;
  /** Names of the positional arguments it takes, in order; more than these is an error. */
  positionals?: readonly string[];
  /** Printed after the options: examples, grammar, exit codes. */
  notes?: string;
  /**
   * True when `run` stops what it started once `io.signal` aborts, and returns: the CLI waits for
   * it. Otherwise the CLI exits as soon as it is stopped.
   */
  cleansUp?: boolean;
  run(parsed: Parsed<O>, io: Io): Promise<number>;
}

/** Declares a command; only here so TypeScript infers the option table's value types for `run`. */
export function command<const O extends Options>(spec: Command<O>): Command<O> {
  return spec;
}

export const HELP_OPTION = { kind: 'flag', short: 'h', help: 'this help' } as const;

/** How an option's value is written in help and errors: `--bake DURATION`. */
export function argOf(spec: OptionSpec): string | undefined {
  switch (spec.kind) {
    case 'flag':
      return undefined;
    case 'duration':
      return 'DURATION';
    case 'choice':
      return spec.arg ?? spec.choices.join('|');
    default:
      return spec.arg;
  }
}

function defaultOf(spec: OptionSpec): string | undefined {
  if (!('default' in spec) || spec.default === undefined) return undefined;
  return spec.kind === 'duration' ? formatDuration(spec.default) : String(spec.default);
}

/**
 * Reads a duration the way plans in the service config are read (`90`, `90s`, `5m`, `1h`), for
 * every flag that takes one: `flag` names it in the error, with the value as given.
 */
export function parseDuration(
  text: string,
  flag: string,
  limits: { max?: number; wholeSeconds?: boolean; bareUnit?: 'ms' } = {},
): number {
  const usage = `${flag} must be a duration like 90s, 5m or 1h${limits.bareUnit ? ` (a bare number is ${limits.bareUnit})` : ''}, got '${text}'`;
  let seconds: number;
  try {
    seconds = parseDurationSeconds(
      limits.bareUnit && /^\d+$/.test(text) ? `${text}${limits.bareUnit}` : text,
      flag,
    );
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(usage);
    throw error;
  }
  if (limits.wholeSeconds !== false && !Number.isInteger(seconds)) {
    throw new UsageError(`${flag} must be whole seconds, got '${text}'`);
  }
  if (limits.max !== undefined && seconds > limits.max) {
    throw new UsageError(`${flag} must be at most ${formatDuration(limits.max)}, got '${text}'`);
  }
  return seconds;
}

function convert(name: string, spec: OptionSpec, text: string): unknown {
  const flag = `--${name}`;
  switch (spec.kind) {
    case 'duration':
      return parseDuration(text, flag, spec);
    case 'count': {
      const range = spec.max === undefined ? `${spec.min} or more` : `from ${spec.min} to ${spec.max}`;
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < spec.min || (spec.max !== undefined && n > spec.max)) {
        throw new UsageError(`${flag} must be a whole number ${range}, got '${text}'`);
      }
      return n;
    }
    case 'choice':
      if (!spec.choices.includes(text)) {
        throw new UsageError(`${flag} must be one of ${spec.choices.join(', ')}, got '${text}'`);
      }
      return text;
    default:
      return text;
  }
}

/**
 * Parses `argv` against a command's option table. Node's parseArgs splits the words; the checks
 * are ours, so that every mistake is one line naming the option and the value: a value may start
 * with one dash (`--bake -5m` is a bad duration, not an "ambiguous argument"), while a value that
 * is another option (`--state-dir --json`) means the value is missing.
 */
export function parseOptions<O extends Options>(cmd: Command<O>, argv: string[]): Parsed<O> {
  const table: Record<string, OptionSpec> = cmd.options;
  const shorts = new Map(
    Object.entries(table).flatMap(([name, spec]) =>
      spec.kind === 'flag' && spec.short ? [[spec.short, name] as const] : [],
    ),
  );
  const { tokens } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(table).map(([name, spec]) => [
        name,
        spec.kind === 'flag'
          ? { type: 'boolean' as const, ...(spec.short ? { short: spec.short } : {}) }
          : { type: 'string' as const },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const isOption = (word: string) => {
    const long = /^--([^=]+)/.exec(word)?.[1];
    return long !== undefined || (/^-[a-zA-Z]$/.test(word) && shorts.has(word.slice(1)));
  };
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const name = token.rawName.startsWith('--') ? token.name : shorts.get(token.name);
    const spec = name === undefined ? undefined : table[name];
    if (name === undefined || !spec) {
      throw new UsageError(
        `unknown option '${token.rawName}'; 'npx stepwise ${cmd.name} --help' lists its options`,
      );
    }
    given.add(name);
    if (spec.kind === 'flag') {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value, got '${token.value}'`);
      values[name] = true;
      continue;
    }
    const arg = argOf(spec);
    if (token.value === undefined || (!token.inlineValue && isOption(token.value))) {
      throw new UsageError(`--${name} needs a value: --${name} ${arg}`);
    }
    const value = convert(name, spec, token.value);
    if (spec.kind === 'text' && spec.multiple) values[name] = [...((values[name] as string[]) ?? []), value];
    else values[name] = value;
  }
  for (const [name, spec] of Object.entries(table)) {
    if (name in values) continue;
    if (spec.kind === 'flag') values[name] = false;
    else if (spec.kind === 'text' && spec.multiple) values[name] = [];
    else if ('default' in spec && spec.default !== undefined) values[name] = spec.default;
  }
  const names = cmd.positionals ?? [];
  if (positionals.length > names.length) {
    const extra = positionals[names.length];
    throw new UsageError(
      names.length === 0
        ? `unexpected argument '${extra}'; ${cmd.name} takes options only`
        : `unexpected argument '${extra}' after ${names.join(' ')}`,
    );
  }
  return { values: values as Values<O>, positionals, given: given as Set<keyof O & string> };
}

const WIDTH = 100;

/** Wraps `text` into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The option list of a help text: one entry per option in the table, the default last. */
export function optionLines(options: Options): string[] {
  const entries = Object.entries(options).map(([name, spec]) => {
    const arg = argOf(spec);
    const short = spec.kind === 'flag' && spec.short ? `-${spec.short}, ` : '';
    const fallback = defaultOf(spec);
    const choices = spec.kind === 'choice' && spec.arg ? `: ${spec.choices.join(' | ')}` : '';
    return {
      flag: `${short}--${name}${arg ? ` ${arg}` : ''}`,
      help: `${spec.help}${choices}${spec.kind === 'text' && spec.multiple ? ' (repeatable)' : ''}${fallback !== undefined ? ` (default ${fallback})` : ''}`,
    };
  });
  const column = Math.min(32, Math.max(...entries.map((e) => e.flag.length)) + 2);
  return entries.flatMap(({ flag, help }) => {
    const body = wrap(help, WIDTH - 2 - column);
    const pad = ' '.repeat(2 + column);
    if (flag.length + 2 > column) return [`  ${flag}`, ...body.map((l) => `${pad}${l}`)];
    return body.map((l, i) => (i === 0 ? `  ${flag.padEnd(column)}${l}` : `${pad}${l}`));
  });
}

/** A command's help, generated from its table: usage, description, options, notes. */
export function helpText(cmd: Command): string {
  return [
    `Usage: npx stepwise ${cmd.name} ${cmd.usage}`,
    '',
    ...cmd.description.split('\n\n').flatMap((p, i) => [...(i > 0 ? [''] : []), ...wrap(p, WIDTH)]),
    '',
    'Options:',
    ...optionLines(cmd.options),
    ...(cmd.notes ? ['', cmd.notes] : []),
  ].join('\n');
}
