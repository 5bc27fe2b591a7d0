import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The modules a fresh Node loads to run `stepwise ARGS` (as its resolve hook sees them), relative to the repo. */
function modulesLoadedBy(args: string[]): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
    const { main } = await import('./cli/main.ts');
    await main(${JSON.stringify(args)}, { out: () => {}, err: () => {} });
    process.stdout.write(JSON.stringify(seen));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return (JSON.parse(out) as string[])
    .filter((url) => url.startsWith('file:'))
    .map((url) => fileURLToPath(url).slice(root.length));
}

describe('the CLI start', () => {
  it('loads no command module, engine or SDK for --help', () => {
    const loaded = modulesLoadedBy(['--help']);
    expect(loaded).toContain('cli/options.ts');
    expect(loaded.filter((m) => m.startsWith('local/') || m.includes('node_modules/'))).toEqual([]);
    expect(loaded).not.toContain('cli/deploy.ts');
  });

  it("loads one command's module for its help", () => {
    const loaded = modulesLoadedBy(['config', '--help']);
    expect(loaded).toContain('cli/config.ts');
    expect(loaded).not.toContain('cli/deploy.ts');
  });
});
