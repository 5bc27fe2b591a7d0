import { describe, expect, it } from 'vitest';
import type { Hook } from '../../../lambdas/domain/hooks.ts';
import { describeStep, isTrafficStep, type Step } from '../../../lambdas/domain/steps.ts';

const hook: Hook = {
  name: 'smoke',
  phase: 'pre-traffic',
  type: 'http',
  url: 'http://shop/health',
  method: 'GET',
  expectedStatus: 200,
  timeoutSeconds: 5,
  retries: 2,
  retryIntervalSeconds: 10,
};

describe('describeStep', () => {
  it.each<[Step, string]>([
    [{ kind: 'setWeight', weight: 25 }, 'set weight 25%'],
    [{ kind: 'setWeight', weight: 100, label: 'switch' }, 'switch 100%'],
    [{ kind: 'setWeight', weight: 50, label: 'batch 2/4' }, 'batch 2/4 50%'],
    [{ kind: 'pause', seconds: 300 }, 'pause 300s'],
    [{ kind: 'pause', seconds: 300, label: 'bake' }, 'bake 300s'],
    [{ kind: 'check' }, 'check alarms'],
    [
      { kind: 'approval', timeoutSeconds: 600, onTimeout: 'rollback' },
      'approval (timeout 600s, then rollback)',
    ],
    [{ kind: 'hook', hook }, 'pre-traffic hook smoke'],
    [{ kind: 'segment', match: { header: 'x-beta', value: 'yes' } }, 'segment x-beta: yes'],
    [{ kind: 'segment', match: { cookie: 'beta', value: '1' } }, 'segment cookie beta=1'],
    [{ kind: 'stopStable' }, 'stop the stable version'],
    [{ kind: 'startCandidate' }, 'start the candidate'],
  ])('describes %j as %j', (step, text) => {
    expect(describeStep(step)).toBe(text);
  });
});

describe('isTrafficStep', () => {
  it('is true for the steps that move traffic: set weight, segment, start candidate', () => {
    const steps: Step[] = [
      { kind: 'setWeight', weight: 10 },
      { kind: 'segment', match: { header: 'x-beta', value: 'yes' } },
      { kind: 'startCandidate' },
    ];
    expect(steps.map(isTrafficStep)).toEqual([true, true, true]);
  });

  it('is false for the steps that do not', () => {
    const steps: Step[] = [
      { kind: 'pause', seconds: 1 },
      { kind: 'check' },
      { kind: 'approval', timeoutSeconds: 60, onTimeout: 'rollback' },
      { kind: 'hook', hook },
      { kind: 'stopStable' },
    ];
    expect(steps.map(isTrafficStep)).toEqual([false, false, false, false, false]);
  });
});
