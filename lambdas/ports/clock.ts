/** Time as the domain sees it: the system clock on AWS, a virtual clock locally. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
