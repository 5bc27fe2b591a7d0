import type { Judgment, Look } from './analysis.ts';
import type { Analysis } from './criteria.ts';

/** A step's bake is made longer at most this many times for want of requests, then the policy decides. */
export const MAX_EXTENSIONS = 3;
/** The shortest extension: one whole minute of metrics. */
const MIN_EXTENSION_SECONDS = 60;

/** How far a step's bake was made longer for requests: in which traffic step, how often, by how much in all. */
export interface BakeExtensionSoFar {
  step: number;
  rounds: number;
  seconds: number;
}

/** How far the current traffic step's bake was made longer so far (an earlier step's does not count). */
export function extensionSoFar(progress: {
  trafficStep: number;
  bakeExtension?: BakeExtensionSoFar;
}): BakeExtensionSoFar | undefined {
  return progress.bakeExtension?.step === progress.trafficStep ? progress.bakeExtension : undefined;
}

/**
 * How much longer this step's bake should go on when too few candidate requests are all that
 * keeps it from passing: the time the candidate's traffic in this step says the missing requests
 * take, with half as much again for its noise, at least a minute, within what is left of the
 * step's `extendBakeUpToSeconds`. Undefined when waiting cannot help (no traffic reaches the
 * candidate, the rounds or the cap are spent) or is not what is missing. Pure.
 */
export function bakeExtensionFor(
  judgment: Judgment,
  analysis: Pick<Analysis, 'minCandidateRequests' | 'extendBakeUpToSeconds'>,
  look: Pick<Look, 'from' | 'to' | 'candidate'> | undefined,
  soFar: BakeExtensionSoFar | undefined,
): number | undefined {
  if (!judgment.tooFewRequests || !look) return undefined;
  if ((soFar?.rounds ?? 0) >= MAX_EXTENSIONS) return undefined;
  const left = analysis.extendBakeUpToSeconds - (soFar?.seconds ?? 0);
  const seconds = (new Date(look.to).getTime() - new Date(look.from).getTime()) / 1000;
  const perSecond = seconds > 0 ? look.candidate.requests / seconds : 0;
  if (perSecond <= 0 || left < MIN_EXTENSION_SECONDS) return undefined;
  const missing = analysis.minCandidateRequests - judgment.candidateRequests;
  const needed = Math.ceil((1.5 * missing) / perSecond / MIN_EXTENSION_SECONDS) * MIN_EXTENSION_SECONDS;
  return Math.min(left, Math.max(MIN_EXTENSION_SECONDS, needed));
}
