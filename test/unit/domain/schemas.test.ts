import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import {
  deploymentRequestSchema,
  recordEventSchema,
  serviceConfigSchema,
  validator,
} from '../../../lambdas/domain/schemas.ts';
import type { DeploymentRequest, ServiceConfig } from '../../../lambdas/domain/types.ts';
import { parseTaskState } from '../../../lambdas/handlers/state.ts';
import { deploymentRequest, plan, serviceConfig } from '../fixtures.ts';

const parseRequest = validator<DeploymentRequest>(deploymentRequestSchema, 'deployment');
const parseConfig = validator<ServiceConfig>(serviceConfigSchema, 'service');

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
      plan: plan(10, 100),
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

  it('names a bad plan step with its index', () => {
    const request = { ...deploymentRequest(), plan: plan(10, 20, 200) };
    expect(messageOf(() => parseRequest(request))).toMatch(/^plan\.steps\[2\]\.weight must be <= 100/);
  });

  it('shows the bad value it refused', () => {
    const request = { ...deploymentRequest(), plan: plan(10, 20, 200) };
    expect(messageOf(() => parseRequest(request))).toBe('plan.steps[2].weight must be <= 100, got 200');
  });

  it('names an unknown field', () => {
    expect(messageOf(() => parseRequest({ ...deploymentRequest(), dryRun: true }))).toBe(
      'dryRun is not a known field',
    );
  });

  it('names an unknown field inside a plan step', () => {
    const request = { ...deploymentRequest(), plan: { steps: [{ weight: 100, bakeSeconds: 0, pause: 1 }] } };
    expect(messageOf(() => parseRequest(request))).toBe('plan.steps[0].pause is not a known field');
  });

  it('lists the allowed values of an enum', () => {
    const request = { ...deploymentRequest(), strategy: 'blue-green' };
    expect(messageOf(() => parseRequest(request))).toMatch(/^strategy must be one of canary/);
  });

  it('names the root when the value is not an object at all', () => {
    expect(messageOf(() => parseRequest('deploy shop'))).toMatch(/^deployment must be object/);
  });

  it('refuses a digest that is not a sha256', () => {
    const request = deploymentRequest({ artifact: { image: 'shop:2.0', digest: 'md5:abc' } });
    expect(messageOf(() => parseRequest(request))).toMatch(/^artifact\.digest /);
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

  it('names a weight out of range', () => {
    const state = {
      deployment: {
        deploymentId: 'd',
        service: 's',
        plan: plan(100),
        stableVersion: 'v1',
        candidateVersion: 'v2',
        provider: 'simulated',
        alarms: [],
      },
      progress: { stepIndex: 0, stepCount: 1, weights: { v1: 150 } },
    };
    expect(messageOf(() => parseTaskState(state))).toMatch(/^progress\.weights\.v1 must be <= 100/);
  });
});

describe('the record-event validator', () => {
  it('names an unknown closing event type', () => {
    const parse = validator(recordEventSchema, 'input');
    expect(messageOf(() => parse({ type: 'DeploymentPaused', state: {} }))).toMatch(
      /^type must be one of DeploymentSucceeded, DeploymentRolledBack, DeploymentFailed/,
    );
  });
});
