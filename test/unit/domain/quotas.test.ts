import { describe, expect, it } from 'vitest';
import {
  assertWithinQuotas,
  HISTORY_LIMIT_EVENTS,
  HISTORY_QUOTA_EVENTS,
  STATE_LIMIT_BYTES,
  settlePolls,
  worstCase,
} from '../../../lambdas/domain/quotas.ts';
import { expandPlan, type StrategyName } from '../../../lambdas/domain/strategies/index.ts';

/**
 * The worst cases of the aws-audit "History-event estimate" table (Standard workflows, Task = 5
 * events + 3 per retry, Choice/Wait = 2): the module reads the state machines and retriers from
 * the ASL files, so these figures follow the files; the table's are rounded.
 */
const worst = (
  strategy: StrategyName,
  plan: unknown,
  provider = 'simulated',
  providerConfig?: Record<string, unknown>,
) => worstCase({ strategy, steps: expandPlan(strategy, plan), provider, providerConfig });

const canarySteps = (n: number, bakeSeconds = 60) => ({
  steps: Array.from({ length: n }, (_, i) => ({ weight: Math.ceil(((i + 1) * 100) / n), bakeSeconds })),
});
const retriedHook = (i: number) => ({
  name: `smoke-${i}`,
  http: { url: 'https://shop.example/health' },
  retries: 10,
  retryIntervalSeconds: 10,
});
const linear5 = { stepPercent: 5, intervalSeconds: 300 };

describe('worst-case execution history', () => {
  it('counts a linear 5 % plan (20 steps of 39 events: its bake a token wait of 6) at about 810 events', () => {
    expect(worst('linear', linear5).historyEvents).toBeGreaterThan(780);
    expect(worst('linear', linear5).historyEvents).toBeLessThan(850);
  });

  it("adds ecs-rolling's waits: every shift's settle loop, and the promote's and the rollback's", () => {
    const events = worst('linear', linear5, 'ecs-rolling').historyEvents;
    // The default 600 s settle: 12 polls (15, 30, then 60 s apart) of Which step? → Wait → Shift traffic
    // → Next step (2 + 2 + 5 + 5 events) for each of 20 shifts; 12 of Wait → Promote → Promoted?
    // (2 + 5 + 2) for the promote, the same for the rollback. The audit's 3,100 counted 40 retries a
    // shift (120 events), before the loops.
    expect(settlePolls(600)).toBe(12);
    expect(events - worst('linear', linear5).historyEvents).toBe(20 * 12 * 14 + 2 * 12 * 9);
  });

  it('counts the promote and rollback loops only where the provider waits there (ecs-alb: the rollback)', () => {
    const plan = { bakeSeconds: 0 };
    const ready = { readyTimeoutSeconds: 0 };
    const base = worst('all-at-once', plan, 'simulated');
    const alb = worst('all-at-once', plan, 'ecs-alb', ready);
    const rolling = worst('all-at-once', plan, 'ecs-rolling', ready);
    expect(alb.historyEvents - base.historyEvents).toBe(12 * 9);
    expect(alb.seconds - base.seconds).toBe(645);
    // ecs-rolling also settles its one shift (12 × 14) and its promote.
    expect(rolling.historyEvents - base.historyEvents).toBe(12 * 14 + 2 * 12 * 9);
  });

  it('settles as long as rolloutTimeoutSeconds says', () => {
    const short = worst('linear', linear5, 'ecs-rolling', { rolloutTimeoutSeconds: 60 });
    const long = worst('linear', linear5, 'ecs-rolling', { rolloutTimeoutSeconds: 3_600 });
    // Every shift's loop (14 events a poll), the promote's and the rollback's (9 each) go round longer.
    expect(long.historyEvents - short.historyEvents).toBe(
      (settlePolls(3_600) - settlePolls(60)) * (20 * 14 + 2 * 9),
    );
    expect(long.seconds).toBeGreaterThan(short.seconds + 22 * (3_600 - 60) - 1);
  });

  it('adds 15 minutes of readiness polling at 9 events a poll: about 3,700 events', () => {
    const without = worst('linear', linear5, 'ecs-rolling').historyEvents;
    const withReady = worst('linear', linear5, 'ecs-rolling', { readyTimeoutSeconds: 900 });
    expect(withReady.readinessEvents).toBe(60 * 9);
    expect(withReady.historyEvents - without).toBe(60 * 9);
  });

  it('counts every attempt of retried blue-green hooks and one Wait for the termination wait: about 2,100 events', () => {
    const plan = {
      preTrafficHooks: Array.from({ length: 10 }, (_, i) => retriedHook(i)),
      postTrafficHooks: Array.from({ length: 10 }, (_, i) => retriedHook(10 + i)),
      bakeSeconds: 300,
      terminationWaitSeconds: 86_400,
    };
    const events = worst('blue-green', plan).historyEvents;
    expect(events).toBeGreaterThan(2_000);
    expect(events).toBeLessThan(2_300);
  });

  it('puts a 200-step canary on ecs-rolling over the quota (the audit: about 31,000 events with retries)', () => {
    const events = worst('canary', canarySteps(200), 'ecs-rolling').historyEvents;
    expect(events).toBe(worst('canary', canarySteps(200)).historyEvents + 200 * 12 * 14 + 2 * 12 * 9);
    expect(events).toBeGreaterThan(HISTORY_QUOTA_EVENTS);
  });

  it('puts 86,400 s of readiness polling alone at 51,840 events', () => {
    const w = worst('all-at-once', { bakeSeconds: 0 }, 'ecs-alb', { readyTimeoutSeconds: 86_400 });
    expect(w.readinessEvents).toBe(51_840);
  });

  it('polls for the default 900 s where the provider can answer not ready, and not where it is ready at once', () => {
    const plan = { bakeSeconds: 0 };
    expect(worst('all-at-once', plan, 'ecs-alb').readinessEvents).toBe(60 * 9);
    expect(worst('all-at-once', plan, 'lambda-alias').readinessEvents).toBe(60 * 9);
    expect(worst('all-at-once', plan, 'ecs-rolling').readinessEvents).toBe(0);
  });
});

describe('worst-case duration', () => {
  it("adds bakes, approval timeouts, readiness and the provider's settle loops", () => {
    const plan = { bakeSeconds: 300, approval: { timeoutSeconds: 3_600 } };
    const simulated = worst('all-at-once', plan).seconds;
    expect(simulated).toBe(300 + 3_600);
    // ecs-rolling: the shift's settle loop (12 polls, 645 s in all), the same for the promote's and
    // a rollback's.
    expect(worst('all-at-once', plan, 'ecs-rolling', { readyTimeoutSeconds: 1_200 }).seconds).toBe(
      simulated + 1_200 + 3 * 645,
    );
  });

  it("counts every hook attempt's timeout and every retry interval", () => {
    const hook = { name: 'smoke', http: { url: 'https://x/health' }, retries: 3, retryIntervalSeconds: 600 };
    const w = worst('blue-green', { bakeSeconds: 0, preTrafficHooks: [hook] });
    expect(w.seconds).toBe(4 * 10 + 3 * 600);
  });

  it("includes a ring's child plans", () => {
    const plan = {
      rings: [
        { name: 'one', service: 'a', strategy: 'all-at-once', plan: { bakeSeconds: 600 } },
        {
          name: 'two',
          service: 'b',
          strategy: 'all-at-once',
          plan: { bakeSeconds: 900 },
          gate: { bakeSeconds: 60 },
        },
      ],
    };
    expect(worst('ring', plan).seconds).toBe(600 + 900 + 60);
  });
});

describe('assertWithinQuotas', () => {
  const check =
    (
      strategy: StrategyName,
      plan: unknown,
      provider = 'simulated',
      providerConfig?: Record<string, unknown>,
      fields?: { plan: string; providerConfig: string },
    ) =>
    () =>
      assertWithinQuotas({ strategy, steps: expandPlan(strategy, plan), provider, providerConfig }, fields);

  it('accepts the default plans and returns their worst case', () => {
    expect(check('canary', canarySteps(4, 300), 'ecs-alb')().historyEvents).toBeLessThan(1_000);
  });

  it('refuses a 200-step canary on ecs-rolling, naming plan.steps and the quota', () => {
    expect(check('canary', canarySteps(200), 'ecs-rolling')).toThrow(
      /^plan\.steps: this canary plan \(600 steps once expanded\) on ecs-rolling would need ≈4\d,\d{3} execution history events in the worst case, over 20,000 \(80 % of Step Functions' 25,000-event quota per execution\); use fewer steps$/,
    );
    // The same plan fits where shifts do not wait.
    expect(check('canary', canarySteps(200), 'simulated')).not.toThrow();
  });

  it('refuses 86,400 s of readiness polling, naming readyTimeoutSeconds and what fits', () => {
    expect(check('canary', canarySteps(4), 'ecs-alb', { readyTimeoutSeconds: 86_400 })).toThrow(
      /^providerConfig\.readyTimeoutSeconds: 86400s of readiness checks \(one every 15s\) would need ≈52,\d{3} execution history events in the worst case, over 20,000 .*; at most 3\d{4}s fits$/,
    );
  });

  it('names the field where a registry has it', () => {
    expect(
      check(
        'all-at-once',
        { bakeSeconds: 0 },
        'ecs-alb',
        { readyTimeoutSeconds: 86_400 },
        {
          plan: 'services[3].plan',
          providerConfig: 'services[3].provider',
        },
      ),
    ).toThrow(/^services\[3\]\.provider\.readyTimeoutSeconds: /);
  });

  it('the readiness wait it says fits does fit', () => {
    let message = '';
    try {
      check('canary', canarySteps(4), 'ecs-alb', { readyTimeoutSeconds: 86_400 })();
    } catch (error) {
      message = (error as Error).message;
    }
    const fits = Number(/at most (\d+)s fits/.exec(message)?.[1]);
    expect(check('canary', canarySteps(4), 'ecs-alb', { readyTimeoutSeconds: fits })).not.toThrow();
    expect(check('canary', canarySteps(4), 'ecs-alb', { readyTimeoutSeconds: fits + 15 })).toThrow();
    expect(
      worstCase({
        strategy: 'canary',
        steps: expandPlan('canary', canarySteps(4)),
        provider: 'ecs-alb',
        providerConfig: { readyTimeoutSeconds: fits },
      }).historyEvents,
    ).toBeLessThanOrEqual(HISTORY_LIMIT_EVENTS);
  });

  it('refuses a plan whose state would pass 200 KB, naming the plan', () => {
    const hook = (i: number) => ({
      hook: { name: `h${i}`, http: { url: `https://shop.example/${'x'.repeat(2_000)}` } },
    });
    const plan = {
      steps: [...Array.from({ length: 120 }, (_, i) => hook(i)), { weight: 100, bakeSeconds: 0 }],
    };
    expect(
      worstCase({ strategy: 'canary', steps: expandPlan('canary', plan), provider: 'simulated' }).stateBytes,
    ).toBeGreaterThan(STATE_LIMIT_BYTES);
    expect(check('canary', plan)).toThrow(
      /^plan: the execution would carry ≈2\d\d,\d{3} bytes of state .*over 204,800 \(Step Functions refuses more than 262,144\)/,
    );
  });

  it('refuses a plan that could outlast its state machine, naming the field', () => {
    const slowHook = (i: number) => ({
      name: `slow-${i}`,
      http: { url: 'https://x/health' },
      timeoutSeconds: 50,
      retries: 10,
      retryIntervalSeconds: 3_600,
    });
    const hooks = (n: number, from: number) => Array.from({ length: n }, (_, i) => slowHook(from + i));
    // Each hook can take 11 × 50 s + 10 h: beside a week-long approval, 5 a side fit the 14 days, 10 a side do not.
    const plan = (n: number) => ({
      preTrafficHooks: hooks(n, 0),
      approval: { timeoutSeconds: 7 * 86_400 },
      bakeSeconds: 3_600,
      postTrafficHooks: hooks(n, 100),
    });
    expect(check('blue-green', plan(5))).not.toThrow();
    expect(check('blue-green', plan(10))).toThrow(
      /^plan\.postTrafficHooks: this plan could run 1,3\d\d,\d{3}s in the worst case .*longer than the 1,209,600s its state machine may run$/,
    );
  });
});
