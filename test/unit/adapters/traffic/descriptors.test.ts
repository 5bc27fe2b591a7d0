import { readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProviderDescriptor } from '../../../../lambdas/adapters/traffic/descriptor.ts';
import { PROVIDER_KINDS } from '../../../../lambdas/adapters/traffic/providers.ts';

const dir = new URL('../../../../lambdas/adapters/traffic/', import.meta.url);
const folders = readdirSync(dir).filter((name) => statSync(new URL(name, dir)).isDirectory());

describe('one shape for every provider folder', () => {
  it('has a folder per provider kind and no other', () => {
    expect([...folders].sort()).toEqual([...PROVIDER_KINDS].sort());
  });

  it.each(PROVIDER_KINDS)('%s/descriptor.ts describes the kind its folder names', async (kind) => {
    const module = (await import(new URL(`${kind}/descriptor.ts`, dir).href)) as Record<
      string,
      ProviderDescriptor
    >;
    const descriptors = Object.values(module);
    expect(descriptors).toHaveLength(1);
    expect(descriptors[0]?.kind).toBe(kind);
    expect(typeof descriptors[0]?.create).toBe('function');
  });
});
