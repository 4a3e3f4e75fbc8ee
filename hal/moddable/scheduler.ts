/**
 * The Scheduler on the device: time from the ESP32-S3's 64-bit microsecond counter (esp_timer, in
 * the native half scheduler.c), callbacks from one Moddable `Timer`. Timer has millisecond
 * granularity, which is all the session's waits need (activation steps, ATR window, WT, BWT,
 * debounce); everything finer than a millisecond is the card UART's, in etu (STYLE 8).
 * Callbacks run from the Timer's callback on the XS task, never inside `at()`.
 */
import Timer from 'timer';
import type { Scheduler, TimerHandle } from '../interfaces/scheduler.js';

const NS_PER_US = 1_000;
const NS_PER_MS = 1_000_000;

interface Pending {
  readonly handle: TimerHandle;
  readonly timeNs: number;
  readonly callback: () => void;
}

/** Microseconds since boot (esp_timer_get_time); a double holds them exactly for 285 years. */
function microseconds(): number {
  return native('xs_scheduler_microseconds').call(undefined) as number;
}

export class Esp32Scheduler implements Scheduler {
  /** Pending callbacks, earliest first; equal times keep the order of `at()` calls. */
  readonly #pending: Pending[] = [];
  #nextHandle = 1;
  #timer: Timer | undefined;
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

  /** (Re)start the Timer for the earliest entry, rounding up so nothing runs early. */
  #arm(): void {
    const first = this.#pending[0];
    if (!first) return;
    if (this.#timer !== undefined && this.#timerAtNs <= first.timeNs) return;
    if (this.#timer !== undefined) Timer.clear(this.#timer);
    const delayMs = Math.max(0, Math.ceil((first.timeNs - this.now()) / NS_PER_MS));
    this.#timerAtNs = first.timeNs;
    this.#timer = Timer.set(() => this.#fire(), delayMs);
  }

  #fire(): void {
    // A one-shot Timer is gone once it has fired.
    this.#timer = undefined;
    this.#timerAtNs = Infinity;
    const now = this.now();
    while (this.#pending.length > 0 && this.#pending[0].timeNs <= now) {
      const entry = this.#pending.shift()!;
      entry.callback();
    }
    this.#arm();
  }
}
