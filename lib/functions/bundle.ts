/**
 * How every Stepwise function is bundled (esbuild, through NodejsFunction), in one place, so that
 * `npm run bench` measures the bundles the stack deploys. The SDK is bundled: the version the
 * tests ran against, in one file the runtime reads without module resolution.
 */
export const LAMBDA_BUNDLE = {
  target: 'node24',
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into ESM still call require().
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  /**
   * Left out of every bundle: the links of the SDK's default credential chain after the first.
   * Lambda hands a function its role's credentials in environment variables, which the chain's
   * first link (`fromEnv`) reads; the others (SSO, profile files, process, web identity, container
   * and instance metadata, and the STS/SSO clients they use) are loaded with `import()` only when
   * that link fails, which it does not on Lambda. They are about 100 KB of every bundle (ADR 8).
   */
  external: [
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-web-identity',
    '@aws-sdk/credential-provider-http',
    '@aws-sdk/credential-provider-login',
    '@aws-sdk/nested-clients',
    '@aws-sdk/token-providers',
    '@smithy/credential-provider-imds',
  ] as readonly string[],
} as const;
