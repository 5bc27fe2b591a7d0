import { describe, expect, it } from 'vitest';
import { expandPlan } from '../../../lambdas/domain/strategies/index.ts';
import { HOOK_FUNCTION_PREFIX } from '../../../lambdas/tasks.ts';

/** A canary whose first step runs a Lambda hook named `functionName`. */
const planWithHook = (functionName: string) => ({
  steps: [{ hook: { name: 'verify', lambda: { functionName } } }, { weight: 100, bakeSeconds: 60 }],
});

const refusal = (functionName: string) => {
  try {
    expandPlan('canary', planWithHook(functionName));
  } catch (error) {
    return error as Error;
  }
  return undefined;
};

describe('a Lambda hook’s function name', () => {
  it.each([
    'stepwise-hook-verify',
    'stepwise-hook-verify:live',
    'stepwise-hook-verify:7',
    'arn:aws:lambda:eu-west-1:123456789012:function:stepwise-hook-verify',
    'arn:aws-cn:lambda:cn-north-1:123456789012:function:stepwise-hook-verify:live',
  ])('is taken when it is what the RunHook role may invoke: %s', (name) => {
    expect(refusal(name)).toBeUndefined();
  });

  it.each([
    'verify',
    'smoke-stepwise-hook-verify',
    'stepwise-hook-',
    'arn:aws:lambda:eu-west-1:123456789012:function:verify',
    'arn:aws:lambda:eu-west-1:123456789012:function:stepwise-hook-verify/x',
  ])(
    `is refused before anything runs, naming the field, unless it starts with ${HOOK_FUNCTION_PREFIX}: %s`,
    (name) => {
      const error = refusal(name);
      expect(error?.name).toBe('Stepwise.InvalidInput');
      expect(error?.message).toMatch(
        /^plan\.steps\[0\]\.hook\.lambda\.functionName must match pattern ".*stepwise-hook-/,
      );
      expect(error?.message).toContain(`got ${JSON.stringify(name)}`);
    },
  );
});
