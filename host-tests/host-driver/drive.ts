/**
 * Turning the callback world of the simulator into plain calls for a host program: start an operation,
 * then run virtual time event by event until its callback has fired. No Node API (used in XS too).
 */

/** The part of the virtual scheduler (hal/sim/scheduler.ts) a host program steps. */
export interface SteppedScheduler {
  now(): number;
  readonly nextTime: number | undefined;
  runUntil(timeNs: number): void;
}

export class DriveTimeout extends Error {}

/**
 * Run `start` and the scheduler until `start`'s callback has been called; its value is returned.
 * Throws DriveTimeout when virtual time passes `limitNs` after the start, or no event is left to run,
 * before the callback: the reader never answered.
 */
export function drive<T>(scheduler: SteppedScheduler, start: (done: (value: T) => void) => void, limitNs: number): T {
  let result: { value: T } | null = null;
  start((value) => {
    result = { value };
  });
  const deadline = scheduler.now() + limitNs;
  while (result === null) {
    const next = scheduler.nextTime;
    if (next === undefined) throw new DriveTimeout('the simulation went idle before the operation completed');
    if (next > deadline) throw new DriveTimeout(`no answer within ${limitNs / 1e9} s of virtual time`);
    scheduler.runUntil(next);
  }
  return (result as { value: T }).value;
}
