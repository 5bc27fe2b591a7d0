import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/errors.ts';
import type { Hook } from '../../../lambdas/domain/hooks.ts';
import type { Step } from '../../../lambdas/domain/steps.ts';
import {
  defaultStrategyPlan,
  expandPlan,
  isStrategy,
  PLAN_SCHEMAS,
  promotesCandidate,
  STRATEGIES,
  type StrategyName,
  withSmokeTests,
} from '../../../lambdas/domain/strategies/index.ts';

const bake = (seconds: number): Step[] => [{ kind: 'pause', seconds, label: 'bake' }, { kind: 'check' }];
const weightsOf = (steps: Step[]) => steps.flatMap((s) => (s.kind === 'setWeight' ? [s.weight] : []));
const kindsOf = (steps: Step[]) => steps.map((s) => s.kind);
const hooksOf = (steps: Step[]): Hook[] => steps.flatMap((s) => (s.kind === 'hook' ? [s.hook] : []));

/** The message expandPlan refuses a plan with; fails the test when it accepts it. */
function refusal(strategy: StrategyName, plan: unknown): string {
  try {
    expandPlan(strategy, plan);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error(`expected the ${strategy} plan ${JSON.stringify(plan)} to be refused`);
}

const smokeTest = { name: 'smoke', http: { url: 'https://shop.internal/health' } };

/** The strategies that deploy one service, each with a default plan. */
const SINGLE_SERVICE: StrategyName[] = [
  'canary',
  'linear',
  'all-at-once',
  'blue-green',
  'rolling',
  'recreate',
  'ab-segment',
];

describe('expandPlan: canary', () => {
  it('expands each { weight, bakeSeconds } into set weight, bake, check', () => {
    const steps = expandPlan('canary', {
      steps: [
        { weight: 10, bakeSeconds: 60 },
        { weight: 100, bakeSeconds: 0 },
      ],
    });
    expect(steps).toEqual([
      { kind: 'setWeight', weight: 10 },
      ...bake(60),
      { kind: 'setWeight', weight: 100 },
      ...bake(0),
    ]);
  });

  it('takes explicit steps of every kind, filling in the defaults', () => {
    const steps = expandPlan('canary', {
      steps: [
        { setWeight: 5 },
        { pause: { seconds: 30 } },
        { check: {} },
        { approval: { timeoutSeconds: 600 } },
        { hook: { name: 'smoke', http: { url: 'https://shop.internal/health' } } },
        { hook: { name: 'verify', lambda: { functionName: 'stepwise-hook-verify' }, retries: 0 } },
        { setWeight: 100 },
      ],
    });
    expect(steps).toEqual([
      { kind: 'setWeight', weight: 5 },
      { kind: 'pause', seconds: 30 },
      { kind: 'check' },
      { kind: 'approval', timeoutSeconds: 600, onTimeout: 'rollback' },
      {
        kind: 'hook',
        hook: {
          name: 'smoke',
          phase: 'post-traffic',
          type: 'http',
          url: 'https://shop.internal/health',
          method: 'GET',
          expectedStatus: 200,
          timeoutSeconds: 10,
          retries: 2,
          retryIntervalSeconds: 10,
        },
      },
      {
        kind: 'hook',
        hook: {
          name: 'verify',
          phase: 'post-traffic',
          type: 'lambda',
          functionName: 'stepwise-hook-verify',
          timeoutSeconds: 10,
          retries: 0,
          retryIntervalSeconds: 10,
        },
      },
      { kind: 'setWeight', weight: 100 },
    ]);
  });

  it('keeps a hook phase and settings the plan gives', () => {
    const [step] = expandPlan('canary', {
      steps: [
        {
          hook: {
            name: 'warm',
            phase: 'pre-traffic',
            http: { url: 'http://shop/warm', method: 'POST', expectedStatus: 204 },
            timeoutSeconds: 3,
            retryIntervalSeconds: 1,
          },
        },
        { setWeight: 100 },
      ],
    });
    expect(step).toMatchObject({
      hook: {
        phase: 'pre-traffic',
        method: 'POST',
        expectedStatus: 204,
        timeoutSeconds: 3,
        retryIntervalSeconds: 1,
      },
    });
  });

  it('refuses weights that go down, saying which', () => {
    expect(refusal('canary', { steps: [{ setWeight: 50 }, { setWeight: 20 }, { setWeight: 100 }] })).toBe(
      'plan.steps weights must not decrease: 20 after 50',
    );
  });

  it('refuses a plan that does not end with all traffic on the candidate', () => {
    expect(
      refusal('canary', {
        steps: [
          { weight: 10, bakeSeconds: 60 },
          { weight: 50, bakeSeconds: 60 },
        ],
      }),
    ).toBe('plan.steps must end at weight 100, the last is 50');
    expect(refusal('canary', { steps: [{ pause: { seconds: 5 } }] })).toBe(
      'plan.steps must end at weight 100, the last is 0',
    );
  });

  it.each([
    [
      { weight: 10 },
      'plan.steps[0] must be { weight, bakeSeconds } or one of setWeight, pause, check, approval, hook',
    ],
    [
      { weight: 10, bakeSeconds: 5, check: {} },
      'plan.steps[0] must be { weight, bakeSeconds } or one of setWeight, pause, check, approval, hook',
    ],
    [
      { setWeight: 10, check: {} },
      'plan.steps[0] must have exactly one of setWeight, pause, check, approval, hook',
    ],
    [{ hook: { name: 'smoke' } }, 'plan.steps[0].hook needs http or lambda'],
    [
      { hook: { name: 'smoke', http: { url: 'http://a' }, lambda: { functionName: 'stepwise-hook-f' } } },
      'plan.steps[0].hook must have http or lambda, not both',
    ],
  ])('refuses the step %j, naming it', (step, message) => {
    expect(refusal('canary', { steps: [step, { setWeight: 100 }] })).toBe(message);
  });

  it.each([
    [
      {
        steps: [
          { weight: 10, bakeSeconds: 60 },
          { weight: 200, bakeSeconds: 60 },
        ],
      },
      /steps\[1\]\.weight must be <= 100, got 200/,
    ],
    [{ steps: [{ weight: 0, bakeSeconds: 60 }] }, /steps\[0\]\.weight must be >= 1, got 0/],
    [
      { steps: [{ weight: 100, bakeSeconds: 86_401 }] },
      /steps\[0\]\.bakeSeconds must be <= 86400, got 86401/,
    ],
    [{ steps: [{ weight: 100, bakeSeconds: 1.5 }] }, /steps\[0\]\.bakeSeconds must be integer, got 1.5/],
    [{ steps: [{ weight: 100, bakeSeconds: 0, extra: 1 }] }, /steps\[0\]\.extra is not a known field/],
    [{ steps: [] }, /steps must NOT have fewer than 1 items/],
    [{ steps: [{ setWeight: 100 }], bake: 5 }, /bake is not a known field/],
    [{}, /steps is required/],
    ['10,50,100', /plan must be object/],
  ])('refuses %j, naming the field', (plan, message) => {
    expect(refusal('canary', plan)).toMatch(message);
  });
});

describe('expandPlan: linear', () => {
  it('moves by the same increment each interval, capping the last at 100', () => {
    const steps = expandPlan('linear', { stepPercent: 30, intervalSeconds: 60 });
    expect(weightsOf(steps)).toEqual([30, 60, 90, 100]);
    expect(steps.slice(0, 3)).toEqual([{ kind: 'setWeight', weight: 30 }, ...bake(60)]);
    expect(steps).toHaveLength(12);
  });

  it('goes straight to 100 when the increment is 100', () => {
    expect(expandPlan('linear', { stepPercent: 100, intervalSeconds: 0 })).toEqual([
      { kind: 'setWeight', weight: 100 },
      ...bake(0),
    ]);
  });

  it('asks for approval first when the plan says so', () => {
    const steps = expandPlan('linear', {
      stepPercent: 50,
      intervalSeconds: 60,
      approval: { timeoutSeconds: 900, onTimeout: 'continue' },
    });
    expect(steps[0]).toEqual({ kind: 'approval', timeoutSeconds: 900, onTimeout: 'continue' });
    expect(weightsOf(steps)).toEqual([50, 100]);
  });

  it.each([
    [{ stepPercent: 0, intervalSeconds: 60 }, /stepPercent must be >= 1, got 0/],
    [{ stepPercent: 101, intervalSeconds: 60 }, /stepPercent must be <= 100, got 101/],
    [{ stepPercent: 25 }, /intervalSeconds is required/],
    [{ stepPercent: 25, intervalSeconds: 60, approval: {} }, /approval\.timeoutSeconds is required/],
    [
      { stepPercent: 25, intervalSeconds: 60, approval: { timeoutSeconds: 60, onTimeout: 'wait' } },
      /approval\.onTimeout must be one of rollback, continue/,
    ],
  ])('refuses %j, naming the field', (plan, message) => {
    expect(refusal('linear', plan)).toMatch(message);
  });
});

describe('expandPlan: all-at-once', () => {
  it('gives the candidate all traffic, then bakes and checks', () => {
    expect(expandPlan('all-at-once', { bakeSeconds: 120 })).toEqual([
      { kind: 'setWeight', weight: 100 },
      ...bake(120),
    ]);
  });

  it('asks for approval before the switch when the plan says so', () => {
    expect(kindsOf(expandPlan('all-at-once', { bakeSeconds: 0, approval: { timeoutSeconds: 60 } }))).toEqual([
      'approval',
      'setWeight',
      'pause',
      'check',
    ]);
  });

  it.each([
    [{}, /bakeSeconds is required/],
    [{ bakeSeconds: 60, steps: [] }, /steps is not a known field/],
    [{ bakeSeconds: -1 }, /bakeSeconds must be >= 0, got -1/],
  ])('refuses %j, naming the field', (plan, message) => {
    expect(refusal('all-at-once', plan)).toMatch(message);
  });
});

describe('expandPlan: blue-green', () => {
  it('runs pre-traffic hooks, asks for approval, switches, bakes, runs post-traffic hooks, then judges the wait to retire', () => {
    const steps = expandPlan('blue-green', {
      preTrafficHooks: [smokeTest],
      approval: { timeoutSeconds: 3600 },
      bakeSeconds: 300,
      postTrafficHooks: [{ name: 'verify', lambda: { functionName: 'stepwise-hook-verify' } }],
      terminationWaitSeconds: 900,
    });
    expect(steps).toEqual([
      { kind: 'hook', hook: expect.objectContaining({ name: 'smoke', phase: 'pre-traffic', type: 'http' }) },
      { kind: 'approval', timeoutSeconds: 3600, onTimeout: 'rollback' },
      { kind: 'setWeight', weight: 100, label: 'switch' },
      ...bake(300),
      {
        kind: 'hook',
        hook: expect.objectContaining({ name: 'verify', phase: 'post-traffic', type: 'lambda' }),
      },
      { kind: 'pause', seconds: 900, label: 'termination wait' },
      { kind: 'check' },
    ]);
  });

  it('switches with no hooks and no termination wait when the plan gives only a bake', () => {
    expect(expandPlan('blue-green', { bakeSeconds: 60 })).toEqual([
      { kind: 'setWeight', weight: 100, label: 'switch' },
      ...bake(60),
      { kind: 'pause', seconds: 0, label: 'termination wait' },
      { kind: 'check' },
    ]);
  });

  it('runs each hook in the phase of the list it is in, whatever phase it names', () => {
    const steps = expandPlan('blue-green', {
      bakeSeconds: 0,
      preTrafficHooks: [{ ...smokeTest, phase: 'post-traffic' }],
      postTrafficHooks: [{ ...smokeTest, phase: 'pre-traffic' }],
    });
    expect(hooksOf(steps).map((h) => h.phase)).toEqual(['pre-traffic', 'post-traffic']);
  });

  it.each([
    [
      { bakeSeconds: 0, preTrafficHooks: [{ name: 'smoke' }] },
      'plan.preTrafficHooks[0] needs http or lambda',
    ],
    [
      {
        bakeSeconds: 0,
        postTrafficHooks: [
          smokeTest,
          { name: 'both', http: { url: 'http://a' }, lambda: { functionName: 'stepwise-hook-f' } },
        ],
      },
      'plan.postTrafficHooks[1] must have http or lambda, not both',
    ],
  ])('refuses a hook without exactly one way to run, naming it', (plan, message) => {
    expect(refusal('blue-green', plan)).toBe(message);
  });

  it.each([
    [
      { bakeSeconds: 0, preTrafficHooks: [{ ...smokeTest, name: 'smoke test' }] },
      /preTrafficHooks\[0\]\.name must match pattern/,
    ],
    [
      { bakeSeconds: 0, preTrafficHooks: [{ name: 'smoke', http: { url: 'ftp://x' } }] },
      /preTrafficHooks\[0\]\.http\.url must match pattern/,
    ],
    [
      { bakeSeconds: 0, postTrafficHooks: [{ ...smokeTest, retries: 11 }] },
      /postTrafficHooks\[0\]\.retries must be <= 10, got 11/,
    ],
    [{ preTrafficHooks: [] }, /bakeSeconds is required/],
  ])('refuses %j, naming the field', (plan, message) => {
    expect(refusal('blue-green', plan)).toMatch(message);
  });
});

describe('expandPlan: rolling', () => {
  it('replaces one batch at a time, each batch weighted by the share of instances replaced', () => {
    const steps = expandPlan('rolling', { instances: 4, batchSize: 1, bakeSeconds: 30 });
    expect(steps.slice(0, 3)).toEqual([{ kind: 'setWeight', weight: 25, label: 'batch 1/4' }, ...bake(30)]);
    expect(weightsOf(steps)).toEqual([25, 50, 75, 100]);
    expect(steps.filter((s) => s.kind === 'setWeight').map((s) => s.kind === 'setWeight' && s.label)).toEqual(
      ['batch 1/4', 'batch 2/4', 'batch 3/4', 'batch 4/4'],
    );
  });

  it('makes the last batch the rest when the instances do not divide evenly, and bakes 0 s by default', () => {
    const steps = expandPlan('rolling', { instances: 5, batchSize: 2 });
    expect(weightsOf(steps)).toEqual([40, 80, 100]);
    expect(steps.slice(1, 3)).toEqual(bake(0));
  });

  it('rounds the share of each batch to a whole percent', () => {
    expect(weightsOf(expandPlan('rolling', { instances: 3, batchSize: 1 }))).toEqual([33, 67, 100]);
  });

  it('gives every batch more traffic than the batch before it, even with many instances per percent', () => {
    const weights = weightsOf(expandPlan('rolling', { instances: 300, batchSize: 1 }));
    const still = weights.flatMap((w, i) => (w <= (weights[i - 1] ?? 0) ? [`batch ${i + 1} at ${w}%`] : []));
    expect(
      still.length === 0
        ? 'every batch moves traffic'
        : `${still.length} of ${weights.length} batches move no traffic: ${still.slice(0, 3).join(', ')}, ...`,
    ).toBe('every batch moves traffic');
  });

  it.each([
    [{ instances: 4, batchSize: 5 }, 'plan.batchSize (5) cannot exceed plan.instances (4)'],
    [
      { instances: 4, batchSize: 1, maxUnavailable: 5 },
      'plan.maxUnavailable (5) cannot exceed plan.instances (4)',
    ],
  ])('refuses %j, naming both fields', (plan, message) => {
    expect(refusal('rolling', plan)).toBe(message);
  });

  it.each([
    [{ instances: 4 }, /batchSize is required/],
    [{ instances: 0, batchSize: 1 }, /instances must be >= 1, got 0/],
    [{ instances: 4, batchSize: 1, maxUnavailable: -1 }, /maxUnavailable must be >= 0, got -1/],
  ])('refuses %j, naming the field', (plan, message) => {
    expect(refusal('rolling', plan)).toMatch(message);
  });
});

describe('expandPlan: recreate', () => {
  it('stops the stable version, waits for startup, starts the candidate, runs its hooks, then bakes', () => {
    expect(
      expandPlan('recreate', { startupSeconds: 30, bakeSeconds: 120, postTrafficHooks: [smokeTest] }),
    ).toEqual([
      { kind: 'stopStable' },
      { kind: 'pause', seconds: 30, label: 'startup' },
      { kind: 'startCandidate' },
      { kind: 'hook', hook: expect.objectContaining({ name: 'smoke', phase: 'post-traffic' }) },
      ...bake(120),
    ]);
  });

  it('waits no startup time by default', () => {
    expect(expandPlan('recreate', { bakeSeconds: 0 })[1]).toEqual({
      kind: 'pause',
      seconds: 0,
      label: 'startup',
    });
  });

  it.each([
    [{}, /bakeSeconds is required/],
    [{ bakeSeconds: 0, preTrafficHooks: [] }, /preTrafficHooks is not a known field/],
    [
      { bakeSeconds: 0, postTrafficHooks: [{ name: 'smoke' }] },
      /plan\.postTrafficHooks\[0\] needs http or lambda/,
    ],
  ])('refuses %j, naming the field', (plan, message) => {
    expect(refusal('recreate', plan)).toMatch(message);
  });
});

describe('expandPlan: ab-segment', () => {
  const header = { header: 'x-beta', value: 'yes' };

  it('routes the segment, bakes, then analyses without ever giving the candidate everyone', () => {
    const steps = expandPlan('ab-segment', {
      match: header,
      bakeSeconds: 300,
      after: { analysisSeconds: 600 },
    });
    expect(steps).toEqual([
      { kind: 'segment', match: { header: 'x-beta', value: 'yes' } },
      ...bake(300),
      { kind: 'pause', seconds: 600, label: 'analysis' },
      { kind: 'check' },
    ]);
    expect(promotesCandidate(steps)).toBe(false);
  });

  it('matches a cookie too', () => {
    const [segment] = expandPlan('ab-segment', { match: { cookie: 'beta', value: '1' }, bakeSeconds: 0 });
    expect(segment).toEqual({ kind: 'segment', match: { cookie: 'beta', value: '1' } });
  });

  it('analyses 0 s when the plan says nothing about after', () => {
    expect(expandPlan('ab-segment', { match: header, bakeSeconds: 60 }).slice(3)).toEqual([
      { kind: 'pause', seconds: 0, label: 'analysis' },
      { kind: 'check' },
    ]);
  });

  it('continues with a weighted phase to all traffic when the plan gives one', () => {
    const steps = expandPlan('ab-segment', {
      match: header,
      bakeSeconds: 60,
      after: {
        steps: [
          { weight: 50, bakeSeconds: 60 },
          { weight: 100, bakeSeconds: 60 },
        ],
      },
    });
    expect(kindsOf(steps)).toEqual([
      'segment',
      'pause',
      'check',
      ...['setWeight', 'pause', 'check'],
      ...['setWeight', 'pause', 'check'],
    ]);
    expect(weightsOf(steps)).toEqual([50, 100]);
    expect(promotesCandidate(steps)).toBe(true);
  });

  it.each([
    [{ match: { value: 'yes' }, bakeSeconds: 0 }, 'plan.match needs exactly one of header or cookie'],
    [
      { match: { header: 'x-beta', cookie: 'beta', value: 'yes' }, bakeSeconds: 0 },
      'plan.match needs exactly one of header or cookie',
    ],
    [
      { match: header, bakeSeconds: 0, after: { steps: [{ setWeight: 100 }], analysisSeconds: 60 } },
      'plan.after takes steps (a weighted phase) or analysisSeconds (stop there), not both',
    ],
    [
      { match: header, bakeSeconds: 0, after: { steps: [{ setWeight: 50 }] } },
      'plan.after.steps must end at weight 100, the last is 50',
    ],
    [
      { match: header, bakeSeconds: 0, after: { steps: [{ setWeight: 10, check: {} }] } },
      'plan.after.steps[0] must have exactly one of setWeight, pause, check, approval, hook',
    ],
  ])('refuses %j, naming the field', (plan, message) => {
    expect(refusal('ab-segment', plan)).toBe(message);
  });

  it.each([
    [{ bakeSeconds: 0 }, /match is required/],
    [{ match: { header: 'x beta', value: 'yes' }, bakeSeconds: 0 }, /match\.header must match pattern/],
    [
      { match: { header: 'x-beta', value: '' }, bakeSeconds: 0 },
      /match\.value must NOT have fewer than 1 characters/,
    ],
    [{ match: header, bakeSeconds: 0, after: { analysis: 60 } }, /after\.analysis is not a known field/],
  ])('refuses %j, naming the field', (plan, message) => {
    expect(refusal('ab-segment', plan)).toMatch(message);
  });
});

describe('expandPlan: the approval gate', () => {
  const gate = { approvalGate: { timeoutSeconds: 600, onTimeout: 'continue' as const } };
  const approval: Step = { kind: 'approval', timeoutSeconds: 600, onTimeout: 'continue' };

  it('goes before the first step that moves traffic', () => {
    const steps = expandPlan(
      'canary',
      { steps: [{ pause: { seconds: 5 } }, { weight: 100, bakeSeconds: 0 }] },
      gate,
    );
    expect(steps.slice(0, 3)).toEqual([
      { kind: 'pause', seconds: 5 },
      approval,
      { kind: 'setWeight', weight: 100 },
    ]);
  });

  it('goes after the pre-traffic hooks of blue-green, before the switch', () => {
    const steps = expandPlan('blue-green', { bakeSeconds: 0, preTrafficHooks: [smokeTest] }, gate);
    expect(kindsOf(steps).slice(0, 3)).toEqual(['hook', 'approval', 'setWeight']);
  });

  it('goes before the stop for recreate, so no downtime starts unapproved', () => {
    expect(expandPlan('recreate', { bakeSeconds: 0 }, gate).slice(0, 2)).toEqual([
      approval,
      { kind: 'stopStable' },
    ]);
  });

  it('goes before the segment for ab-segment', () => {
    expect(
      kindsOf(
        expandPlan('ab-segment', { match: { header: 'x-beta', value: 'yes' }, bakeSeconds: 0 }, gate),
      ).slice(0, 2),
    ).toEqual(['approval', 'segment']);
  });

  it('is the only change it makes', () => {
    const plan = { stepPercent: 50, intervalSeconds: 60 };
    const gated = expandPlan('linear', plan, gate);
    expect(gated.filter((s) => s.kind !== 'approval')).toEqual(expandPlan('linear', plan));
    expect(gated.filter((s) => s.kind === 'approval')).toHaveLength(1);
  });
});

describe('defaultStrategyPlan', () => {
  it.each(SINGLE_SERVICE)('gives %s a plan that its schema accepts and that expands', (strategy) => {
    const steps = expandPlan(strategy, defaultStrategyPlan(strategy, 60));
    expect(steps.length).toBeGreaterThan(0);
    expect(
      steps
        .filter((s) => s.kind === 'pause' && s.label === 'bake')
        .map((s) => s.kind === 'pause' && s.seconds),
    ).toContain(60);
  });

  it('gives canary the 10, 25, 50, 100 ramp with a 300 s bake by default', () => {
    const steps = expandPlan('canary', defaultStrategyPlan('canary'));
    expect(weightsOf(steps)).toEqual([10, 25, 50, 100]);
    expect(steps[1]).toEqual({ kind: 'pause', seconds: 300, label: 'bake' });
  });

  it.each(STRATEGIES)('has a plan schema for %s', (strategy) => {
    expect(PLAN_SCHEMAS[strategy]).toMatchObject({ type: 'object' });
  });
});

describe('promotesCandidate', () => {
  it.each(SINGLE_SERVICE.filter((s) => s !== 'ab-segment'))('is true for the default %s plan', (strategy) => {
    expect(promotesCandidate(expandPlan(strategy, defaultStrategyPlan(strategy)))).toBe(true);
  });

  it('is false for the default ab-segment plan, which stops at its analysis', () => {
    expect(promotesCandidate(expandPlan('ab-segment', defaultStrategyPlan('ab-segment')))).toBe(false);
  });

  it('is false for steps that never reach 100', () => {
    expect(promotesCandidate([{ kind: 'setWeight', weight: 99 }, { kind: 'check' }])).toBe(false);
  });
});

describe('withSmokeTests', () => {
  const url = 'http://127.0.0.1:41234';

  it('adds a smoke test against the base URL to both hook phases of blue-green, after the hooks it had', () => {
    const plan = withSmokeTests('blue-green', { bakeSeconds: 0, preTrafficHooks: [smokeTest] }, url);
    const hooks = hooksOf(expandPlan('blue-green', plan));
    expect(hooks.map((h) => [h.name, h.phase])).toEqual([
      ['smoke', 'pre-traffic'],
      ['smoke-test-pre-traffic', 'pre-traffic'],
      ['smoke-test-post-traffic', 'post-traffic'],
    ]);
    expect(hooks[1]).toMatchObject({ type: 'http', url: `${url}/health`, timeoutSeconds: 5, retries: 2 });
  });

  it('adds a post-traffic smoke test to recreate', () => {
    const hooks = hooksOf(expandPlan('recreate', withSmokeTests('recreate', { bakeSeconds: 0 }, url)));
    expect(hooks.map((h) => [h.name, h.phase])).toEqual([['smoke-test-post-traffic', 'post-traffic']]);
  });

  it('leaves the plan of a strategy without hook phases as it is', () => {
    const plan = defaultStrategyPlan('canary');
    expect(withSmokeTests('canary', plan, url)).toBe(plan);
  });

  it('does not change the plan it is given', () => {
    const plan = { bakeSeconds: 0, preTrafficHooks: [smokeTest] };
    const copy = structuredClone(plan);
    withSmokeTests('blue-green', plan, url);
    expect(plan).toEqual(copy);
  });
});

describe('isStrategy', () => {
  it('knows every strategy and nothing else', () => {
    expect(STRATEGIES.every(isStrategy)).toBe(true);
    expect(isStrategy('shadow')).toBe(false);
    expect(isStrategy('Canary')).toBe(false);
  });
});

describe('expandPlan error messages', () => {
  // The strategy checks say plan.batchSize, plan.steps[0], plan.match; schema errors should too.
  it.each([
    ['linear', { stepPercent: 0, intervalSeconds: 60 }, 'plan.stepPercent must be >= 1, got 0'],
    ['canary', { steps: [{ weight: 200, bakeSeconds: 0 }] }, 'plan.steps[0].weight must be <= 100, got 200'],
    ['recreate', {}, 'plan.bakeSeconds is required'],
  ] as const)(
    'name a field the %s schema refuses by its path from the plan, as the strategy checks do',
    (strategy, plan, message) => {
      expect(refusal(strategy, plan)).toBe(message);
    },
  );
});

describe('one module per strategy', () => {
  it('has one module for every strategy, named as its ASL file, with its own file under strategies/', async () => {
    const { STRATEGY_MODULES } = await import('../../../lambdas/domain/strategies/index.ts');
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(new URL('../../../lambdas/domain/strategies/', import.meta.url));
    for (const strategy of STRATEGIES) {
      expect(STRATEGY_MODULES[strategy].name).toBe(strategy);
      expect(files).toContain(`${strategy}.ts`);
      expect(readdirSync(new URL('../../../statemachines/', import.meta.url))).toContain(
        `${strategy}.asl.json`,
      );
    }
  });

  it('validates a plan against the module’s own schema, naming the field', () => {
    expect(() => expandPlan('rolling', { instances: 4 })).toThrow('plan.batchSize is required');
    expect(() => expandPlan('linear', { stepPercent: 0, intervalSeconds: 60 })).toThrow('plan.stepPercent');
  });
});
