import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambdas/config.ts';

describe('loadConfig', () => {
  it('reads TABLE_NAME from the environment', () => {
    expect(loadConfig({ TABLE_NAME: 'stepwise-prod', PATH: '/usr/bin' })).toMatchObject({
      TABLE_NAME: 'stepwise-prod',
    });
  });

  it('names TABLE_NAME when it is missing', () => {
    expect(() => loadConfig({ PATH: '/usr/bin' })).toThrow(
      expect.objectContaining({
        name: 'Stepwise.InvalidInput',
        message: expect.stringContaining('TABLE_NAME'),
      }),
    );
    expect(() => loadConfig({})).toThrow(/TABLE_NAME is required/);
  });

  it('names TABLE_NAME when it is too short to be a table', () => {
    expect(() => loadConfig({ TABLE_NAME: 'x' })).toThrow(/TABLE_NAME must NOT have fewer than 3 characters/);
  });
});
