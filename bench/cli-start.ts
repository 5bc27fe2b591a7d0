/**
 * `npm run bench` (CLI start): how long `stepwise --help` takes, from process start to exit, against
 * a bare `node -e 0`, median of several runs (the compile cache warm after the first, as on a
 * user's machine). Goal (issue 11): under 150 ms. Writes bench/results/cli-start.{md,json}.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GOAL_MS = 150;
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const ROOT = join(import.meta.dirname, '..');
const OUT = join(import.meta.dirname, 'results');

function medianMs(args: string[]): number {
  const times = Array.from({ length: RUNS }, () => {
    const started = performance.now();
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    return performance.now() - started;
  }).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

// The first run fills the compile cache; the median is of the runs after it.
execFileSync(process.execPath, ['bin/stepwise.js', '--help'], { cwd: ROOT, stdio: 'ignore' });
const help = medianMs(['bin/stepwise.js', '--help']);
const floor = medianMs(['-e', '0']);
const lines = [
  '## CLI start (`stepwise --help`, whole process, median)',
  '',
  `| command | ms |`,
  '|---|---:|',
  `| \`stepwise --help\` | ${help.toFixed(0)} |`,
  `| \`node -e 0\` | ${floor.toFixed(0)} |`,
  '',
  `CLI start ${help.toFixed(0)} ms against the goal of ${GOAL_MS} ms: ${help < GOAL_MS ? 'met' : '**not met**'} (${(help - floor).toFixed(0)} ms above a bare node).`,
];
console.log(lines.join('\n'));
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'cli-start.md'), `${lines.join('\n')}\n`);
writeFileSync(join(OUT, 'cli-start.json'), `${JSON.stringify({ helpMs: help, floorMs: floor }, null, 2)}\n`);
