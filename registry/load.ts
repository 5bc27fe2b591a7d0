import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROVIDER_CONFIG_CHECKS, PROVIDER_LIMITS } from '../lambdas/adapters/traffic/providers.ts';
import { InvalidInputError } from '../lambdas/domain/errors.ts';
import { type RegistryFile, validateRegistry } from '../lambdas/domain/registry.ts';

/** Where the registry lives when nobody says: the working directory's stepwise.config.json. */
export const DEFAULT_REGISTRY_FILE = 'stepwise.config.json';

/**
 * Loads and validates a registry file: JSON, or a TypeScript/JavaScript module whose default
 * export is the registry (`export default defineConfig({ services: [...] })`). Errors name the
 * file and the field.
 */
export async function loadRegistry(file: string): Promise<RegistryFile> {
  const path = resolve(file);
  let raw: unknown;
  if (/\.(ts|mts|js|mjs)$/.test(path)) {
    try {
      raw = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
    } catch (error) {
      throw new InvalidInputError(`${file} cannot be loaded: ${(error as Error).message}`);
    }
    if (raw === undefined) throw new InvalidInputError(`${file} has no default export`);
  } else {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new InvalidInputError(
        `${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError(`${file} is not JSON: ${(error as Error).message}`);
    }
  }
  try {
    return validateRegistry(raw, PROVIDER_CONFIG_CHECKS, PROVIDER_LIMITS);
  } catch (error) {
    throw new InvalidInputError(`${file}: ${(error as Error).message}`);
  }
}
