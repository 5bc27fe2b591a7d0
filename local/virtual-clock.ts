import type { Clock } from '../lambdas/ports/clock.ts';

/**
 * Simulated time. It only moves forward, and only when the runtime says so: when a task is due
 * after a Wait (`checkAt` in the state data), the clock jumps there. Bakes of minutes take no
 * wall time, and the simulated metrics are computed for the time the alarms are read.
 */
export class VirtualClock implements Clock {
  private ms: number;

  constructor(start: Date) {
    this.ms = start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** Moves to `at` if it is later than now; never backwards. */
  advanceTo(at: Date): void {
    if (at.getTime() > this.ms) this.ms = at.getTime();
  }

  advanceBy(seconds: number): void {
    this.ms += seconds * 1000;
  }
}
