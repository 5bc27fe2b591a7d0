import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { beginFile, flushFile, takeProblems, traceRealClients } from './support/aws-calls.ts';

// Every AWS SDK call a test makes is checked against the service's API model and recorded for
// the IAM test (test/support/aws-calls.ts).
traceRealClients();

// biome-ignore lint/correctness/noEmptyPattern: vitest wants the hook's context destructured; the file is in the suite.
beforeAll(({}, suite) => {
  beginFile((suite as { filepath?: string }).filepath ?? '');
});

afterEach(() => {
  const problems = takeProblems();
  if (problems.length > 0) {
    throw new Error(`AWS would refuse what this test sent:\n${[...new Set(problems)].join('\n')}`);
  }
});

afterAll(() => {
  flushFile();
});
