import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The CLI as a user runs it: a child process in a fresh working directory. */
const bin = fileURLToPath(new URL('../../bin/stepwise.js', import.meta.url));
let cwd: string;

function stepwise(...args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The CLI running in the background: its stderr so far, a wait for a line there, and its exit code. */
function background(args: string[], options: { closeStdout?: boolean } = {}) {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A reader that went away before the first line, as `| head -1` is after its line.
  if (options.closeStdout) child.stdout?.destroy();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    /** Resolves once stderr matches; rejects if the CLI exits first. */
    stderrMatches: (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) resolve();
        };
        child.stderr?.on('data', check);
        exited.then((code) => reject(new Error(`exited ${code} first; stderr: ${stderr}`)));
        check();
      }),
  };
}

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'stepwise-e2e-'));
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

describe('npx stepwise', () => {
  let succeeded: { deploymentId: string };
  let rolledBack: { deploymentId: string; finalWeights: Record<string, number> };

  it('deploys a healthy version, shows each step and exits 0', () => {
    const run = stepwise('deploy', '--service', 'checkout', '--image', 'shop:1.0', '--bake', '2m');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('stable      baseline (simulated)');
    expect(run.stdout).toMatch(/step 1 {2}shop:1\.0 10% · baseline \(simulated\) 90%\n {12}bake 2m\n/);
    expect(run.stdout).toMatch(/step 4 {2}shop:1\.0 100%/);
    expect(run.stdout).toContain('✓ healthy   checkout-error-rate OK · checkout-p99-latency OK');
    expect(run.stdout).toContain('SUCCEEDED  checkout is on shop:1.0 (100%)');
    succeeded = { deploymentId: /deployment {2}(\S+)/.exec(run.stdout)?.[1] ?? '' };
  });

  it('rolls back an erroring version to 100 % on the old one, exits 2, and says so in JSON', () => {
    const run = stepwise(
      'deploy',
      '--service',
      'checkout',
      '--image',
      'shop:1.1',
      '--inject',
      'errors=8%',
      '--json',
    );
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      status: 'ROLLED_BACK',
      strategy: 'canary',
      finalWeights: { 'shop:1.0': 100, 'shop:1.1': 0 },
      auditChainIntact: true,
    });
    // The error-rate alarm's event ended the bake: within its first minute, not at its fifth.
    expect(report.steps[0]).toMatchObject({
      weight: 10,
      verdict: 'unhealthy',
      alarms: { 'checkout-error-rate': 'ALARM' },
      reasons: [expect.stringMatching(/^alarm checkout-error-rate went into ALARM at /)],
    });
    expect(report.auditEvents).toBe(6);
    expect(report.stateTransitions).toBeGreaterThan(5);
    expect(report.simulatedSeconds).toBeGreaterThan(0);
    expect(report.simulatedSeconds).toBeLessThanOrEqual(62);
    expect(report.wallMs).toBeGreaterThan(0);
    rolledBack = report;
  });

  it('says so when an injection never took effect, rather than passing silently', () => {
    const run = stepwise(
      'deploy',
      '--service',
      'nohooks',
      '--image',
      'n:1',
      '--bake',
      '1m',
      '--inject',
      'hook=fail',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('! --inject hook=fail never took effect in this run: it tested nothing');
  });

  it('keeps history across runs', () => {
    const run = stepwise('history', '--service', 'checkout');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      new RegExp(`^${rolledBack.deploymentId} .* ROLLED_BACK +shop:1\\.0 +shop:1\\.1 +1/4`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${succeeded.deploymentId} .* SUCCEEDED +baseline \\(simulated\\) +shop:1\\.0 +4/4`),
    );
  });

  it('prints a complete, verified audit trail', () => {
    const run = stepwise('audit', rolledBack.deploymentId);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('6 events · hash chain intact');
    // The alarm's verdict and how fast the rollback was, readable in the trail.
    expect(run.stdout).toMatch(
      /HealthChecked +IN_PROGRESS +step 1: unhealthy \(alarm checkout-error-rate went into ALARM at /,
    );
    expect(run.stdout).toMatch(
      /RolledBack .*· detected \d+[sm] after traffic moved, traffic back \d+[sm] later/,
    );
    for (const type of [
      'DeploymentStarted',
      'CandidatePrepared',
      'TrafficShifted',
      'HealthChecked',
      'RolledBack',
      'DeploymentRolledBack',
    ]) {
      expect(run.stdout).toContain(type);
    }
    const json = JSON.parse(stepwise('audit', rolledBack.deploymentId, '--json').stdout);
    expect(json.events.at(-1)).toMatchObject({
      type: 'DeploymentRolledBack',
      status: 'ROLLED_BACK',
      rollback: true,
    });
    expect(json.events[0].trigger.source).toBe('cli');
  });

  it.each([
    [['deploy', '--service', 'checkout'], /--image is required/],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--steps', '10,50'],
      /--steps must end at 100, got '10,50'/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--steps', '10,150,100'],
      /^stepwise deploy: --steps: 150 must be between 1 and 100 /,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--bake', 'soon'],
      /--bake must be a duration like 90s, 5m or 1h, got 'soon'/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--bake', '-5m'],
      /^stepwise deploy: --bake must be a duration like 90s, 5m or 1h, got '-5m'$/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--state-dir'],
      /^stepwise deploy: --state-dir needs a value: --state-dir DIR$/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--inject', 'errors=lots'],
      /--inject 'errors=lots'/,
    ],
    [['deploy', '--service', 'checkout', '--image', 'x', '--frobnicate'], /unknown option '--frobnicate'/],
    [
      ['deploy', '--service', 'checkout', '--image', 'x:1', '--reason', 'ok\u200b'],
      /--reason holds the invisible or control character U\+200B at index 2/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--strategy', 'yolo'],
      /--strategy must be one of canary, .*, got 'yolo'/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--approve', 'maybe'],
      /--approve must be auto, deny or after=DURATION \(for example after=2m\), got 'maybe'$/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--approve', 'after=-1m'],
      /--approve after= takes a duration like 90s, 5m or 1h, got 'after=-1m'/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--strategy', 'linear', '--steps', '10,100'],
      /--steps is for the canary strategy/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--plan', 'missing.json'],
      /--plan missing\.json cannot be read: ENOENT/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--no-wait'],
      /--no-wait is for a deployment through a server or --api/,
    ],
    [['wait'], /^stepwise wait: DEPLOYMENT_ID or --digest is required/],
    [['wait', '--timeout', '5m'], /^stepwise wait: DEPLOYMENT_ID or --digest is required/],
    [
      ['wait', 'checkout-1-abc', '--timeout', '-5m'],
      /--timeout must be a duration like 90s, 5m or 1h, got '-5m'/,
    ],
    [
      ['status', 'checkout-1-abc', '--profile', 'ci'],
      /--profile is for a deployed API: give it with --api URL/,
    ],
    [['launch'], /unknown command 'launch'/],
    [
      ['deploy', '--service', 'checkout', '--image', 'baseline (simulated)'],
      /--image baseline \(simulated\) is the simulated service's starting point, not a version to deploy/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'shop:\u202e1.1'],
      /--image holds the invisible or control character U\+202E at index 5: .*got "shop:\\u202e1\.1"/,
    ],
    [['deploy', '--service', 'checkout', '--image', 'shop:v 1'], /--image holds a space at index 6/],
  ])('refuses %j with one line naming the problem, exit 1, and runs nothing', (args, message) => {
    const run = stepwise(...args);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(message);
    expect(stepwise('history', '--service', 'checkout').stdout.trim().split('\n')).toHaveLength(3);
  });

  it('takes durations as 5m, 90s, 1h or plain seconds: wait --timeout 5m gets as far as looking for a server', () => {
    for (const timeout of ['5m', '90s', '1h', '120']) {
      const run = stepwise('wait', 'checkout-1-abc', '--timeout', timeout);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        "stepwise wait: wait needs a Stepwise API: start 'npx stepwise serve' here, or pass --api URL for a deployed one",
      );
    }
  });

  it('validates the service registry, and names the field when it is wrong', () => {
    const example = fileURLToPath(new URL('../../examples/stepwise.config.json', import.meta.url));
    const ok = stepwise('config', 'validate', example);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/3 services, valid/);
    const missing = stepwise('config', 'validate');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('stepwise config: stepwise.config.json cannot be read: ENOENT');
  });

  it('config validate refuses a strategy the provider cannot run and a service without alarms, and takes $schema', () => {
    const file = join(cwd, 'providers.config.json');
    const fn = {
      name: 'fn',
      environment: 'prod',
      provider: { kind: 'lambda-alias', functionName: 'fn', alias: 'live' },
      strategy: 'recreate',
      alarms: ['fn-errors'],
    };
    writeFileSync(file, JSON.stringify({ $schema: './stepwise.schema.json', services: [fn] }));
    const recreate = stepwise('config', 'validate', file);
    expect(recreate.code).toBe(1);
    expect(recreate.stderr.trim()).toBe(
      `stepwise config: ${file}: services[0].strategy recreate cannot run on the lambda-alias provider: a Lambda version always serves what its alias routes to it (use all-at-once)`,
    );
    writeFileSync(
      file,
      JSON.stringify({
        $schema: './stepwise.schema.json',
        services: [{ ...fn, strategy: 'canary', alarms: [] }],
      }),
    );
    const silent = stepwise('config', 'validate', file);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toContain(
      'services[0].alarms is empty, so every health check would pass unchecked',
    );
    writeFileSync(
      file,
      JSON.stringify({
        $schema: './stepwise.schema.json',
        services: [{ ...fn, strategy: 'canary', alarms: [], noAlarms: true }],
      }),
    );
    expect(stepwise('config', 'validate', file)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/1 service, valid/),
    });
  });

  it("config validate refuses a plan over Step Functions' quotas, naming the field in the file", () => {
    const steps = Array.from({ length: 200 }, (_, i) => ({
      weight: Math.ceil(((i + 1) * 100) / 200),
      bakeSeconds: 60,
    }));
    const registry = (provider: Record<string, unknown>, plan?: unknown) => ({
      services: [
        {
          name: 'checkout',
          environment: 'prod',
          provider: { kind: 'simulated' },
          strategy: 'canary',
          alarms: ['a'],
        },
        {
          name: 'web',
          environment: 'prod',
          provider,
          strategy: 'canary',
          ...(plan ? { plan } : {}),
          alarms: ['b'],
        },
      ],
    });
    writeFileSync(
      join(cwd, 'long.json'),
      JSON.stringify(registry({ kind: 'ecs-rolling', cluster: 'prod', service: 'web' }, { steps })),
    );
    writeFileSync(
      join(cwd, 'slow.json'),
      JSON.stringify(
        registry({
          kind: 'ecs-alb',
          cluster: 'prod',
          services: ['web-blue', 'web-green'],
          targetGroupArns: [
            'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/0123456789abcdef',
            'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/0123456789abcdef',
          ],
          listenerArn:
            'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef',
          readyTimeoutSeconds: 86_400,
        }),
      ),
    );

    const long = stepwise('config', 'validate', 'long.json');
    expect(long.code).toBe(1);
    expect(long.stderr.trim()).toMatch(
      /^stepwise config: long.json: services\[1\]\.plan\.steps: this canary plan \(600 steps once expanded\) on ecs-rolling would need ≈4\d,\d{3} execution history events in the worst case, over 20,000 \(80 % of Step Functions' 25,000-event quota per execution\); use fewer steps$/,
    );
    const slow = stepwise('config', 'validate', 'slow.json');
    expect(slow.code).toBe(1);
    expect(slow.stderr.trim()).toMatch(
      /^stepwise config: slow.json: services\[1\]\.provider\.readyTimeoutSeconds: 86400s of readiness checks \(one every 15s\) would need ≈52,\d{3} execution history events/,
    );
  });

  it('documents the fault grammar in --help', () => {
    const run = stepwise('deploy', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('errors=8%');
    expect(run.stdout).toContain('latency=900ms');
    expect(run.stdout).toContain('@step=N');
  });

  it('npm run stepwise runs the CLI (the script names a file that exists)', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const run = spawnSync('npm', ['run', '--silent', 'stepwise', '--', '--help'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npx stepwise <command> \[options\]/);
  });

  it('without AWS credentials, --api says in one line how to give them, with --profile too', () => {
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')),
    );
    Object.assign(env, {
      HOME: cwd,
      AWS_CONFIG_FILE: join(cwd, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const api = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';
    for (const extra of [[], ['--profile', 'ci', '--region', 'eu-west-1']]) {
      const run = spawnSync(process.execPath, [bin, 'status', 'x-1', '--api', api, ...extra], {
        cwd,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^stepwise status: no AWS credentials to sign requests to ${api}${extra.length ? ' with profile ci' : ''} \\(`,
        ),
      );
      expect(lines[0]).toContain('--profile NAME or AWS_PROFILE');
    }
  });

  it.each([[['history', '--service', 'checkout']], [['audit', '--json', 'PLACEHOLDER']]])(
    '%j into a closed pipe exits quietly with 141, without an EPIPE stack trace',
    async (args) => {
      const run = background(
        args.map((a) => (a === 'PLACEHOLDER' ? rolledBack.deploymentId : a)),
        {
          closeStdout: true,
        },
      );
      const code = await run.exited;
      expect(run.output().stderr).toBe('');
      expect(code).toBe(141);
    },
  );

  it('an in-process deploy whose output is closed stops its run, says so on stderr and exits 141', async () => {
    const run = background(['deploy', '--service', 'piped', '--image', 'p:1'], { closeStdout: true });
    const code = await run.exited;
    const { stderr } = run.output();
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).toContain('stepwise deploy: its output was closed: stopping the run and cleaning up');
    expect(stderr).toMatch(
      /stepwise deploy: stopped \(its output was closed\); piped-1-[0-9a-f]{8} ended [A-Z_]+/,
    );
    expect(code).toBe(141);
  });

  it('Ctrl-C on an in-process deploy stops the run, waits for it to end, says so and exits 130', async () => {
    // A hook that answers only when told: the run is surely in the middle of its plan at SIGINT.
    let hold: ServerResponse | undefined;
    const server = createServer();
    const held = new Promise<void>((resolve) => {
      server.once('request', (_req, res: ServerResponse) => {
        hold = res;
        resolve();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const plan = join(cwd, 'held-plan.json');
    writeFileSync(
      plan,
      JSON.stringify({
        steps: [
          { setWeight: 10 },
          { hook: { name: 'held', http: { url: `http://127.0.0.1:${port}/held` }, timeoutSeconds: 50 } },
          { weight: 100, bakeSeconds: 60 },
        ],
      }),
    );
    try {
      const run = background(['deploy', '--service', 'interrupted', '--image', 'i:1', '--plan', plan]);
      await held;
      run.child.kill('SIGINT');
      await run.stderrMatches(/interrupted by SIGINT: stopping the run and cleaning up/);
      hold?.end('ok');
      const code = await run.exited;
      expect(run.output().stderr).toMatch(
        /stepwise deploy: stopped \(interrupted by SIGINT\); interrupted-1-[0-9a-f]{8} ended [A-Z_]+/,
      );
      expect(code).toBe(130);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
