import { describe, expect, it } from 'vitest';
import { ServerClock, VirtualClock } from '../../../local/virtual-clock.ts';
import { T0 } from '../fixtures.ts';

const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('VirtualClock', () => {
  it('starts where it is told and stands still until moved', () => {
    const clock = new VirtualClock(T0);
    expect(clock.now()).toEqual(T0);
    expect(clock.now()).toEqual(T0);
  });

  it('jumps forward to a later time', () => {
    const clock = new VirtualClock(T0);
    clock.advanceTo(at(300));
    expect(clock.now()).toEqual(at(300));
  });

  it('never moves backwards', () => {
    const clock = new VirtualClock(at(300));
    clock.advanceTo(at(100));
    expect(clock.now()).toEqual(at(300));
  });

  it('moves by a number of seconds', () => {
    const clock = new VirtualClock(T0);
    clock.advanceBy(90);
    expect(clock.now()).toEqual(at(90));
  });

  it('hands out copies, so a caller cannot move it', () => {
    const clock = new VirtualClock(T0);
    clock.now().setTime(0);
    expect(clock.now()).toEqual(T0);
  });
});

describe('ServerClock', () => {
  it('runs with the wall clock, jumps forward when told, and never back', () => {
    let wall = T0.getTime();
    const clock = new ServerClock(() => wall);
    wall += 5_000;
    expect(clock.now()).toEqual(at(5));
    clock.advanceTo(at(300));
    expect(clock.now()).toEqual(at(300));
    wall += 1_000;
    expect(clock.now()).toEqual(at(301));
    clock.advanceTo(at(100));
    expect(clock.now()).toEqual(at(301));
  });
});
