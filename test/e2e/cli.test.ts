import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The CLI as a user runs it: a child process in a fresh working directory. */
const bin = fileURLToPath(new URL('../../bin/stepwise.ts', import.meta.url));
let cwd: string;

function stepwise(...args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
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
    expect(report.steps[0]).toMatchObject({
      weight: 10,
      verdict: 'unhealthy',
      alarms: { 'checkout-error-rate': 'ALARM', 'checkout-p99-latency': 'OK' },
    });
    expect(report.auditEvents).toBe(6);
    expect(report.stateTransitions).toBeGreaterThan(5);
    expect(report.simulatedSeconds).toBe(300);
    expect(report.wallMs).toBeGreaterThan(0);
    rolledBack = report;
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
    [['deploy', '--service', 'checkout', '--image', 'x', '--steps', '10,50'], /--steps must be increasing/],
    [['deploy', '--service', 'checkout', '--image', 'x', '--bake', 'soon'], /--bake must be a duration/],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--inject', 'errors=lots'],
      /--inject 'errors=lots'/,
    ],
    [['deploy', '--service', 'checkout', '--image', 'x', '--frobnicate'], /Unknown option '--frobnicate'/],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--strategy', 'yolo'],
      /--strategy 'yolo' is not known/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--approve', 'maybe'],
      /--approve must be auto, deny or after=/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--strategy', 'linear', '--steps', '10,100'],
      /--steps is for the canary strategy/,
    ],
    [
      ['deploy', '--service', 'checkout', '--image', 'x', '--plan', 'missing.json'],
      /--plan missing\.json cannot be read: ENOENT/,
    ],
    [['launch'], /unknown command 'launch'/],
  ])('refuses %j with one line naming the problem, exit 1, and runs nothing', (args, message) => {
    const run = stepwise(...args);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(stepwise('history', '--service', 'checkout').stdout.trim().split('\n')).toHaveLength(3);
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

  it('documents the fault grammar in --help', () => {
    const run = stepwise('deploy', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('errors=8%');
    expect(run.stdout).toContain('latency=900ms');
    expect(run.stdout).toContain('@step=N');
  });
});
