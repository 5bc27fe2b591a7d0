import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLE } from '../../lib/functions/bundle.ts';
import { ENTRIES_DIR, PROJECT_ROOT } from '../../lib/project-paths.ts';

/**
 * The bundles the stack deploys, built with its own esbuild options: each function carries the SDK
 * clients of the ports its handler takes and no other, and what the options leave out (the
 * credential chain after its first link) is never needed where Lambda gives the credentials.
 */

const dir = mkdtempSync(join(tmpdir(), 'stepwise-bundle-test-'));

async function bundle(entry: string, outName: string): Promise<{ file: string; meta: Metafile }> {
  const file = join(dir, `${outName}.mjs`);
  const result = await build({
    entryPoints: [entry],
    outfile: file,
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
    absWorkingDir: PROJECT_ROOT,
  });
  return { file, meta: result.metafile };
}

/** The files that put code in the bundle (esbuild also lists those it read and shook out). */
const bundled = (meta: Metafile) =>
  Object.values(meta.outputs).flatMap((output) =>
    Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : [])),
  );

const sdkClients = (meta: Metafile) =>
  [
    ...new Set(bundled(meta).flatMap((input) => input.match(/@aws-sdk\/(client-[a-z0-9-]+)\//)?.[1] ?? [])),
  ].sort();

describe('Lambda bundles', () => {
  it.each([
    ['next-step.ts', ['client-dynamodb']],
    ['request-approval.ts', ['client-dynamodb']],
    ['check-alarms.ts', ['client-cloudwatch', 'client-dynamodb']],
    ['record-event.ts', ['client-cloudwatch', 'client-dynamodb']],
    ['run-hook.ts', ['client-dynamodb', 'client-lambda']],
  ])('%s carries the SDK clients of its ports alone: %j', async (entry, clients) => {
    const { meta } = await bundle(join(ENTRIES_DIR, entry), entry.replace('.ts', ''));
    expect(sdkClients(meta)).toEqual(clients);
  });

  it('loads, and its client takes the credentials Lambda puts in the environment, with the rest of the chain left out', async () => {
    const { file, meta } = await bundle(join(import.meta.dirname, 'fixtures', 'sdk-client.ts'), 'client');
    expect(bundled(meta).some((input) => input.includes('credential-provider-ini'))).toBe(false);
    const script = `const { credentials } = await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(JSON.stringify(await credentials()));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDFROMLAMBDA',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
      },
    });
    expect(JSON.parse(out)).toMatchObject({ accessKeyId: 'AKIDFROMLAMBDA', sessionToken: 'token' });
  });
});
