/**
 * `npm run bench` (bundles): each Lambda function's bundle, built with the stack's own esbuild
 * options (lib/functions/bundle.ts), its minified size, and how long Node takes to import it
 * (module init: what a cold start pays before the handler runs), median of several fresh
 * processes. Goals (issue 11): at most 150 KB, and init under 100 ms. Writes
 * bench/results/bundles.{md,json}.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE } from '../lib/functions/bundle.ts';
import { ENTRIES_DIR } from '../lib/project-paths.ts';

const SIZE_GOAL_KB = 150;
const INIT_GOAL_MS = 100;
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const OUT = join(import.meta.dirname, 'results');

/** What a function's environment holds on AWS, with dummy values: enough for every entry to load. */
const ENV = {
  PATH: process.env.PATH ?? '',
  TABLE_NAME: 'stepwise-bench',
  STATE_MACHINE_ARNS: '{"canary":"arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-canary"}',
  REGISTRY_HOST: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  POWERTOOLS_SERVICE_NAME: 'stepwise-bench',
};

function entries(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? entries(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Milliseconds from `import()` to the module's namespace, in a fresh Node process. */
function initMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return Number(out);
}

const dir = mkdtempSync(join(tmpdir(), 'stepwise-bundles-'));
const rows: { entry: string; kb: number; initMs: number; packages: [string, number][] }[] = [];
for (const entry of entries(ENTRIES_DIR).sort()) {
  const name = relative(ENTRIES_DIR, entry).replace(/\.ts$/, '').replaceAll('/', '-');
  const outfile = join(dir, `${name}.mjs`);
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_BUNDLE.target,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: { js: LAMBDA_BUNDLE.banner },
    external: [...LAMBDA_BUNDLE.external],
    minify: true,
    metafile: true,
    logLevel: 'error',
  });
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const inModules = input.split('node_modules/').at(-1) ?? input;
      const parts = inModules.split('/');
      const key = !input.includes('node_modules/')
        ? 'stepwise'
        : parts[0]?.startsWith('@')
          ? `${parts[0]}/${parts[1]}`
          : (parts[0] ?? input);
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  const times = Array.from({ length: RUNS }, () => initMs(outfile));
  rows.push({
    entry: relative(ENTRIES_DIR, entry),
    kb: statSync(outfile).size / 1024,
    initMs: median(times),
    packages: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 4),
  });
}

const floor = median(
  Array.from({ length: RUNS }, () => {
    const t = performance.now();
    execFileSync(process.execPath, ['-e', '0'], { env: ENV });
    return performance.now() - t;
  }),
);
const met = (ok: boolean) => (ok ? 'met' : '**not met**');
const maxKb = Math.max(...rows.map((r) => r.kb));
const maxInit = Math.max(...rows.map((r) => r.initMs));
const lines = [
  "## Lambda bundles (the stack's esbuild options; init = `await import()` in a fresh process, median)",
  '',
  '| function entry | minified KB | init ms | largest parts (KB) |',
  '|---|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.entry} | ${r.kb.toFixed(1)} | ${r.initMs.toFixed(0)} | ${r.packages.map(([p, b]) => `${p} ${(b / 1024).toFixed(0)}`).join(', ')} |`,
  ),
  '',
  `Largest bundle ${maxKb.toFixed(1)} KB against the goal of ${SIZE_GOAL_KB} KB: ${met(maxKb <= SIZE_GOAL_KB)}.`,
  `Slowest init ${maxInit.toFixed(0)} ms against the goal of ${INIT_GOAL_MS} ms: ${met(maxInit < INIT_GOAL_MS)} (a whole \`node -e 0\` takes ${floor.toFixed(0)} ms here).`,
];
console.log(lines.join('\n'));
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'bundles.md'), `${lines.join('\n')}\n`);
writeFileSync(join(OUT, 'bundles.json'), `${JSON.stringify({ rows, floorMs: floor }, null, 2)}\n`);
