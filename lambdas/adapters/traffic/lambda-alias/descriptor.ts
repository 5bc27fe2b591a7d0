import type { ProviderDescriptor } from '../descriptor.ts';
import { parseLambdaAliasConfig } from './config.ts';
import { LambdaAliasTrafficProvider } from './lambda-alias-provider.ts';

/** A Lambda alias's weighted routing between two published versions. */
export const lambdaAlias: ProviderDescriptor = {
  kind: 'lambda-alias',
  checkConfig(config) {
    parseLambdaAliasConfig(config);
  },
  limits: () => ({
    segments: 'a Lambda alias splits invocations by weight only',
    'stop-start': 'a Lambda version always serves what its alias routes to it (use all-at-once)',
  }),
  create: (config, deps) => new LambdaAliasTrafficProvider(deps.aws().lambda, config),
};
