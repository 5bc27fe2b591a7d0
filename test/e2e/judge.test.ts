import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The CLI as a user runs it: a child process in a fresh working directory, deploying one service after another. */
const bin = fileURLToPath(new URL('../../bin/stepwise.js', import.meta.url));
let cwd: string;
let serial = 0;

function deploy(...args: string[]) {
  serial += 1;
  const run = spawnSync(
    process.execPath,
    [bin, 'deploy', '--service', `judged-${serial}`, '--image', 'shop:2.0', ...args],
    { cwd, encoding: 'utf8', timeout: 60_000 },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function json(run: ReturnType<typeof deploy>) {
  return JSON.parse(run.stdout) as {
    status: string;
    reason?: string;
    steps: {
      weight: number;
      verdict: string;
      reasons: string[];
      evidence?: { metric: string; decision: string }[];
    }[];
  };
}

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'stepwise-judge-'));
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

describe('npx stepwise deploy judges against the stable version', () => {
  it('shows the comparison of both versions on every check', () => {
    const run = deploy();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /✓ healthy {3}judged-1-error-rate OK · judged-1-p99-latency OK · stepwise-judged-1-2\.0-[0-9a-f]+-error-rate-vs-stable OK\n {14}candidate \/ stable: errors \d\.\d\d% \/ \d\.\d\d% · p95 13\d \/ 13\d ms · p99 18\d \/ 18\d ms · \d+ candidate requests\n/,
    );
  });

  it('rolls back a version at 5× the stable error rate that no alarm catches (1 % against a 5 % alarm)', () => {
    const run = deploy('--inject', 'errors=1%', '--json');
    expect(run.code).toBe(2);
    const report = json(run);
    expect(report.status).toBe('ROLLED_BACK');
    const failed = report.steps.find((s) => s.verdict === 'unhealthy');
    expect(failed?.evidence?.find((m) => m.metric === 'errorRate')?.decision).toBe('fail');
    expect(report.reason).toMatch(
      /errorRate: the candidate's error rate [01]\.\d+% is above the baseline's 0\.\d+%/,
    );
  });

  it('rolls back a version 25 % slower in its first step, which the p99 alarm (500 ms) never sees', () => {
    const report = json(deploy('--inject', 'latency=25%', '--json'));
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.steps.map((s) => s.verdict)).toEqual(['unhealthy']);
    expect(report.reason).toMatch(
      /p95: the candidate's p95 1\d\d(\.\d)? ms is above the baseline's 13\d(\.\d)? ms/,
    );
  });

  it('keeps judging at 100 % while the old version is still there, and switches back when the new one degrades', () => {
    const report = json(deploy('--inject', 'errors=1%@step=4', '--json'));
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.steps.map((s) => [s.weight, s.verdict])).toEqual([
      [10, 'healthy'],
      [25, 'healthy'],
      [50, 'healthy'],
      [100, 'unhealthy'],
    ]);
    expect(report.reason).toMatch(/^step 4 unhealthy: errorRate: the candidate's error rate/);
  });

  it('ends a bake at once when the candidate fails far more than the stable version, with its own alarm', () => {
    const report = json(deploy('--inject', 'errors=3%', '--json'));
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.steps[0]?.verdict).toBe('unhealthy');
    expect(report.reason).toMatch(
      /alarm stepwise-judged-\d+-2\.0-[0-9a-f]+-error-rate-vs-stable went into ALARM/,
    );
  });

  it('holds, and does not blame the candidate, when both versions fail alike (a shared dependency)', () => {
    const run = deploy('--inject', 'errors=3%@version=all');
    expect(run.stdout).toContain('? inconclusive');
    expect(run.stdout).toMatch(
      /the baseline's own error rate rose from 0\.\d+% before the deployment to [23]\.\d+%/,
    );
    expect(run.stdout).toContain("held for a person's decision");
    // Nobody answered within the hold's timeout: the rollout rolls back for that, not for the candidate's errors.
    expect(run.stdout).toContain('reason: approval timed out after 3600s');
    expect(run.code).toBe(2);
  });

  it('an approved hold goes on: the person owns the decision', () => {
    const run = deploy('--inject', 'errors=3%@version=stable', '--approve', 'auto', '--json');
    const report = json(run);
    expect(report.steps[0]?.verdict).toBe('inconclusive');
    expect(report.status).toBe('SUCCEEDED');
  });

  it('makes a short bake longer until enough candidate requests were seen, then judges', () => {
    const run = deploy('--bake', '1m', '--rpm', '1000');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/… too few requests yet/);
    expect(run.stdout).toMatch(
      /the bake goes on \d+s more for requests\n {12}bake \(longer, for requests\) \d+m/,
    );
  });

  it('holds a service too quiet to judge, rather than passing on silence', () => {
    const report = json(deploy('--rpm', '20', '--json'));
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.steps[0]?.verdict).toBe('inconclusive');
    expect(report.reason).toBe('approval timed out after 3600s');
  });

  it('--seed makes a run reproducible; another seed draws other traffic', () => {
    const evidence = (seed: string) => {
      const report = json(deploy('--seed', seed, '--json'));
      return report.steps.map((s) => s.evidence);
    };
    expect(evidence('42')).toEqual(evidence('42'));
    expect(evidence('42')).not.toEqual(evidence('43'));
  });

  it('--analysis off judges by the alarms alone: the 1 % regression passes, as it would have before', () => {
    const report = json(deploy('--analysis', 'off', '--inject', 'errors=1%', '--json'));
    expect(report.status).toBe('SUCCEEDED');
    expect(report.steps.every((s) => s.evidence === undefined)).toBe(true);
  });

  it('shipping a fix while alarms fire excuses those alarms, not the comparison', () => {
    const report = json(
      deploy('--inject', 'alarms=firing', '--allow-firing-alarms', '--inject', 'errors=1%', '--json'),
    );
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.reason).toMatch(/errorRate: the candidate's error rate/);
  });

  it('names a bad --seed or --analysis', () => {
    expect(deploy('--seed', '0').stderr).toMatch(/--seed/);
    expect(deploy('--analysis', 'maybe').stderr).toMatch(/--analysis must be one of on, off/);
  });
});
