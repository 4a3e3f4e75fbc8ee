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
   * `now()` has run (and from the next run on after a callback that threw). An event (time, seq)
   * has happened iff time < now, or time = now and seq ≤ runningSeq.
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
    // Sift up with a hole, the (time, seq) order written out: this runs for every event, and in XS
    // a call costs more than the comparison.
    const heap = this.#heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (time > p.time || (time === p.time && seq > p.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
    return seq;
  }

  cancel(handle: TimerHandle): void {
    const entry = this.#live.get(handle);
    if (entry === undefined) return;
    entry.callback = null;
    this.#live.delete(handle);
    // Cancelled entries wait in the heap until they reach the top. Deadlines re-armed at every
    // character would pile up far in the future and deepen the heap: drop them when they dominate.
    const heap = this.#heap;
    if (heap.length > 8 && heap.length > 2 * this.#live.size) this.#compact();
  }

  /** Run every event up to `now() + ns` inclusive, then set the clock there. */
  advance(ns: number): void {
    this.runUntil(this.#now + (ns > 0 ? ns : 0));
  }

  /** Run every event with time ≤ `timeNs`, then set the clock to `timeNs` (never backwards). */
  runUntil(timeNs: number): void {
    this.#run(timeNs);
    if (timeNs > this.#now) this.#now = timeNs;
  }

  /**
   * Run events in order until none is left, or until the next one would be after the absolute time
   * `limitNs` (the clock then stays at the last event run), or `maxEvents` have run. Returns true
   * when no event is left.
   */
  runUntilIdle(limitNs = Infinity, maxEvents = Infinity): boolean {
    this.#run(limitNs, maxEvents);
    return this.#live.size === 0;
  }

  /** Run events in (time, seq) order while the next one is due by `limit`, cancelled ones dropped. */
  #run(limit: number, maxEvents = Infinity): void {
    const heap = this.#heap;
    const free = this.#free;
    this.#running = Infinity;
    for (let ran = 0; ran < maxEvents; ran++) {
      const top = heap[0];
      if (top === undefined) return;
      const callback = top.callback;
      if (callback !== null && top.time > limit) return;
      const last = heap.pop()!;
      if (heap.length > 0) this.#siftDown(0, last);
      if (callback === null) {
        free.push(top);
        ran--;
        continue;
      }
      this.#live.delete(top.seq);
      this.#now = top.time;
      this.#running = top.seq;
      top.callback = null;
      free.push(top);
      // Not in a finally (costly in XS): after a callback that threw, the next run resets it.
      callback();
      this.#running = Infinity;
    }
  }

  #dropCancelled(): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0].callback === null) {
      this.#free.push(heap[0]);
      this.#pop();
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length > 0) this.#siftDown(0, last);
  }

  /** Keep only live entries and restore the heap order ((time, seq) is total: the run order stays). */
  #compact(): void {
    const heap = this.#heap;
    let n = 0;
    for (let i = 0; i < heap.length; i++) {
      const entry = heap[i];
      if (entry.callback === null) this.#free.push(entry);
      else heap[n++] = entry;
    }
    heap.length = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.#siftDown(i, heap[i]);
  }

  /** Put `last` in the hole at `start`, moving smaller children up. */
  #siftDown(start: number, last: Entry): void {
    const heap = this.#heap;
    const n = heap.length;
    const time = last.time;
    const seq = last.seq;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = heap[l];
      let mi = l;
      if (l + 1 < n) {
        const r = heap[l + 1];
        if (r.time < m.time || (r.time === m.time && r.seq < m.seq)) {
          m = r;
          mi = l + 1;
        }
      }
      if (m.time > time || (m.time === time && m.seq > seq)) break;
      heap[i] = m;
      i = mi;
    }
    heap[i] = last;
  }
}
