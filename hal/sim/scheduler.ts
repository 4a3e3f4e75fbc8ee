/**
 * Virtual time for the simulator (STYLE lesson 9): the Scheduler interface plus the test/driver
 * controls `advance`, `runUntil` and `runUntilIdle`. Events run in (time, insertion sequence) order,
 * so equal times keep the order in which they were scheduled and every run is reproducible.
 * Simulator parts that work out some events analytically instead of scheduling them (the line's
 * bit edges) `reserve` their sequence numbers, so every other event keeps its place in that order,
 * and compare against `runningSeq` to tell whether such an event has already happened.
 * No Node APIs: this also runs inside the XS engine.
 */
import type { Scheduler, TimerHandle } from '../interfaces/scheduler.js';

interface Entry {
  time: number;
  seq: number;
  callback: (() => void) | null;
}

export class VirtualScheduler implements Scheduler {
  #now = 0;
  #seq = 0;
  #running = Infinity;
  /** Binary min-heap on (time, seq). Cancelled entries stay in the heap with a null callback. */
  #heap: Entry[] = [];
  /** Entries that ran or were dropped, for reuse: no allocation per event (STYLE lesson 11). */
  #free: Entry[] = [];
  #live = new Map<number, Entry>();

  now(): number {
    return this.#now;
  }

  /** Callbacks scheduled but not yet run nor cancelled. */
  get pending(): number {
    return this.#live.size;
  }

  /** Time of the next pending event, or undefined when idle. */
  get nextTime(): number | undefined {
    this.#dropCancelled();
    return this.#heap.length > 0 ? this.#heap[0].time : undefined;
  }

  /**
   * Sequence number of the event running now; Infinity between events, when every event due by
   * `now()` has run. An event (time, seq) has happened iff time < now, or time = now and
   * seq ≤ runningSeq.
   */
  get runningSeq(): number {
    return this.#running;
  }

  at(timeNs: number, callback: () => void): TimerHandle {
    return this.#schedule(timeNs, ++this.#seq, callback);
  }

  /**
   * Take `count` sequence numbers, as `count` calls of `at()` would, without scheduling anything;
   * returns the first. An event computed instead of scheduled keeps its number, for `atReserved`.
   */
  reserve(count: number): number {
    const first = this.#seq + 1;
    this.#seq += count;
    return first;
  }

  /**
   * Schedule `callback` with a sequence number from `reserve()`: it runs where an event scheduled
   * at the time of the reservation would have run.
   */
  atReserved(timeNs: number, seq: number, callback: () => void): TimerHandle {
    return this.#schedule(timeNs, seq, callback);
  }

  #schedule(timeNs: number, seq: number, callback: () => void): TimerHandle {
    // A time in the past (or NaN) means "as soon as possible": never before now.
    const time = timeNs > this.#now ? timeNs : this.#now;
    let entry = this.#free.pop();
    if (entry === undefined) entry = { time, seq, callback };
    else {
      entry.time = time;
      entry.seq = seq;
      entry.callback = callback;
    }
    this.#live.set(seq, entry);
    this.#push(entry);
    return seq;
  }

  cancel(handle: TimerHandle): void {
    const entry = this.#live.get(handle);
    if (entry === undefined) return;
    entry.callback = null;
    this.#live.delete(handle);
  }

  /** Run every event up to `now() + ns` inclusive, then set the clock there. */
  advance(ns: number): void {
    this.runUntil(this.#now + (ns > 0 ? ns : 0));
  }

  /** Run every event with time ≤ `timeNs`, then set the clock to `timeNs` (never backwards). */
  runUntil(timeNs: number): void {
    while (this.#runNext(timeNs));
    if (timeNs > this.#now) this.#now = timeNs;
  }

  /**
   * Run events in order until none is left, or until the next one would be after the absolute time
   * `limitNs` (the clock then stays at the last event run). Returns true when no event is left.
   */
  runUntilIdle(limitNs = Infinity): boolean {
    while (this.#runNext(limitNs));
    return this.#live.size === 0;
  }

  /** Run the next event if it is due by `limit`; false when there is none. */
  #runNext(limit: number): boolean {
    this.#dropCancelled();
    const top = this.#heap[0];
    if (top === undefined || top.time > limit) return false;
    this.#pop();
    const callback = top.callback!;
    this.#live.delete(top.seq);
    top.callback = null;
    this.#free.push(top);
    this.#now = top.time;
    this.#running = top.seq;
    try {
      callback();
    } finally {
      this.#running = Infinity;
    }
    return true;
  }

  #dropCancelled(): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0].callback === null) {
      this.#free.push(heap[0]);
      this.#pop();
    }
  }

  // Sift with a hole rather than swaps: no temporaries on the per-event path (STYLE lesson 11).
  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!less(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && less(heap[r], heap[l]) ? r : l;
      if (!less(heap[m], last)) break;
      heap[i] = heap[m];
      i = m;
    }
    heap[i] = last;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
