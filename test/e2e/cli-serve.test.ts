import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The CLI as a user runs it, against `npx stepwise serve` running in the same folder. */
const bin = fileURLToPath(new URL('../../bin/stepwise.js', import.meta.url));
let cwd: string;
let server: ChildProcess;
let url: string;

function stepwise(...args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The CLI in the background, with a wait for a line on its stderr (rejected if it exits first). */
function background(args: string[], options: { closeStdout?: boolean } = {}) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (options.closeStdout) child.stdout.destroy();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => ({ stdout, stderr }),
    exited,
    stderrMatches: (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) resolve();
        };
        child.stderr.on('data', check);
        exited.then((code) => reject(new Error(`exited ${code} first; stderr: ${stderr}`)));
        check();
      }),
  };
}

const REGISTRY = {
  services: [
    {
      name: 'checkout',
      environment: 'prod',
      // A real provider: serve rehearses it on the simulated fleet.
      provider: {
        kind: 'ecs-alb',
        cluster: 'shop',
        services: ['checkout-blue', 'checkout-green'],
        targetGroupArns: [
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-blue/0123456789abcdef',
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-green/fedcba9876543210',
        ],
        listenerArn:
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2',
      },
      strategy: 'canary',
      alarms: ['checkout-5xx'],
      // Judged against the stable version too, as an in-process deploy is by default.
      analysis: {},
      trigger: { repository: 'shop/checkout', tagPattern: 'v*' },
    },
    {
      name: 'payments',
      environment: 'prod',
      provider: { kind: 'simulated' },
      strategy: 'canary',
      plan: {
        steps: [
          { weight: 10, bakeSeconds: 60 },
          { approval: { timeoutSeconds: 600 } },
          { weight: 100, bakeSeconds: 60 },
        ],
      },
      alarms: [],
      noAlarms: true,
    },
  ],
};

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'stepwise-serve-'));
  writeFileSync(join(cwd, 'stepwise.config.json'), JSON.stringify(REGISTRY));
  server = spawn(process.execPath, [bin, 'serve', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /stepwise serve · (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${seen}`)));
  });
}, 60_000);

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(cwd, { recursive: true, force: true });
});

const idOf = (stdout: string) => /^(\S+-[0-9a-f]{8}) · /m.exec(stdout)?.[1] ?? '';

describe('npx stepwise against npx stepwise serve', () => {
  it('serve says where it listens, which services it loaded, and refuses a second server on the same state', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(join(cwd, '.stepwise', 'server.json'))).toBe(true);
    const second = stepwise('serve', '--port', '0');
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('a local server already runs for this state folder');
  });

  it('push starts the matching service; wait --digest blocks until it ends and exits 0', () => {
    const digest = `sha256:${'c0'.repeat(32)}`;
    const push = stepwise('push', '--repository', 'shop/checkout', '--tag', 'v1.0.0', '--digest', digest);
    expect(push.code).toBe(0);
    expect(push.stdout).toMatch(/checkout +checkout-v1\.0\.0-[0-9a-f]{8} +QUEUED/);
    const waited = stepwise('wait', '--digest', digest);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain('SUCCEEDED (ended: succeeded)');
    expect(waited.stdout).toContain('requested by event:');

    const again = stepwise('push', '--repository', 'shop/checkout', '--tag', 'v1.0.0', '--digest', digest);
    expect(again.stdout).toContain('already requested: a second delivery of this push starts nothing');
    const other = stepwise('push', '--repository', 'shop/checkout', '--tag', 'latest');
    expect(other.stdout).toContain('skipped: tag latest does not match v*');
  });

  it('deploy goes through the server; approve lets a gated rollout finish; who approved is in the trail', () => {
    const deploy = stepwise(
      'deploy',
      '--service',
      'payments',
      '--image',
      'pay:2',
      '--no-wait',
      '--reason',
      'PCI fix',
    );
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain(`canary rollout of pay:2 to payments (${url})`);
    const id = idOf(deploy.stdout);
    expect(id).toMatch(/^payments-2-/);

    let status = stepwise('status', id);
    for (let i = 0; i < 50 && !status.stdout.includes('waiting for approval'); i++)
      status = stepwise('status', id, '--wait', '1');
    expect(status.stdout).toContain('waiting for approval');
    expect(status.stdout).toContain('traffic: baseline (simulated) 90%, pay:2 10%');

    const approve = stepwise('approve', id, '--reason', 'reviewed');
    expect(approve.code).toBe(0);
    const waited = stepwise('wait', id);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain('traffic: pay:2 100%');
    const json = JSON.parse(stepwise('status', id, '--json').stdout);
    expect(json).toMatchObject({ status: 'SUCCEEDED', requestReason: 'PCI fix' });
    const audit = stepwise('audit', id, '--json');
    expect(audit.code).toBe(0);
    const trail = JSON.parse(audit.stdout) as {
      chain: { intact: boolean };
      events: { type: string; detail?: { by?: string; reason?: string } }[];
    };
    expect(trail.chain.intact).toBe(true);
    expect(trail.events.find((e) => e.type === 'ApprovalDecided')?.detail).toMatchObject({
      by: expect.stringMatching(/@/),
      reason: 'reviewed',
    });
  });

  it('deploy --idempotency-key: a retried CI step gets the same deployment, not a second one', () => {
    const args = [
      'deploy',
      '--service',
      'payments',
      '--image',
      'pay:2b',
      '--no-wait',
      '--idempotency-key',
      'ci-run-4711',
    ];
    const first = stepwise(...args);
    const retry = stepwise(...args);
    expect(first.code).toBe(0);
    expect(retry.code).toBe(0);
    expect(idOf(retry.stdout)).toBe(idOf(first.stdout));
    const abort = stepwise('abort', idOf(first.stdout));
    expect(abort.code).toBe(0);
    expect(stepwise('wait', idOf(first.stdout)).code).toBe(2);
    expect(stepwise('deploy', ...args.slice(1, -1), 'bad key').stderr).toContain('--idempotency-key must be');
  });

  it('abort rolls a running deployment back; wait exits 2 and says who aborted', () => {
    const deploy = stepwise('deploy', '--service', 'payments', '--image', 'pay:3', '--no-wait');
    const id = idOf(deploy.stdout);
    let status = stepwise('status', id);
    for (let i = 0; i < 50 && !status.stdout.includes('waiting for approval'); i++)
      status = stepwise('status', id, '--wait', '1');
    const abort = stepwise('abort', id, '--reason', 'bad config');
    expect(abort.code).toBe(0);
    const waited = stepwise('wait', id);
    expect(waited.code).toBe(2);
    expect(waited.stdout).toMatch(/reason: aborted by \S+ \(bad config\)/);
    expect(waited.stdout).toContain('traffic: pay:2 100%');
  });

  it('rollback deploys the version the live one replaced, and history lists it all newest first', () => {
    const rollback = stepwise('rollback', '--service', 'payments', '--reason', 'pay:2 is slow');
    expect(rollback.code).toBe(0);
    const waited = stepwise('wait', idOf(rollback.stdout));
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain('traffic: baseline (simulated) 100%');
    const history = stepwise('history', '--service', 'payments');
    const rows = history.stdout.split('\n').filter((l) => l.startsWith('payments-'));
    expect(rows.map((r) => r.split(/\s+/)[3])).toEqual([
      'SUCCEEDED',
      'ROLLED_BACK',
      'ROLLED_BACK',
      'SUCCEEDED',
    ]);
  });

  it('events put sends an EventBridge event file through dispatch', () => {
    const file = join(cwd, 'push.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: '0',
        id: 'e1',
        'detail-type': 'ECR Image Action',
        source: 'aws.ecr',
        account: '123456789012',
        time: '2026-11-23T10:00:00Z',
        region: 'eu-west-1',
        resources: [],
        detail: {
          result: 'SUCCESS',
          'repository-name': 'shop/checkout',
          'image-digest': `sha256:${'d1'.repeat(32)}`,
          'action-type': 'PUSH',
          'image-tag': 'v1.1.0',
        },
      }),
    );
    const put = stepwise('events', 'put', file);
    expect(put.code).toBe(0);
    const id = /checkout +(checkout-v1\.1\.0-[0-9a-f]{8})/.exec(put.stdout)?.[1] as string;
    expect(id).toBeDefined();
    const waited = stepwise('wait', id);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain(
      'traffic: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout:v1.1.0 100%',
    );
  });

  it('says what is wrong, with exit 1, for an unknown deployment, a flag that belongs to serve, and a bad id', () => {
    const unknown = stepwise('status', 'nope-123');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'stepwise status: 404 DeploymentNotFound: deployment nope-123 does not exist',
    );
    const inject = stepwise('deploy', '--service', 'payments', '--image', 'pay:9', '--inject', 'errors=5%');
    expect(inject.code).toBe(1);
    expect(inject.stderr).toContain(
      "--inject shapes an in-process run; give it to 'npx stepwise serve' instead",
    );
    expect(stepwise('approve', 'bad id!').stderr).toContain("'bad id!' is not a deployment id");
  });

  it('wait --digest waits for a push that is recorded after it started, then for its deployment', async () => {
    const digest = `sha256:${'e2'.repeat(32)}`;
    const waiting = background(['wait', '--digest', digest, '--timeout', '60']);
    await waiting.stderrMatches(new RegExp(`waiting for a deployment of ${digest} to be recorded`));
    const push = stepwise('push', '--repository', 'shop/checkout', '--tag', 'v2.0.0', '--digest', digest);
    expect(push.code).toBe(0);
    expect(await waiting.exited).toBe(0);
    expect(waiting.output().stdout).toMatch(/checkout-v2\.0\.0-[0-9a-f]{8} · checkout · canary · SUCCEEDED/);

    const json = stepwise('wait', '--digest', digest, '--json');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
  });

  it('wait --digest gives up after its timeout when no deployment of the digest was recorded', () => {
    const digest = `sha256:${'f3'.repeat(32)}`;
    const run = stepwise('wait', '--digest', digest, '--timeout', '0');
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`stepwise wait: no deployment of ${digest} was recorded within 0s`);
  });

  it('deploy --json prints the same keys through the server as in-process', () => {
    const served = stepwise('deploy', '--service', 'checkout', '--image', 'shop:9', '--json');
    expect(served.code).toBe(0);
    const elsewhere = join(cwd, 'in-process');
    const local = stepwise(
      'deploy',
      '--service',
      'checkout',
      '--image',
      'shop:9',
      '--json',
      '--state-dir',
      elsewhere,
    );
    expect(local.code).toBe(0);
    const [a, b] = [JSON.parse(served.stdout), JSON.parse(local.stdout)];
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(a.steps.map((s: object) => Object.keys(s).sort())).toEqual(
      b.steps.map((s: object) => Object.keys(s).sort()),
    );
    for (const result of [a, b]) {
      expect(result).toMatchObject({ status: 'SUCCEEDED', service: 'checkout', candidateVersion: 'shop:9' });
      expect(result.steps.map((s: { weight: number; verdict: string }) => [s.weight, s.verdict])).toEqual([
        [10, 'healthy'],
        [25, 'healthy'],
        [50, 'healthy'],
        [100, 'healthy'],
      ]);
      expect(result.auditChainIntact).toBe(true);
    }
    expect([a.via, b.via]).toEqual([url, 'in-process']);
    // The comparison's evidence, as status shows the last verdict and audit every check.
    const status = stepwise('status', a.deploymentId);
    expect(status.stdout).toMatch(
      /last verdict: healthy at step 4 \(checkout-error-rate OK, checkout-p99-latency OK, stepwise-checkout-9-[0-9a-f]+-error-rate-vs-stable OK\)\n {4}candidate \/ stable: errors \d\.\d\d% \/ \d\.\d\d% · p95 \d+ \/ \d+ ms/,
    );
    expect(stepwise('audit', a.deploymentId).stdout).toMatch(
      /HealthChecked .* step 1: healthy · candidate \/ stable: errors/,
    );
  });

  it('status into a closed pipe exits quietly with 141', async () => {
    const [latest] = JSON.parse(stepwise('history', '--service', 'checkout', '--json').stdout);
    const run = background(['status', latest.deploymentId], { closeStdout: true });
    const code = await run.exited;
    expect(run.output().stderr).toBe('');
    expect(code).toBe(141);
  });

  it('stops on SIGTERM and removes its server file', async () => {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    expect(existsSync(join(cwd, '.stepwise', 'server.json'))).toBe(false);
    const status = stepwise('status', 'anything-1');
    expect(status.stderr).toContain("status needs a Stepwise API: start 'npx stepwise serve' here");
  });
});
