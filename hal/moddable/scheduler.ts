/**
 * The Scheduler on the device: time from the ESP32-S3's 64-bit microsecond counter and callbacks from
 * one one-shot esp_timer (both in the native half, scheduler.c), delivered on the XS task. The timer
 * resolves a microsecond: Moddable's Timer counts whole milliseconds, which made every wait of the
 * session shorter than a millisecond (T=1's BGT, clock-stop delays) last one or two. Everything
 * finer than the task's latency is the card UART's, in etu. Callbacks run from the timer's
 * delivery, never inside `at()`.
 */
import type { Scheduler, TimerHandle } from '../interfaces/scheduler.js';

const NS_PER_US = 1_000;

interface Pending {
  readonly handle: TimerHandle;
  readonly timeNs: number;
  readonly callback: () => void;
}

/** Microseconds since boot (esp_timer_get_time); a double holds them exactly for 285 years. */
function microseconds(): number {
  return native('xs_scheduler_microseconds').call(undefined) as number;
}

/** The native one-shot timer; methods map one to one onto the functions of scheduler.c. */
class SchedulerTimer extends Native('xs_scheduler_timer_destructor') {
  constructor(fired: () => void) {
    super();
    native('xs_scheduler_timer').call(this, fired);
  }
  start(delayUs: number): void {
    native('xs_scheduler_timer_start').call(this, delayUs);
  }
  stop(): void {
    native('xs_scheduler_timer_stop').call(this);
  }
}

export class Esp32Scheduler implements Scheduler {
  /** Pending callbacks, earliest first; equal times keep the order of `at()` calls. */
  readonly #pending: Pending[] = [];
  #nextHandle = 1;
  readonly #timer = new SchedulerTimer(() => this.#fire());
  /** When the timer is set to fire (Infinity: stopped). */
  #timerAtNs = Infinity;

  now(): number {
    return microseconds() * NS_PER_US;
  }

  at(timeNs: number, callback: () => void): TimerHandle {
    const handle = this.#nextHandle++;
    const entry: Pending = { handle, timeNs, callback };
    let i = this.#pending.length;
    while (i > 0 && this.#pending[i - 1].timeNs > timeNs) i--;
    this.#pending.splice(i, 0, entry);
    if (i === 0) this.#arm();
    return handle;
  }

  cancel(handle: TimerHandle): void {
    const i = this.#pending.findIndex((entry) => entry.handle === handle);
    if (i >= 0) this.#pending.splice(i, 1);
  }

  /** (Re)start the timer for the earliest entry, rounding up so nothing runs early. */
  #arm(): void {
    const first = this.#pending[0];
    if (!first) return;
    if (this.#timerAtNs <= first.timeNs) return;
    const delayUs = Math.max(0, Math.ceil((first.timeNs - this.now()) / NS_PER_US));
    this.#timerAtNs = first.timeNs;
    this.#timer.start(delayUs);
  }

  #fire(): void {
    // The one-shot timer has fired (or a delivery queued before a restart arrives: harmless).
    this.#timerAtNs = Infinity;
    const now = this.now();
    while (this.#pending.length > 0 && this.#pending[0].timeNs <= now) {
      const entry = this.#pending.shift()!;
      entry.callback();
    }
    this.#arm();
  }
}
