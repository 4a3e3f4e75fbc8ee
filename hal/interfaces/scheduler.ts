/**
 * Time, injected. Every deadline the firmware keeps (ATR window, WWT, BWT, debounce, USB timeouts)
 * goes through this interface, so the same code runs on a hardware timer or in virtual time.
 *
 * The unit is the nanosecond (a JavaScript number; fractions are allowed). Nanoseconds keep one card
 * clock cycle (≥ 50 ns at 20 MHz) representable; 2^53 ns is 104 days of uptime.
 */
export type TimerHandle = number;

export interface Scheduler {
  /** Current time in nanoseconds. Monotonic. */
  now(): number;
  /**
   * Call `callback` once, at absolute time `timeNs` (or as soon as possible if that has passed).
   * Callbacks never run re-entrantly inside `at()`; they run from the scheduler's own loop.
   */
  at(timeNs: number, callback: () => void): TimerHandle;
  /** Forget a pending callback. Unknown or already-run handles are ignored. */
  cancel(handle: TimerHandle): void;
}
