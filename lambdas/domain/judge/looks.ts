import type { Deployment, Progress } from '../types.ts';
import type { BaselineReference, Look, VersionReading } from './analysis.ts';
import type { Analysis } from './criteria.ts';

/** Each latency criterion's quantile key (`p95`) and value (0.95). */
export function latencyQuantiles(analysis: Analysis): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of analysis.criteria) if (c.metric === 'latency') out[`p${c.quantile}`] = c.quantile / 100;
  return out;
}

/** The window before the deployment the baseline's latency is read over: its thresholds. */
export function referenceWindow(analysis: Analysis, deployment: Pick<Deployment, 'startedAt'>) {
  const end = new Date(deployment.startedAt);
  return { start: new Date(end.getTime() - analysis.baselineWindowSeconds * 1000), end };
}

/** The baseline before the deployment, from its reading over the reference window. */
export function referenceOf(reading: VersionReading): BaselineReference {
  return { quantiles: { ...reading.quantiles }, requests: reading.requests, errors: reading.errors };
}

/** The thresholds latency is counted at: the baseline's quantiles before the deployment. */
export function thresholdsOf(reference: BaselineReference): Record<string, number> {
  return Object.fromEntries(
    Object.entries(reference.quantiles).filter((e): e is [string, number] => e[1] !== undefined),
  );
}

/** This step's look: from when traffic last moved to now. */
export function lookWindow(
  progress: Pick<Progress, 'stepStartedAt'>,
  deployment: Pick<Deployment, 'startedAt'>,
  now: Date,
) {
  return { start: new Date(progress.stepStartedAt ?? deployment.startedAt), end: now };
}

/**
 * The looks with this one in: a second look at the same step (a retried check, a look during the
 * bake and one at its end) replaces the first, since its window holds the first's; a look with no
 * requests on either version adds nothing.
 */
export function withLook(looks: readonly Look[], look: Look): Look[] {
  const others = looks.filter((l) => !(l.step === look.step && l.from === look.from));
  if (look.candidate.requests === 0 && look.baseline.requests === 0) return others;
  return [...others, look];
}
