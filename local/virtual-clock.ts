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

/**
 * The local server's one clock: it runs with the wall clock and jumps forward when a run's wait
 * is due, never back. Every execution and every API call under `serve` reads it, so an audit
 * trail's times are in the order things happened, whoever wrote them (a task, an approval).
 */
export class ServerClock extends VirtualClock {
  private offsetMs = 0;
  private readonly wall: () => number;
  private readonly listeners = new Set<() => void>();

  constructor(wall: () => number = Date.now) {
    super(new Date(wall()));
    this.wall = wall;
  }

  override now(): Date {
    return new Date(this.wall() + this.offsetMs);
  }

  override advanceTo(at: Date): void {
    const ahead = at.getTime() - this.now().getTime();
    if (ahead > 0) this.jump(ahead);
  }

  override advanceBy(seconds: number): void {
    if (seconds > 0) this.jump(seconds * 1000);
  }

  /**
   * Tells `listener` after every jump (what waits on this clock besides the wall, such as a person's
   * approval, ends when its moment is passed); returns what stops telling it.
   */
  onJump(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private jump(ms: number): void {
    this.offsetMs += ms;
    for (const listener of [...this.listeners]) listener();
  }
}
