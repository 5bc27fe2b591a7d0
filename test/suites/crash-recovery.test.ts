import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../lambdas/control/operations.ts';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { LocalRuntime } from '../../local/runtime.ts';
import { invariantViolations, scanTable } from '../support/invariants.ts';

/**
 * Crash recovery: `stepwise serve` killed with SIGKILL in the middle of a bake, in an approval wait,
 * and with more than 50 deployments queued behind the running one, then started again on the same
 * state folder. Every deployment must end (the one that was running rolled back, the queued ones
 * run), and the store must then hold every invariant of docs/architecture.md. Prints its figures.
 */

const bin = join(PROJECT_ROOT, 'bin', 'stepwise.js');
const figures = { kills: 0, deployments: 0, violations: 0 };
const dirs: string[] = [];

afterAll(() => {
  console.log(
    `crash recovery: ${figures.kills} kills, ${figures.deployments} deployments ended, ${figures.violations} violations`,
  );
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const GATE = { approval: { timeoutSeconds: 3600, onTimeout: 'rollback' } };
const REGISTRY = {
  services: [
    {
      name: 'baking',
      environment: 'test',
      provider: { kind: 'simulated' },
      strategy: 'canary',
      plan: {
        steps: [
          { weight: 50, bakeSeconds: 4 },
          { weight: 100, bakeSeconds: 1 },
        ],
      },
      alarms: ['baking-error-rate'],
    },
    {
      name: 'gated',
      environment: 'test',
      provider: { kind: 'simulated' },
      strategy: 'canary',
      plan: { steps: [{ weight: 10, bakeSeconds: 60 }, GATE, { weight: 100, bakeSeconds: 60 }] },
      alarms: ['gated-error-rate'],
    },
  ],
};

interface Serve {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** `stepwise serve` on the state folder, once it listens. */
async function serve(dir: string, flags: string[]): Promise<Serve> {
  const config = join(dir, 'stepwise.config.json');
  writeFileSync(config, JSON.stringify(REGISTRY));
  const serverFile = join(dir, 'state', 'server.json');
  const before = existsSync(serverFile) ? readFileSync(serverFile, 'utf8') : '';
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--state-dir', join(dir, 'state'), '--port', '0', '--config', config, ...flags],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 600; i++) {
    const now = existsSync(serverFile) ? readFileSync(serverFile, 'utf8') : '';
    if (now && now !== before) {
      const { url } = JSON.parse(now) as { url: string };
      return {
        child,
        url,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`serve did not start: ${output}`);
}

async function call<T>(s: Serve, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${s.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as T;
}

async function until(s: Serve, id: string, done: (v: DeploymentView) => boolean): Promise<DeploymentView> {
  for (let i = 0; i < 1200; i++) {
    const view = await call<DeploymentView>(s, 'GET', `/deployments/${id}`);
    if (done(view)) return view;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`deployment ${id} did not get there`);
}

const ENDED = new Set(['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'CANCELLED']);
const ended = (v: DeploymentView) => ENDED.has(v.status);

/** SIGKILL, as a crash: nothing is cleaned up on the way out. */
async function crash(s: Serve): Promise<void> {
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill('SIGKILL');
  await exited;
  figures.kills += 1;
}

/** After the server stopped for good: the store's invariants, read from its files. */
async function storeViolations(dir: string): Promise<string[]> {
  const runtime = await LocalRuntime.open(join(dir, 'state'));
  try {
    return invariantViolations(await scanTable(runtime.client, runtime.tableName));
  } finally {
    await runtime.close();
  }
}

async function scenario(
  flags: string[],
  restartFlags: string[],
  start: (s: Serve) => Promise<string[]>,
): Promise<{ views: DeploymentView[]; violations: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-crash-'));
  dirs.push(dir);
  const first = await serve(dir, flags);
  const ids = await start(first);
  await crash(first);
  const second = await serve(dir, restartFlags);
  const views: DeploymentView[] = [];
  try {
    for (const id of ids) views.push(await until(second, id, ended));
  } finally {
    await second.stop();
  }
  const violations = await storeViolations(dir);
  figures.deployments += views.length;
  figures.violations += violations.length;
  return { views, violations };
}

describe('serve killed and started again on the same state', () => {
  it('during a bake: the running deployment is rolled back, the one queued behind it runs', async () => {
    const { views, violations } = await scenario(['--real-time'], [], async (s) => {
      const running = await call<DeploymentView>(s, 'POST', '/deployments', {
        service: 'baking',
        image: 'b:2',
      });
      const queued = await call<DeploymentView>(s, 'POST', '/deployments', {
        service: 'baking',
        image: 'b:3',
      });
      await until(s, running.deploymentId, (v) => v.weights['b:2'] === 50);
      return [running.deploymentId, queued.deploymentId];
    });
    expect(views.map((v) => v.status)).toEqual(['ROLLED_BACK', 'SUCCEEDED']);
    expect(violations).toEqual([]);
  });

  it('in an approval wait: the waiting deployment is rolled back', async () => {
    const { views, violations } = await scenario([], ['--approve', 'auto'], async (s) => {
      const waiting = await call<DeploymentView>(s, 'POST', '/deployments', {
        service: 'gated',
        image: 'g:2',
      });
      await until(s, waiting.deploymentId, (v) => v.phase === 'waiting for approval');
      return [waiting.deploymentId];
    });
    expect(views.map((v) => v.status)).toEqual(['ROLLED_BACK']);
    expect(violations).toEqual([]);
  });

  it('with more than 50 deployments queued: the running one is rolled back and every queued one runs', async () => {
    const { views, violations } = await scenario([], ['--approve', 'auto'], async (s) => {
      const running = await call<DeploymentView>(s, 'POST', '/deployments', {
        service: 'gated',
        image: 'g:100',
      });
      await until(s, running.deploymentId, (v) => v.phase === 'waiting for approval');
      const queued: string[] = [];
      for (let i = 1; i <= 52; i++) {
        const view = await call<DeploymentView>(s, 'POST', '/deployments', {
          service: 'gated',
          image: `g:${100 + i}`,
        });
        queued.push(view.deploymentId);
      }
      return [running.deploymentId, ...queued];
    });
    expect(views[0]?.status).toBe('ROLLED_BACK');
    expect(views.slice(1).every((v) => v.status === 'SUCCEEDED')).toBe(true);
    expect(violations).toEqual([]);
  });
});
