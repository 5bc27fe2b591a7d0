import type { AlarmObservation, AlarmState } from '../domain/types.ts';

/** An alarm as pre-flight sees it before any traffic moves. */
export interface AlarmDescription {
  name: string;
  exists: boolean;
  /** Whether the alarm's actions are enabled (an alarm with actions disabled pages nobody). */
  actionsEnabled?: boolean;
  state?: AlarmState;
  reason?: string;
  /** A metric alarm's evaluation window: how long new data takes to move it (`Period × DatapointsToAlarm`). */
  windowSeconds?: number;
}

/** Reads alarm states: CloudWatch on AWS, the simulated metric store locally. */
export interface AlarmSource {
  /** The state of each named alarm now, and whether it was in ALARM at any moment since `since`. */
  observe(names: string[], since: Date): Promise<AlarmObservation[]>;
  /** Whether each named alarm exists, has its actions enabled, and its state now (pre-flight). */
  describe(names: string[]): Promise<AlarmDescription[]>;
}
