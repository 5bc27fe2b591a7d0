import { DEFAULT_REGISTRY_FILE, loadRegistry } from '../registry/load.ts';
import { UsageError } from './errors.ts';
import { command, HELP_OPTION } from './options.ts';

export const configCommand = command({
  name: 'config',
  usage: 'validate [FILE] [options]',
  description: `Checks the service registry (default ${DEFAULT_REGISTRY_FILE}; a .ts or .js file's default export also works): its shape, each service's provider config and plan, unique names, ring services. Prints one line per service, or the first problem with the field it is in; exit code 1 then.`,
  positionals: ['validate', 'FILE'],
  options: { help: HELP_OPTION },
  async run({ positionals }, io) {
    const [verb, file = DEFAULT_REGISTRY_FILE] = positionals;
    if (verb !== 'validate') {
      throw new UsageError(
        verb
          ? `unknown config verb '${verb}'; verbs: validate`
          : 'a verb is required: npx stepwise config validate [FILE]',
      );
    }
    const registry = await loadRegistry(file);
    for (const s of registry.services) {
      io.out(
        `  ${s.name.padEnd(24)} ${s.environment.padEnd(10)} ${s.strategy.padEnd(12)} ${s.provider.kind}`,
      );
    }
    io.out(`${file}: ${registry.services.length} service${registry.services.length === 1 ? '' : 's'}, valid`);
    return 0;
  },
});
