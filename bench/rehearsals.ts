/**
 * 1,000 rehearsals at once through `stepwise serve` (goal, issue 11: all ended in under 60 s,
 * with the verdicts the same rehearsal gets when it runs alone), as performance.md measured them:
 * 1,000 simulated services, each a one-hour 10-step canary (a registry file takes 500 services, so
 * serve boots once per file of 500 on the same state folder, registration adding to what is
 * there); all 1,000 deployments are started through the API at once, and the bench waits until
 * every one has ended. Then one runs alone in process (`stepwise deploy --json`) for the idle
 * verdict. Writes bench/results/rehearsals.{md,json}.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from './serve.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(import.meta.dirname, 'results');
const BIN = join(ROOT, 'bin', 'stepwise.js');
const COUNT = Number(process.env.BENCH_REHEARSALS ?? 1000);
const ENDED = new Set(['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CANCELLED']);
const PLAN = { steps: Array.from({ length: 10 }, (_, i) => ({ weight: 10 * (i + 1), bakeSeconds: 360 })) };
/** The most services one registry file may hold. */
const PER_FILE = Number(process.env.BENCH_PER_FILE ?? 500);
const name = (i: number) => `svc-${String(i).padStart(4, '0')}`;

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let from = 0; from < items.length; from += width) {
    results.push(...(await Promise.all(items.slice(from, from + width).map(work))));
  }
  return results;
}

const dir = mkdtempSync(join(tmpdir(), 'stepwise-bench-rehearsals-'));
const config = join(dir, 'stepwise.config.json');
const files = Math.ceil(COUNT / PER_FILE);
for (let file = 0; file < files; file++) {
  const from = file * PER_FILE;
  writeFileSync(
    config,
    JSON.stringify({
      services: Array.from({ length: Math.min(PER_FILE, COUNT - from) }, (_, k) => ({
        name: name(from + k),
        environment: 'bench',
        provider: { kind: 'simulated' },
        strategy: 'canary',
        plan: PLAN,
        alarms: [`${name(from + k)}-error-rate`],
      })),
    }),
  );
  if (file === files - 1) break;
  await (await startServe(dir, config, 300)).stop();
  rmSync(join(dir, 'state', 'server.json'), { force: true });
}
const serve = await startServe(dir, config, 300);
const { url } = serve;
let outcome: { seconds: number; statuses: Record<string, number>; idle: string; same: boolean };
try {
  const started = Date.now();
  const ids = await inBatches(
    Array.from({ length: COUNT }, (_, i) => i),
    50,
    async (i) => {
      const response = await fetch(`${url}/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: name(i), image: `app:${i}-2` }),
      });
      const body = (await response.json()) as { deploymentId?: string; message?: string };
      if (!body.deploymentId)
        throw new Error(`POST /deployments for ${name(i)}: ${response.status} ${body.message}`);
      return body.deploymentId;
    },
  );
  const statuses = new Map<string, string>();
  while (statuses.size < ids.length && Date.now() - started < 1_800_000) {
    const open = ids.filter((id) => !statuses.has(id));
    await inBatches(open, 25, async (id) => {
      const view = (await (await fetch(`${url}/deployments/${id}`)).json()) as { status: string };
      if (ENDED.has(view.status)) statuses.set(id, view.status);
    });
    if (statuses.size < ids.length) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const counts: Record<string, number> = {};
  for (const status of statuses.values()) counts[status] = (counts[status] ?? 0) + 1;
  counts.unfinished = ids.length - statuses.size;
  // The same rehearsal, alone and in process.
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(PLAN));
  let idle: string;
  try {
    const out = execFileSync(
      process.execPath,
      [
        BIN,
        'deploy',
        '--service',
        'alone',
        '--image',
        'app:2',
        '--plan',
        planFile,
        '--state-dir',
        join(dir, 'alone'),
        '--json',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    idle = (JSON.parse(out) as { status: string }).status;
  } catch (error) {
    const out = (error as { stdout?: string }).stdout ?? '{}';
    idle = (JSON.parse(out) as { status?: string }).status ?? 'unknown';
  }
  outcome = {
    seconds,
    statuses: counts,
    idle,
    same: statuses.size === ids.length && [...statuses.values()].every((s) => s === idle),
  };
} finally {
  await serve.stop();
}
rmSync(dir, { recursive: true, force: true });
const met = outcome.same && outcome.seconds < 60;
const lines = [
  '| rehearsals | wall time (s) | outcomes | alone |',
  '| --- | --- | --- | --- |',
  `| ${COUNT} | ${outcome.seconds} | ${Object.entries(outcome.statuses)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ')} | ${outcome.idle} |`,
  '',
  `${COUNT} rehearsals at once through serve: ${outcome.seconds} s, ${outcome.same ? 'every verdict as alone' : 'verdicts differ from a run alone'} (goal: under 60 s, the same verdicts) ${met ? '✓' : '✗'}`,
];
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'rehearsals.md'), `${lines.join('\n')}\n`);
writeFileSync(join(OUT, 'rehearsals.json'), `${JSON.stringify({ count: COUNT, ...outcome }, null, 2)}\n`);
process.stdout.write(
  `${lines.join('\n')}\nwritten: bench/results/rehearsals.json, bench/results/rehearsals.md\n`,
);
