import type { AlarmDescription } from '../domain/preflight.ts';
import type { AlarmObservation } from '../domain/types.ts';

/** Reads alarm states: CloudWatch on AWS, the simulated metric store locally. */
export interface AlarmSource {
  /** The state of each named alarm now, and whether it was in ALARM at any moment since `since`. */
  observe(names: string[], since: Date): Promise<AlarmObservation[]>;
  /** Whether each named alarm exists, has its actions enabled, and its state now (pre-flight). */
  describe(names: string[]): Promise<AlarmDescription[]>;
}
