/**
 * Virtual time for the simulator: the Scheduler interface plus the test/driver
 * controls `advance`, `runUntil` and `runUntilIdle`. Events run in (time, insertion sequence) order,
 * so equal times keep the order in which they were scheduled and every run is reproducible.
 *
 * The clock is exact: whole picoseconds ("ticks"), counted in a double from an epoch. Every time the
 * simulator works out itself (etu, clock cycles, guard times, deadlines: the line, the UARTs, the
 * card's timers) is a whole number of ticks, added and compared without rounding. So that the
 * count never outgrows the 2^53 a double holds exactly, the epoch moves forward (`rebase`) before
 * the clock passes REBASE_ABOVE_TICKS (about 19 minutes): the heap's times move with it, and the
 * parts that keep ticks (the line and its ports) hear of it through `onRebase`. The clock is
 * therefore exact for any length of virtual time, years included.
 *
 * The Scheduler interface (the firmware's view, hal/interfaces/scheduler.ts) is in nanoseconds, in
 * a double, at its boundary: `now()` is the exact time rounded to the nearest double; a time handed
 * to `at()` is rounded to the nearest tick, and `at(now())` is always exactly now. Both are exact to
 * the tick while the clock is below 2^42 ns (73 minutes); beyond, a time the firmware works out from
 * `now()` carries the double's rounding: at most 1 ns for the first 104 days, 4 ns after a year.
 * The firmware times only what is coarser than that (DESIGN: everything finer than a millisecond
 * is the card UART's, here the simulated line's, in ticks).
 *
 * Simulator parts that work out some events analytically instead of scheduling them (the line's
 * bit edges) `reserve` their sequence numbers, so every other event keeps its place in that order,
 * and compare against `runningSeq` to tell whether such an event has already happened.
 * No Node APIs: this also runs inside the XS engine.
 */
import type { Scheduler, TimerHandle } from '../interfaces/scheduler.js';

/** Ticks per nanosecond: the clock counts picoseconds. */
export const TICKS_PER_NS = 1000;
/** The epoch moves before the clock passes this many ticks (2^50 ps ≈ 18.8 minutes). */
export const REBASE_ABOVE_TICKS = 2 ** 50;
/** The epoch moves by whole microseconds, so it stays a whole number of nanoseconds. */
const REBASE_STEP_TICKS = 1_000_000;
/** Beyond this many ticks ahead (2^52), a target is reached through the exact epoch (runUntil). */
const FAR_TICKS = 2 ** 52;

interface Entry {
  time: number;
  seq: number;
  callback: (() => void) | null;
  /** Where the live entry sits in the handle table. */
  slot: number;
}

export interface VirtualSchedulerOptions {
  /** Move the epoch before the clock passes this many ticks (default REBASE_ABOVE_TICKS; tests make it small). */
  rebaseAboveTicks?: number;
  /** Start the clock here, in ns (default 0): a run starting years into virtual time is exact too. */
  startNs?: number;
}

export class VirtualScheduler implements Scheduler {
  /** Ticks since the epoch. */
  #now = 0;
  /**
   * The epoch: exact, and in ns as the nearest double. `#epochNs` starts as a fraction (the
   * constructor sets it): a field that starts as a small integer changes its object's hidden class
   * when the first move of the epoch stores a large number in it, and every function the engine
   * optimized for the scheduler (all of the simulation) is thrown away and compiled again.
   */
  #epochTicks = 0n;
  #epochNs = 0.5;
  readonly #rebaseAbove: number;
  #seq = 0;
  #running = Infinity;
  /** Binary min-heap on (time, seq). Cancelled entries stay in the heap with a null callback. */
  #heap: Entry[] = [];
  /** Entries that ran or were dropped, for reuse: no allocation per event. */
  #free: Entry[] = [];
  /**
   * The live entries by handle (their sequence number), for `cancel`: open addressing with linear
   * probing, at most half full, grown by doubling. Nothing is allocated per event, however long a
   * timer stays pending while others come and go (a Map would take heap per entry in XS).
   */
  #table: (Entry | null)[] = new Array<Entry | null>(16).fill(null);
  #liveCount = 0;
  #rebaseListeners: ((deltaTicks: number) => void)[] = [];

  constructor(options: VirtualSchedulerOptions = {}) {
    this.#rebaseAbove = options.rebaseAboveTicks ?? REBASE_ABOVE_TICKS;
    const start = options.startNs ?? 0;
    if (!(start >= 0 && Number.isFinite(start))) throw new RangeError('startNs must be a finite time ≥ 0');
    const startTicks = BigInt(Math.round(start * TICKS_PER_NS));
    // The whole microseconds go into the epoch, the rest into the clock.
    const step = BigInt(REBASE_STEP_TICKS);
    this.#epochTicks = (startTicks / step) * step;
    this.#epochNs = Number(this.#epochTicks / 1000n);
    this.#now = Number(startTicks - this.#epochTicks);
  }

  /** Current time in ns, the nearest double to the exact time. */
  now(): number {
    return this.#epochNs + this.#now / TICKS_PER_NS;
  }

  /** Current time in ticks since the epoch: exact. */
  get ticks(): number {
    return this.#now;
  }

  /** The exact time in picoseconds since time 0 (for captures and traces that print it). */
  get exactPs(): bigint {
    return this.#epochTicks + BigInt(this.#now);
  }

  /** A time in ticks since the epoch as ns (the nearest double). */
  toNs(ticks: number): number {
    return this.#epochNs + ticks / TICKS_PER_NS;
  }

  /** A time in ns as ticks since the epoch: the nearest tick; `now()` maps back to exactly now. */
  toTicks(ns: number): number {
    const now = this.now();
    if (ns === now) return this.#now;
    // Relative to now, the difference is small and its conversion keeps every digit that matters.
    return this.#now + Math.round((ns - now) * TICKS_PER_NS);
  }

  /** Callbacks scheduled but not yet run nor cancelled. */
  get pending(): number {
    return this.#liveCount;
  }

  /** Time of the next pending event in ns, or undefined when idle. */
  get nextTime(): number | undefined {
    const next = this.nextTicks;
    return next === undefined ? undefined : this.toNs(next);
  }

  /** Time of the next pending event in ticks, or undefined when idle. */
  get nextTicks(): number | undefined {
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
    // toTicks written out: the firmware's every timer comes this way, and in XS a call costs more.
    const now = this.#epochNs + this.#now / TICKS_PER_NS;
    const ticks = timeNs === now ? this.#now : this.#now + Math.round((timeNs - now) * TICKS_PER_NS);
    return this.#schedule(ticks, ++this.#seq, callback);
  }

  /** `at()` in ticks since the epoch. */
  atTicks(ticks: number, callback: () => void): TimerHandle {
    return this.#schedule(ticks, ++this.#seq, callback);
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
   * Schedule `callback` (time in ticks) with a sequence number from `reserve()`: it runs where an
   * event scheduled at the time of the reservation would have run.
   */
  atReserved(ticks: number, seq: number, callback: () => void): TimerHandle {
    return this.#schedule(ticks, seq, callback);
  }

  /**
   * Hear of every move of the epoch (`deltaTicks` to subtract from every time kept in ticks).
   * Returns the function that stops it.
   */
  onRebase(listener: (deltaTicks: number) => void): () => void {
    this.#rebaseListeners = [...this.#rebaseListeners, listener];
    return () => {
      this.#rebaseListeners = this.#rebaseListeners.filter((l) => l !== listener);
    };
  }

  #schedule(ticks: number, seq: number, callback: () => void): TimerHandle {
    // A time in the past (or NaN) means "as soon as possible": never before now.
    const time = ticks > this.#now ? ticks : this.#now;
    let entry = this.#free.pop();
    if (entry === undefined) entry = { time, seq, callback, slot: 0 };
    else {
      entry.time = time;
      entry.seq = seq;
      entry.callback = callback;
    }
    // Into the handle table (written out here: this runs for every event).
    if (2 * (this.#liveCount + 1) > this.#table.length) this.#grow();
    const table = this.#table;
    const mask = table.length - 1;
    let slot = seq & mask;
    while (table[slot] !== null) slot = (slot + 1) & mask;
    table[slot] = entry;
    entry.slot = slot;
    this.#liveCount++;
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
    const index = this.#find(handle);
    if (index < 0) return;
    this.#table[index]!.callback = null;
    this.#remove(index);
    // Cancelled entries wait in the heap until they reach the top. Deadlines re-armed at every
    // character would pile up far in the future and deepen the heap: drop them when they dominate.
    const heap = this.#heap;
    if (heap.length > 8 && heap.length > 2 * this.#liveCount) this.#compact();
  }

  /** Index of the live entry with sequence number `seq`, or -1. */
  #find(seq: number): number {
    const table = this.#table;
    const mask = table.length - 1;
    for (let i = seq & mask; ; i = (i + 1) & mask) {
      const entry = table[i];
      if (entry === null) return -1;
      if (entry.seq === seq) return i;
    }
  }

  /** Empty slot `index` of the handle table. */
  #remove(index: number): void {
    this.#table[index] = null;
    this.#liveCount--;
    this.#closeUp(index);
  }

  /** Slot `index` was emptied: move later entries of its probe run back, so every entry stays findable. */
  #closeUp(index: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    for (let i = (index + 1) & mask; table[i] !== null; i = (i + 1) & mask) {
      const home = table[i]!.seq & mask;
      // The entry at i may move to the hole unless its home lies cyclically in (index, i].
      const stays = index <= i ? home > index && home <= i : home > index || home <= i;
      if (stays) continue;
      const moved = table[i]!;
      table[index] = moved;
      moved.slot = index;
      table[i] = null;
      index = i;
    }
  }

  #grow(): void {
    const old = this.#table;
    const table = new Array<Entry | null>(old.length * 2).fill(null);
    const mask = table.length - 1;
    for (let i = 0; i < old.length; i++) {
      const entry = old[i];
      if (entry === null) continue;
      let slot = entry.seq & mask;
      while (table[slot] !== null) slot = (slot + 1) & mask;
      table[slot] = entry;
      entry.slot = slot;
    }
    this.#table = table;
  }

  /** Run every event up to `now() + ns` inclusive, then set the clock there. */
  advance(ns: number): void {
    this.runUntilTicks(this.#now + (ns > 0 ? Math.round(ns * TICKS_PER_NS) : 0));
  }

  /** Run every event with time ≤ `timeNs`, then set the clock to `timeNs` (never backwards). */
  runUntil(timeNs: number): void {
    const ticks = this.toTicks(timeNs);
    if (!(ticks >= FAR_TICKS) || ticks === Infinity) {
      this.runUntilTicks(ticks);
      return;
    }
    // Far ahead (an idle clock paced at a large scale, a test leaping years): the tick count would
    // not hold the target exactly, so the clock lands there through the exact epoch.
    const target = BigInt(Math.round(timeNs)) * 1000n;
    this.#run(Number(target - this.#epochTicks), Infinity);
    const step = BigInt(REBASE_STEP_TICKS);
    const epoch = (target / step) * step;
    if (epoch <= this.#epochTicks) return;
    const delta = epoch - this.#epochTicks;
    this.#rebase(Number(delta), delta);
    this.#now = Number(target - epoch);
  }

  /** `runUntil()` in ticks since the epoch. */
  runUntilTicks(ticks: number): void {
    // A move of the epoch while the events ran shifts the target with it.
    const target = ticks - this.#run(ticks, Infinity);
    if (target > this.#now) this.#moveTo(target);
  }

  /**
   * Run events in order until none is left, or until the next one would be after the absolute time
   * `limitNs` (the clock then stays at the last event run), or `maxEvents` have run. Returns true
   * when no event is left.
   */
  runUntilIdle(limitNs = Infinity, maxEvents = Infinity): boolean {
    this.#run(limitNs === Infinity ? Infinity : this.toTicks(limitNs), maxEvents);
    return this.#liveCount === 0;
  }

  /** Set the clock to `ticks` (≥ now), moving the epoch first if the clock would pass the bound. */
  #moveTo(ticks: number): void {
    this.#now = ticks - this.#rebaseFor(ticks);
  }

  /** Before the clock moves to `ticks`: move the epoch if `ticks` passes the bound; the ticks it moved. */
  #rebaseFor(ticks: number): number {
    if (ticks < this.#rebaseAbove) return 0;
    const delta = Math.floor(ticks / REBASE_STEP_TICKS) * REBASE_STEP_TICKS;
    this.#rebase(delta);
    return delta;
  }

  /**
   * Move the epoch `delta` ticks forward: every time kept in ticks moves back by `delta` (`exact`:
   * the same as a bigint, when `delta` is beyond what a double holds exactly).
   */
  #rebase(delta: number, exact = BigInt(delta)): void {
    this.#epochTicks += exact;
    this.#epochNs = Number(this.#epochTicks / 1000n);
    this.#now -= delta;
    const heap = this.#heap;
    // Subtracting the same amount from every entry keeps the heap's order.
    for (let i = 0; i < heap.length; i++) heap[i].time -= delta;
    const listeners = this.#rebaseListeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](delta);
  }

  /**
   * Run events in (time, seq) order while the next one is due by `limit`, cancelled ones dropped.
   * Returns how far the epoch moved meanwhile (`limit` moved with it).
   */
  #run(limit: number, maxEvents: number): number {
    const heap = this.#heap;
    const free = this.#free;
    let shifted = 0;
    this.#running = Infinity;
    for (let ran = 0; ran < maxEvents;) {
      const top = heap[0];
      if (top === undefined) return shifted;
      const callback = top.callback;
      if (callback !== null && top.time > limit) return shifted;
      const last = heap.pop()!;
      if (heap.length > 0) this.#siftDown(0, last);
      if (callback === null) {
        free.push(top);
        continue;
      }
      // Out of the handle table; a probe run after it (rare: the table is at most half full) closes up.
      const table = this.#table;
      const slot = top.slot;
      table[slot] = null;
      this.#liveCount--;
      if (table[(slot + 1) & (table.length - 1)] !== null) this.#closeUp(slot);
      let time = top.time;
      if (time >= this.#rebaseAbove) {
        // The entry is out of the heap already: it moves with the epoch by hand, and so does the limit.
        const delta = this.#rebaseFor(time);
        time -= delta;
        limit -= delta;
        shifted += delta;
      }
      this.#now = time;
      this.#running = top.seq;
      top.callback = null;
      free.push(top);
      ran++;
      // Not in a finally (costly in XS): after a callback that threw, the next run resets it.
      callback();
      this.#running = Infinity;
    }
    return shifted;
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
