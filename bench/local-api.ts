/**
 * The local API under load, as a user runs it: `stepwise serve` in its own process, driven by
 * autocannon from this one. Measures `GET /deployments/{id}` at a fixed 500 requests a second
 * (goal, issue 11: p99 under 20 ms) and how many `GET /services` a second it answers with 500
 * services registered. Writes bench/results/local-api.{md,json}.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startServe } from './serve.ts';

const OUT = join(import.meta.dirname, 'results');
const RATE = 500;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const service = (name: string) => ({
  name,
  environment: 'bench',
  provider: { kind: 'simulated' },
  strategy: 'canary',
  // Held at an approval, so the deployment read is one under way.
  plan: {
    steps: [
      { weight: 10, bakeSeconds: 60 },
      { approval: { timeoutSeconds: 86_400 } },
      { weight: 100, bakeSeconds: 60 },
    ],
  },
  alarms: [`${name}-error-rate`],
});

/** A registry of 500 services, written to `dir`. */
function registry(dir: string): string {
  const config = join(dir, 'stepwise.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      services: Array.from({ length: 500 }, (_, i) => service(`svc-${String(i).padStart(3, '0')}`)),
    }),
  );
  return config;
}

async function load(url: string, options: { overallRate?: number; connections: number }) {
  const result = await autocannon({ url, duration: SECONDS, ...options });
  return {
    requests: result.requests.total,
    perSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'stepwise-bench-api-'));
const serve = await startServe(dir, registry(dir));
const { url } = serve;
try {
  const started = await fetch(`${url}/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: 'svc-000', image: 'bench:2' }),
  });
  const { deploymentId } = (await started.json()) as { deploymentId: string };
  // Warm up: the first requests pay for module loading and JIT.
  await autocannon({ url: `${url}/deployments/${deploymentId}`, duration: 2, connections: 10 });

  const one = await load(`${url}/deployments/${deploymentId}`, { overallRate: RATE, connections: 50 });
  const services = await load(`${url}/services`, { connections: 10 });
  const met = one.p99 < 20 && one.errors === 0 && one.perSecond >= RATE * 0.95;
  const lines = [
    '| request | offered | answered per second | p50 (ms) | p99 (ms) | errors |',
    '| --- | --- | --- | --- | --- | --- |',
    `| GET /deployments/{id} | ${RATE}/s | ${one.perSecond} | ${one.p50} | ${one.p99} | ${one.errors} |`,
    `| GET /services (500 services) | as fast as it answers | ${services.perSecond} | ${services.p50} | ${services.p99} | ${services.errors} |`,
    '',
    `Local API: GET /deployments/{id} at ${RATE} req/s, p99 ${one.p99} ms (goal: under 20 ms) ${met ? '✓' : '✗'}`,
  ];
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'local-api.md'), `${lines.join('\n')}\n`);
  writeFileSync(join(OUT, 'local-api.json'), `${JSON.stringify({ deployment: one, services }, null, 2)}\n`);
  process.stdout.write(
    `${lines.join('\n')}\nwritten: bench/results/local-api.json, bench/results/local-api.md\n`,
  );
} finally {
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
}
