import type { Hook } from './hooks.ts';

/** One ring of a ring rollout: a deployment of `service` with its own strategy, run as a child execution. */
export interface RingSpec {
  name: string;
  service: string;
  /** Filled from the ring's service config when the plan leaves it out. */
  strategy?: string;
  plan?: unknown;
}

/** Which requests a segment routes to the candidate: a header or a cookie with a given value. */
export type SegmentMatch = { header: string; value: string } | { cookie: string; value: string };

/**
 * One step of a normalized plan. Every strategy expands its settings into a list of these; its
 * state machine walks the list with the Next step task and a Choice on `kind`.
 */
export type Step =
  /** Route `weight` percent of traffic (or of capacity, for rolling) to the candidate. */
  | { kind: 'setWeight'; weight: number; label?: string }
  /** Wait; `label` says what for (bake, termination wait, startup, analysis). */
  | { kind: 'pause'; seconds: number; label?: string }
  /** Judge health from the service's alarms since traffic last moved. */
  | { kind: 'check' }
  /** A manual gate: wait for a decision, at most `timeoutSeconds`, then roll back or continue. */
  | {
      kind: 'approval';
      timeoutSeconds: number;
      onTimeout: 'rollback' | 'continue';
      /** Not in the plan: the judge held the rollout here, inconclusive, for these reasons. */
      held?: string[];
    }
  /** Run a hook (HTTP smoke test or Lambda), with its own retries. */
  | { kind: 'hook'; hook: Hook }
  /** Route only requests matching `match` to the candidate (dark launch / A/B). */
  | { kind: 'segment'; match: SegmentMatch }
  /** Recreate: stop the stable version (downtime starts). */
  | { kind: 'stopStable' }
  /** Recreate: start the candidate with all traffic (downtime ends). */
  | { kind: 'startCandidate' }
  /** Ring: deploy one ring as a child execution of its own strategy's state machine, and wait for it. */
  | { kind: 'ring'; ring: RingSpec };

export type StepKind = Step['kind'];

/** The hooks a plan's steps run (a ring's own plan is its service's, checked where it starts). */
export function hooksOf(steps: readonly Step[]): Hook[] {
  return steps.flatMap((step) => (step.kind === 'hook' ? [step.hook] : []));
}

/** Steps that move traffic; their ordinal is what `@step=N` and the reports call "step N". */
export const TRAFFIC_KINDS: StepKind[] = ['setWeight', 'segment', 'startCandidate', 'ring'];

export function isTrafficStep(step: Step): boolean {
  return TRAFFIC_KINDS.includes(step.kind);
}

/** A one-line description of a step, for progress output, phases and the audit trail. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'setWeight':
      return `${step.label ?? 'set weight'} ${step.weight}%`;
    case 'pause':
      return `${step.label ?? 'pause'} ${step.seconds}s`;
    case 'check':
      return 'check alarms';
    case 'approval':
      return `approval (timeout ${step.timeoutSeconds}s, then ${step.onTimeout})`;
    case 'hook':
      return `${step.hook.phase} hook ${step.hook.name}`;
    case 'segment':
      return 'header' in step.match
        ? `segment ${step.match.header}: ${step.match.value}`
        : `segment cookie ${step.match.cookie}=${step.match.value}`;
    case 'stopStable':
      return 'stop the stable version';
    case 'startCandidate':
      return 'start the candidate';
    case 'ring':
      return `ring ${step.ring.name}: ${step.ring.service}${step.ring.strategy ? ` (${step.ring.strategy})` : ''}`;
  }
}
