import { describe, expect, it } from 'vitest';
import * as compiled from '../../../lambdas/domain/compiled-schemas.js';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import { checkArtifactName, shown, validator } from '../../../lambdas/domain/schemas.ts';
import { STRATEGIES } from '../../../lambdas/domain/strategy-names.ts';
import type { DeploymentRequest, ServiceConfig } from '../../../lambdas/domain/types.ts';
import { parseTaskState } from '../../../lambdas/handlers/state.ts';
import { canaryPlan, deploymentRequest, serviceConfig } from '../fixtures.ts';

const parseRequest = validator<DeploymentRequest>(compiled.deploymentRequest, 'deployment');
const parseConfig = validator<ServiceConfig>(compiled.serviceConfig, 'service');

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).name).toBe('Stepwise.InvalidInput');
    return (error as Error).message;
  }
  throw new Error('expected the validator to throw');
}

describe('the deployment request validator', () => {
  it('returns a valid request as it is', () => {
    const request = deploymentRequest({
      strategy: 'linear',
      plan: { stepPercent: 50, intervalSeconds: 60 },
      gate: { timeoutSeconds: 600, onTimeout: 'continue' },
      commitSha: 'abc1234',
      artifact: { image: 'shop:2.0', digest: `sha256:${'a'.repeat(64)}` },
    });
    expect(parseRequest(request)).toBe(request);
  });

  it('names a missing top-level field', () => {
    const { service: _, ...request } = deploymentRequest();
    expect(messageOf(() => parseRequest(request))).toBe('service is required');
  });

  it('names a missing nested field by its path', () => {
    expect(messageOf(() => parseRequest({ ...deploymentRequest(), artifact: {} }))).toBe(
      'artifact.image is required',
    );
  });

  it('names a bad nested field by its path', () => {
    const request = deploymentRequest({ artifact: { image: 'shop 2.0' } });
    expect(messageOf(() => parseRequest(request))).toMatch(/^artifact\.image must match pattern/);
  });

  it('leaves the content of a plan to the strategy, but wants an object', () => {
    expect(
      parseRequest({ ...deploymentRequest(), strategy: 'canary', plan: canaryPlan(10, 200) }),
    ).toBeTruthy();
    expect(messageOf(() => parseRequest({ ...deploymentRequest(), plan: [10, 100] }))).toBe(
      'plan must be object, got [10,100]',
    );
  });

  it('shows the bad value it refused', () => {
    const request = { ...deploymentRequest(), gate: { timeoutSeconds: 0, onTimeout: 'rollback' } };
    expect(messageOf(() => parseRequest(request))).toBe('gate.timeoutSeconds must be >= 1, got 0');
  });

  it('names a missing field of the approval gate', () => {
    const request = { ...deploymentRequest(), gate: { timeoutSeconds: 600 } };
    expect(messageOf(() => parseRequest(request))).toBe('gate.onTimeout is required');
  });

  it('names an unknown field', () => {
    expect(messageOf(() => parseRequest({ ...deploymentRequest(), dryRun: true }))).toBe(
      'dryRun is not a known field',
    );
  });

  it('lists the allowed values of an enum', () => {
    const request = { ...deploymentRequest(), strategy: 'shadow' };
    expect(messageOf(() => parseRequest(request))).toBe(
      `strategy must be one of ${STRATEGIES.join(', ')}, got "shadow"`,
    );
  });

  it('names the root when the value is not an object at all', () => {
    expect(messageOf(() => parseRequest('deploy shop'))).toMatch(/^deployment must be object/);
  });

  it('refuses a digest that is not a sha256', () => {
    const request = deploymentRequest({ artifact: { image: 'shop:2.0', digest: 'md5:abc' } });
    expect(messageOf(() => parseRequest(request))).toMatch(/^artifact\.digest /);
  });
});

describe('checkArtifactName', () => {
  const check = (value: string) => messageOf(() => checkArtifactName(value, 'artifact.image'));

  it.each([
    'shop:1.1',
    'shop/pay:v9',
    'shop',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/pay:v3.0-rc_1',
    `localhost:5000/team/app@sha256:${'a'.repeat(64)}`,
    `shop/pay:v9@sha256:${'b'.repeat(64)}`,
    's3://artifacts/checkout-1.zip',
  ])('takes the image reference %s', (value) => {
    expect(() => checkArtifactName(value, 'artifact.image')).not.toThrow();
  });

  it.each([
    ['shop:\u202e1.1', 'artifact.image holds the invisible or control character U+202E at index 5'],
    ['shop:1.1\u200b', 'U+200B at index 8'],
    ['shop:1.1\u2066', 'U+2066'],
    ['sh\u00adop:1', 'U+00AD'],
    ['shop:1\u00a0', 'U+00A0'],
    ['shop:1\u2028', 'U+2028'],
    ['shop:1\u0007', 'U+0007'],
    ['shop:1\ufe0f', 'U+FE0F'],
    ['shop:1\u3164', 'U+3164'],
    ['shop:1\ue000', 'U+E000'],
  ])('names the invisible character in %j', (value, message) => {
    expect(check(value)).toContain(message);
    expect(check(value)).not.toMatch(/[\u200b\u202e\u2066\u2028]/);
  });

  it.each([
    ['baseline (simulated)', 'artifact.image holds a space at index 8'],
    ['repo:v 1', 'holds a space at index 6'],
    ['🚀', 'holds the character 🚀 (U+1F680) at index 0'],
    ['ｓhop:1', 'U+FF53'],
    ['../../x.dkr.ecr.local.amazonaws.com/shop/c:v1', 'artifact.image must be an image reference'],
    ['shop:-1', 'must be an image reference'],
    [`shop:${'v'.repeat(129)}`, 'must be an image reference'],
    ['shop@md5:abc', 'must be an image reference'],
    ['Shop:1', 'artifact.image must name its repository in lowercase, got "Shop:1"'],
    ['s3://Bucket/key.zip', 'artifact.image must be s3://bucket/key'],
  ])('refuses %j naming the field', (value, message) => {
    expect(check(value)).toContain(message);
  });
});

describe('shown', () => {
  it('cuts a long value to 100 characters with an ellipsis, and escapes what would not show', () => {
    expect(shown('x'.repeat(5000))).toBe(`"${'x'.repeat(99)}…`);
    expect(shown('a\u202eb')).toBe('"a\\u202eb"');
    expect(shown(7)).toBe('7');
  });

  it('keeps a validator message short however large the refused value', () => {
    const message = messageOf(() => parseRequest({ ...deploymentRequest(), service: 'X'.repeat(1_000_000) }));
    expect(message.length).toBeLessThan(300);
    expect(message).toMatch(/^service must match pattern .*, got "X{99}…$/);
  });
});

describe('the service config validator', () => {
  it('accepts a registered configuration', () => {
    expect(() => parseConfig(serviceConfig())).not.toThrow();
  });

  it('names a bad alarm by its index', () => {
    const config = { ...serviceConfig(), alarms: ['ok', ''] };
    expect(messageOf(() => parseConfig(config))).toMatch(/^alarms\[1\] must NOT have fewer than 1 character/);
  });

  it('names a missing strategy', () => {
    const { strategy: _, ...config } = serviceConfig();
    expect(messageOf(() => parseConfig(config))).toBe('strategy is required');
  });

  it('accepts every strategy, with its plan as an object', () => {
    const config = serviceConfig({ strategy: 'recreate', plan: { bakeSeconds: 60 } });
    expect(parseConfig(config)).toBe(config);
    expect(messageOf(() => parseConfig({ ...config, plan: 'recreate' }))).toBe(
      'plan must be object, got "recreate"',
    );
  });

  it('names a bad insufficientData policy', () => {
    const config = { ...serviceConfig(), insufficientData: 'maybe' };
    expect(messageOf(() => parseConfig(config))).toMatch(
      /^insufficientData must be one of healthy, unhealthy/,
    );
  });
});

describe('the task state parser', () => {
  it('names a missing part of the deployment', () => {
    const state = { deployment: { deploymentId: 'd', service: 's' }, progress: {} };
    expect(messageOf(() => parseTaskState(state))).toBe('deployment.plan is required');
  });

  const deployment = {
    deploymentId: 'd',
    service: 's',
    strategy: 'canary',
    plan: { steps: [{ kind: 'setWeight', weight: 100 }] },
    stableVersion: 'v1',
    candidateVersion: 'v2',
    provider: 'simulated',
    alarms: [],
  };

  it('accepts a state with its traffic step', () => {
    const state = {
      deployment,
      progress: { stepIndex: 0, stepCount: 1, trafficStep: 1, weights: { v2: 100 } },
    };
    expect(parseTaskState(state)).toEqual(state);
    // What an earlier task said it ran is not passed on.
    expect(parseTaskState({ ...state, ran: [{ kind: 'check' }], checked: {} })).toEqual(state);
  });

  it('names a missing traffic step', () => {
    const state = { deployment, progress: { stepIndex: 0, stepCount: 1, weights: { v1: 100 } } };
    expect(messageOf(() => parseTaskState(state))).toBe('progress.trafficStep is required');
  });

  it('names a weight out of range', () => {
    const state = {
      deployment,
      progress: { stepIndex: 0, stepCount: 1, trafficStep: 0, weights: { v1: 150 } },
    };
    expect(messageOf(() => parseTaskState(state))).toBe('progress.weights.v1 must be <= 100, got 150');
  });

  it('names an unknown strategy', () => {
    const state = {
      deployment: { ...deployment, strategy: 'shadow' },
      progress: { stepIndex: 0, stepCount: 1, trafficStep: 0, weights: { v1: 100 } },
    };
    expect(messageOf(() => parseTaskState(state))).toMatch(/^deployment\.strategy must be one of canary/);
  });

  it('names a plan that is not a list of steps', () => {
    const state = {
      deployment: { ...deployment, plan: canaryPlan(100).steps },
      progress: { stepIndex: 0, stepCount: 1, trafficStep: 0, weights: { v1: 100 } },
    };
    expect(messageOf(() => parseTaskState(state))).toMatch(/^deployment\.plan must be object/);
  });
});

describe('the record-event validator', () => {
  it('names an unknown closing event type', () => {
    const parse = validator(compiled.recordEvent, 'input');
    expect(messageOf(() => parse({ type: 'DeploymentPaused', state: {} }))).toMatch(
      /^type must be one of DeploymentSucceeded, DeploymentRolledBack, DeploymentFailed/,
    );
  });
});
