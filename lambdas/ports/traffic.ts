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
  /** Routes only requests that match to the candidate; undefined removes the rule. */
  setSegment(target: TrafficTarget, match: SegmentMatch | undefined): Promise<void>;
  /** Reads the segment rule back. */
  getSegment(target: TrafficTarget): Promise<SegmentMatch | undefined>;
  /** Stops a version: it keeps its routes but serves nothing (recreate). */
  stopVersion(target: TrafficTarget, version: string): Promise<void>;
  /** Starts a version with all traffic (recreate). */
  startVersion(target: TrafficTarget, version: string): Promise<void>;
  /**
   * Where each version's own metrics are in CloudWatch, for the judge's baseline comparison
   * (ALB: per target group; Lambda: per executed version). Absent when the provider serves both
   * versions from one metric stream (ECS rolling, AppConfig): a service then names its own
   * per-version metrics in `analysis.metrics`.
   */
  versionMetrics?(target: TrafficTarget): Promise<VersionMetricSpecs>;
}
