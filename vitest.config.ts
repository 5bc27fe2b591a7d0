import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    // CDK synthesis and child-process CLI runs take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suites',
          include: ['test/**/*.test.ts'],
          exclude: ['test/aws/**'],
          globalSetup: ['test/support/trace-dir.ts'],
        },
      },
      {
        // What AWS enforces and the local runtime does not, judged from every AWS call the suites
        // above sent: `npm test` runs it after them (`vitest run --project aws`).
        extends: true,
        test: { name: 'aws', include: ['test/aws/**/*.test.ts'] },
      },
    ],
  },
});
