import type { AlarmObservation } from '../domain/types.ts';

/** Reads alarm states: CloudWatch on AWS, the simulated metric store locally. */
export interface AlarmSource {
  /** The state of each named alarm now, and whether it was in ALARM at any moment since `since`. */
  observe(names: string[], since: Date): Promise<AlarmObservation[]>;
}
