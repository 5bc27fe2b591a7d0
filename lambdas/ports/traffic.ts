import type { SegmentMatch } from '../domain/steps.ts';
import type { Weights } from '../domain/types.ts';
import type { VersionMetricSpecs } from './metrics.ts';

/** What a provider needs to know about the deployment it acts for. */
export interface TrafficTarget {
  service: string;
  stableVersion: string;
  candidateVersion: string;
}

/** Whether the candidate can take traffic yet, and what it is waiting for if not. */
export interface PrepareResult {
  ready: boolean;
  detail?: string;
}

/**
 * Moves traffic between the stable and the candidate version of one service. Every method is
 * idempotent: calling it twice has the effect of calling it once.
 */
/**
 * What every provider does: bring the candidate up, route by weight, read the weights back,
 * promote, roll back. What only some can do is an optional capability, present exactly when the
 * provider (with its config) can do it; a strategy that needs one is refused up front, at
 * `config validate` and in Start deployment, so no provider throws for what it lacks.
 */
export interface TrafficProvider {
  /**
   * Brings the candidate up beside the stable version, with no traffic. Called again until it
   * answers `ready` (the state machine waits between calls; a provider never sleeps).
   */
  prepare(target: TrafficTarget): Promise<PrepareResult>;
  /** Routes traffic by `weights` (version → percent); no write when already there. */
  setWeights(target: TrafficTarget, weights: Weights): Promise<void>;
  /** Reads the weights back from where traffic is routed. */
  getWeights(target: TrafficTarget): Promise<Weights>;
  /** Gives the candidate all traffic and makes it the stable version. */
  promote(target: TrafficTarget): Promise<void>;
  /** Gives the stable version all traffic and retires the candidate (clearing any segment, restarting a stopped stable). */
  rollback(target: TrafficTarget): Promise<void>;
  /** Routing only matching requests to the candidate (ab-segment). */
  readonly segments?: SegmentRouting;
  /** Stopping and starting versions (recreate). */
  readonly stopStart?: VersionStopStart;
  /**
   * Where each version's own metrics are in CloudWatch, for the judge's baseline comparison
   * (ALB: per target group; Lambda: per executed version). Absent when the provider serves both
   * versions from one metric stream (ECS rolling, AppConfig): a service then names its own
   * per-version metrics in `analysis.metrics`.
   */
  versionMetrics?(target: TrafficTarget): Promise<VersionMetricSpecs>;
}

/** A rule that sends only requests that match to the candidate. */
export interface SegmentRouting {
  /** Routes only requests that match to the candidate; undefined removes the rule. */
  setSegment(target: TrafficTarget, match: SegmentMatch | undefined): Promise<void>;
  /** Reads the segment rule back. */
  getSegment(target: TrafficTarget): Promise<SegmentMatch | undefined>;
}

/** Versions that can be stopped and started in place. */
export interface VersionStopStart {
  /** Stops a version: it keeps its routes but serves nothing. */
  stopVersion(target: TrafficTarget, version: string): Promise<void>;
  /** Starts a version with all traffic. */
  startVersion(target: TrafficTarget, version: string): Promise<void>;
}
