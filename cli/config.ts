import { parseArgs } from 'node:util';
import { DEFAULT_REGISTRY_FILE, loadRegistry } from '../registry/load.ts';
import { UsageError } from './errors.ts';

export const CONFIG_HELP = `Usage: npx stepwise config validate [FILE]

Checks the service registry (default ${DEFAULT_REGISTRY_FILE}; a .ts or .js file's default export
also works): its shape, each service's provider config and plan, unique names, ring services.
Prints one line per service, or the first problem with the field it is in; exit code 1 then.`;

export async function config(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [verb, file = DEFAULT_REGISTRY_FILE, ...extra] = positionals;
  if (values.help || !verb) {
    out(CONFIG_HELP);
    return values.help ? 0 : 1;
  }
  if (verb !== 'validate') throw new UsageError(`unknown config verb '${verb}'; verbs: validate`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const registry = await loadRegistry(file);
  for (const s of registry.services) {
    out(`  ${s.name.padEnd(24)} ${s.environment.padEnd(10)} ${s.strategy.padEnd(12)} ${s.provider.kind}`);
  }
  out(`${file}: ${registry.services.length} service${registry.services.length === 1 ? '' : 's'}, valid`);
  return 0;
}
