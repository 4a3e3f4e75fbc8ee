/**
 * The simulated contact side of the socket: VCC, CLK, RST and the open-drain I/O line (ISO 7816-3
 * §5, §7.1: I/O is pulled high; whoever drives it low wins). It can record every level change with
 * its virtual time, and every character as an event, for tests, traces and VCD files.
 *
 * Time is the scheduler's exact clock: whole picoseconds ("ticks", hal/sim/scheduler.ts). What the
 * line records for others (`record`, `events`) is in nanoseconds.
 *
 * Cost: a character's bit edges are not scheduler events. A sender hands the line the whole frame
 * (`plan`) at its leading edge; the line applies the planned edges lazily, in the (time, sequence)
 * order their events would have had (their sequence numbers are reserved), whenever anything looks
 * at the line (`io`, `levelAt`, `record`, another drive). Only a falling edge that a listener
 * waiting for a start bit must hear at its exact time becomes an event. A sender in a burst
 * (port.ts) does not even drive its leading edges: it hands the line each character's frame after
 * the fact (`burstFrame`), and the line works out the levels from the frames only when someone looks.
 * The result, record and callbacks included, is the same as driving every edge from its own event.
 * No Node APIs.
 */
import type { Convention } from '../interfaces/card-uart.js';
import { TICKS_PER_NS, type VirtualScheduler } from './scheduler.js';

export type LineSignal = 'vcc' | 'clk' | 'rst' | 'io';

/**
 * One level change. `value`: vcc in volts (0 = off), clk in Hz (0 = stopped, the level it stopped at
 * is in `clkLevel`), rst and io 0 or 1.
 */
export interface LineChange {
  readonly timeNs: number;
  readonly signal: LineSignal;
  readonly value: number;
  /** For `clk` changes to 0 Hz: the level CLK stopped at. */
  readonly clkLevel?: 0 | 1;
}

export type LineSide = 'reader' | 'card';

/** One character put on I/O (one transmission: a repetition is a new event). */
export interface LineCharacter {
  /** Leading edge of the start bit. */
  readonly timeNs: number;
  readonly from: LineSide;
  /** The byte as the sender meant it (logical value, before the convention's coding). */
  readonly byte: number;
  /** False when the sender put wrong parity on purpose (fault injection). */
  readonly parityOk: boolean;
  /** True when this transmission repeats a character after an error signal (T=0, §7.3). */
  readonly repeated: boolean;
  readonly convention: Convention;
  /** The sender's etu in ns. */
  readonly etuNs: number;
  /** Set when the sender saw an error signal for this transmission. */
  errorSignalled: boolean;
}

/** Something that drives I/O and listens to it (a reader UART or the card's side). */
export interface LineListener {
  /**
   * True when a falling edge now would start a reception. The line delivers falling edges to
   * `ioChanged` at their exact time while any listener says so; otherwise planned edges (see
   * `SimLine.plan`) reach no listener, as no listener would act on them.
   */
  readonly awaitingStart: boolean;
  /** The I/O level changed (already recorded). Called synchronously, inside the simulator core. */
  ioChanged(level: 0 | 1): void;
  /** The epoch moved (scheduler `onRebase`): subtract `deltaTicks` from every time kept in ticks. */
  rebase?(deltaTicks: number): void;
}

/** A sender that hands the line its frames after the fact (port.ts bursts): the line asks it to catch up before looking. */
export interface BurstSource {
  /** Hand the line every frame whose leading edge has happened by now. */
  catchUp(): void;
  /** Someone drives or plans I/O during the burst: it becomes single characters first. */
  cut(): void;
}

/**
 * How much I/O history receivers need to sample a character after its end: the last HISTORY to
 * 2·HISTORY edges are kept (levelAt before them answers 1).
 */
const HISTORY = 256;
/** Frames of a burst kept for the history before they are applied: enough for HISTORY edges. */
const BURST_FRAMES = 64;
/** A burst frame that started more than this many etu ago is over for everyone (see #applyBurstFrames). */
const STALE_ETU = 64;

/**
 * One driver of I/O: its current level and the frame it has planned. Edge i of the plan is at
 * `start + ks[i]·etu`, has sequence number `seq0 + i`, and releases I/O for even i (the first one
 * ends the start bit), pulls it low for odd i.
 */
interface Driver {
  low: boolean;
  start: number;
  etu: number;
  /** The planned frame's levels (bit k: bit time k). */
  frame: number;
  ks: readonly number[];
  seq0: number;
  count: number;
  /** Index of the first planned edge not applied yet (`count` when none is left). */
  next: number;
}

/**
 * For bits 1…9 of a frame (index: frame >> 1), the bit times k = 1…10 where the level changes,
 * starting low after the start bit and ending released at 10 etu. Built once, frozen.
 */
const TRANSITIONS: readonly (readonly number[])[] = Object.freeze(Array.from({ length: 512 }, (_, bits) => {
  const ks: number[] = [];
  let level = 0;
  for (let k = 1; k <= 10; k++) {
    const bit = k < 10 ? (bits >> (k - 1)) & 1 : 1;
    if (bit !== level) {
      level = bit;
      ks.push(k);
    }
  }
  return Object.freeze(ks);
}));

export class SimLine {
  readonly scheduler: VirtualScheduler;
  /** Every character put on I/O (test and trace backdoor; empty unless `recording`). */
  readonly events: LineCharacter[] = [];

  readonly #record: LineChange[] = [];
  /**
   * I/O changes not yet in #record, in order, in ns (the record's change objects are only made when
   * someone reads it); a VCC, CLK or RST change moves them there first, to keep the order.
   */
  #ioTimes = new Float64Array(1024);
  #ioLevels = new Uint8Array(1024);
  #ioCount = 0;
  #io: 0 | 1 = 1;
  /** Drivers pulling I/O low now. */
  #lows = 0;
  #drivers = new Map<object, Driver>();
  /** Drivers with planned edges left (a few at most: one frame per side, rarely overlapping). */
  #planned: Driver[] = [];
  /** Replaced, never changed in place: a dispatch in progress keeps going over the old array. */
  #listeners: readonly LineListener[] = [];
  #historyTime = new Float64Array(2 * HISTORY + 1);
  #historyLevel = new Uint8Array(2 * HISTORY + 1);
  #historyCount = 0;
  /**
   * The driver whose frame is, whole and alone, the end of the history: its leading edge and then
   * exactly its planned edges. A receiver sampling that frame at its rate reads the frame itself.
   */
  #clean: Driver | undefined;
  /** (time, seq) of the last planned edge that changed I/O. */
  #changeTime = NaN;
  #changeSeq = NaN;
  /** The pending event delivering a planned falling edge to listeners, and that edge's (time, seq). */
  #wake: number | undefined;
  #wakeTime = NaN;
  #wakeSeq = NaN;
  /** #nextFall's answer, and its scratch: per planned driver, the next edge and whether it pulls low. */
  #foundTime = NaN;
  #foundSeq = NaN;
  #cursor: number[] = [];
  #low: number[] = [];
  /** The leading edge of each side's last character (ticks): two fields, looked at for every character. */
  #lastReaderEdge = -Infinity;
  #lastCardEdge = -Infinity;
  #vcc = 0;
  #clk = 0;
  #rst: 0 | 1 = 0;
  /**
   * The sender in a burst, its driver, and the frames it has handed over but the line has not
   * applied yet (a ring: start ticks, etu ticks, frame).
   */
  #burst: BurstSource | null = null;
  #burstDriver: Driver | undefined;
  /**
   * Frames of bursts not applied yet, oldest first: they stay here after their burst (whole frames,
   * released) until someone looks at the line, which is rarely: most characters never get their
   * edges worked out.
   */
  #burstDrivers: (Driver | undefined)[] = new Array<Driver | undefined>(BURST_FRAMES).fill(undefined);
  #burstStart = new Float64Array(BURST_FRAMES);
  #burstSeq = new Float64Array(BURST_FRAMES);
  #burstEtu = new Float64Array(BURST_FRAMES);
  #burstFrame = new Uint16Array(BURST_FRAMES);
  #burstHead = 0;
  #burstCount = 0;

  /**
   * Whether I/O changes go into `record` (VCC, CLK and RST changes do unless `recording` is off).
   * Off for long runs nobody traces the edges of: the record would otherwise grow with every edge.
   */
  readonly recordIo: boolean;
  /**
   * Whether anything is kept at all: `record` and `events`. Off for a long-running server such as
   * `serve`, whose memory must not grow with traffic; the line works the same either way.
   */
  readonly recording: boolean;
  /**
   * Whether senders may go into bursts (port.ts; default true). Off, every character takes the
   * single-character path: the reference the tests hold bursts to.
   */
  readonly bursts: boolean;

  constructor(scheduler: VirtualScheduler, options: { recordIo?: boolean; recording?: boolean; bursts?: boolean } = {}) {
    this.scheduler = scheduler;
    this.bursts = options.bursts ?? true;
    this.recording = options.recording ?? true;
    this.recordIo = this.recording && (options.recordIo ?? true);
    scheduler.onRebase((delta) => this.#rebase(delta));
  }

  /** Every level change (test and trace backdoor); planned edges appear once their time has come. */
  get record(): LineChange[] {
    this.#settle();
    this.#flushIo();
    return this.#record;
  }

  /** Forget the recorded changes and characters (the line's state stays). */
  clear(): void {
    this.#settle();
    this.#ioCount = 0;
    this.#record.length = 0;
    this.events.length = 0;
  }

  get io(): 0 | 1 {
    this.#settle();
    return this.#io;
  }
  get vcc(): number {
    return this.#vcc;
  }
  get clockHz(): number {
    return this.#clk;
  }
  get rst(): 0 | 1 {
    return this.#rst;
  }

  setVcc(volts: number): void {
    if (volts === this.#vcc) return;
    this.#vcc = volts;
    this.#push({ timeNs: this.scheduler.now(), signal: 'vcc', value: volts });
  }

  setClock(hz: number, stopLevel: 0 | 1 = 0): void {
    if (hz === this.#clk) return;
    this.#clk = hz;
    const change: LineChange =
      hz === 0
        ? { timeNs: this.scheduler.now(), signal: 'clk', value: 0, clkLevel: stopLevel }
        : { timeNs: this.scheduler.now(), signal: 'clk', value: hz };
    this.#push(change);
  }

  setRst(level: 0 | 1): void {
    if (level === this.#rst) return;
    this.#rst = level;
    this.#push({ timeNs: this.scheduler.now(), signal: 'rst', value: level });
  }

  /** The listeners, in the order they started listening. */
  get listeners(): readonly LineListener[] {
    return this.#listeners;
  }

  listen(listener: LineListener): void {
    if (!this.#listeners.includes(listener)) this.#listeners = [...this.#listeners, listener];
    this.watch();
  }

  unlisten(listener: LineListener): void {
    this.#listeners = this.#listeners.filter((l) => l !== listener);
    this.drive(listener, 1);
  }

  /** `driver` pulls I/O low (0) or releases it (1) now. Open drain: low wins. */
  drive(driver: object, level: 0 | 1): void {
    this.#burst?.cut();
    this.#settle();
    const d = this.#driver(driver);
    const low = level === 0;
    if (low !== d.low) {
      d.low = low;
      this.#lows += low ? 1 : -1;
      const io: 0 | 1 = this.#lows > 0 ? 0 : 1;
      if (io !== this.#io) {
        this.#change(this.scheduler.ticks, io);
        for (const listener of this.#listeners) listener.ioChanged(io);
      }
    }
    this.watch();
  }

  /**
   * `driver` will set I/O to the levels of bits 1…9 of `frame` (bit k = level k etu after
   * `startNs`), then release it at 10 etu: the rest of a character whose leading edge it has just
   * driven. Each level change takes the sequence number its own scheduler event would have had.
   * Times in ns, rounded to the tick; the ports (port.ts) use `planTicks`.
   */
  plan(driver: object, startNs: number, etuNs: number, frame: number): void {
    this.planTicks(driver, this.scheduler.toTicks(startNs), Math.round(etuNs * TICKS_PER_NS), frame);
  }

  /** `plan` in ticks. */
  planTicks(driver: object, start: number, etu: number, frame: number): void {
    this.#burst?.cut();
    this.#settle();
    this.#plan(this.#driver(driver), start, etu, frame, this.scheduler.reserve(TRANSITIONS[(frame >> 1) & 0x1ff].length));
    this.watch();
  }

  #plan(d: Driver, start: number, etu: number, frame: number, seq0: number): void {
    const ks = TRANSITIONS[(frame >> 1) & 0x1ff];
    if (d.next >= d.count) this.#planned.push(d);
    const last = this.#historyCount - 1;
    const alone = d.low && this.#lows === 1 && this.#planned.length === 1;
    this.#clean = alone && last >= 0 && this.#historyTime[last] === start && this.#historyLevel[last] === 0 ? d : undefined;
    d.start = start;
    d.etu = etu;
    d.frame = frame;
    d.ks = ks;
    d.seq0 = seq0;
    d.count = ks.length;
    d.next = 0;
  }

  /** Nothing drives I/O, nothing is planned or pending on it: a burst may start. */
  quiet(): boolean {
    // Frames of earlier bursts are whole and released: they do not count, and need not be applied.
    if (this.#planned.length > 0) this.#settle();
    return this.#lows === 0 && this.#planned.length === 0 && this.#burst === null && this.#wake === undefined;
  }

  /**
   * A sender in a burst (port.ts): nothing else drives I/O, and `source` hands over, in order, the
   * frames whose leading edges have happened (`burstFrame`) whenever the line asks (`catchUp`).
   */
  beginBurst(source: BurstSource, driver: object): void {
    this.#burst = source;
    this.#burstDriver = this.#driver(driver);
  }

  /**
   * The frame of a burst character whose leading edge was at `start` (ticks, ≤ now); its edges take
   * sequence numbers reserved now, as when it was planned (`plan`).
   */
  burstFrame(start: number, etu: number, frame: number): void {
    // Small, as it runs for every character of a burst (the rare full ring is a method of its own).
    if (this.#burstCount === BURST_FRAMES) this.#burstFramesFull();
    const i = (this.#burstHead + this.#burstCount++) & (BURST_FRAMES - 1);
    this.#burstDrivers[i] = this.#burstDriver;
    this.#burstSeq[i] = this.scheduler.reserve(TRANSITIONS[(frame >> 1) & 0x1ff].length);
    this.#burstStart[i] = start;
    this.#burstEtu[i] = etu;
    this.#burstFrame[i] = frame;
  }

  /** The ring of burst frames is full: apply them (recorded), or drop the oldest. */
  #burstFramesFull(): void {
    if (this.recordIo) this.#applyBurstFrames();
    else {
      // Nobody has looked for a while and nothing is recorded: the oldest frame is older than
      // the history keeps, and its edges are never worked out.
      this.#burstHead = (this.#burstHead + 1) % BURST_FRAMES;
      this.#burstCount--;
    }
  }

  /**
   * The burst is over. Its frames wait, whole, for someone to look; but when the burst becomes
   * single characters again (`cut`), a character may be on the line: its frame becomes a plan now.
   */
  endBurst(cut: boolean): void {
    if (this.#burst === null) return;
    this.#burst = null;
    if (!cut) return;
    this.#applyBurstFrames();
    this.#settle();
  }

  /** Drop the edges `driver` planned that have not happened yet (its character is cut). */
  abandon(driver: object): void {
    this.#burst?.cut();
    this.#settle();
    const d = this.#drivers.get(driver);
    if (d === undefined || d.next >= d.count) return;
    d.next = d.count;
    if (this.#clean === d) this.#clean = undefined;
    this.#planned.splice(this.#planned.indexOf(d), 1);
    this.watch();
  }

  /**
   * A listener's `awaitingStart` may have changed: make sure the next planned falling edge reaches
   * the listeners at its own time if any of them waits for a start bit.
   */
  watch(): void {
    // Falling edges still to come are planned ones; with none planned and no wake pending, nothing to do.
    if (this.#planned.length === 0 && this.#wake === undefined) return;
    let wanted = false;
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length && !wanted; i++) wanted = listeners[i].awaitingStart;
    const found = wanted && this.#nextFall();
    if (found && this.#wake !== undefined && this.#foundTime === this.#wakeTime && this.#foundSeq === this.#wakeSeq) return;
    if (this.#wake !== undefined) this.scheduler.cancel(this.#wake);
    this.#wake = undefined;
    if (!found) return;
    this.#wakeTime = this.#foundTime;
    this.#wakeSeq = this.#foundSeq;
    const wakeUp = (): void => {
      this.#wake = undefined;
      this.#settle();
      if (this.#io === 0 && this.#changeTime === this.#wakeTime && this.#changeSeq === this.#wakeSeq) {
        for (const listener of this.#listeners) listener.ioChanged(0);
      }
      this.watch();
    };
    this.#wake = this.scheduler.atReserved(this.#wakeTime, this.#wakeSeq, wakeUp);
  }

  /** I/O level at `timeNs` (a past time within the recent history, or now). */
  levelAt(timeNs: number): 0 | 1 {
    this.#settle();
    const lo = this.#after(this.scheduler.toTicks(timeNs));
    return lo === 0 ? 1 : (this.#historyLevel[lo - 1] as 0 | 1);
  }

  /**
   * A receiver's samples of one frame: the levels at `startNs + (k + 0.5)·etuNs` for k = 0…9 (as
   * `levelAt` gives them), bit k of the result. Times in ns, rounded to the tick as `plan` rounds
   * them; the ports use `sampleFrameTicks`.
   */
  sampleFrame(startNs: number, etuNs: number): number {
    return this.sampleFrameTicks(this.scheduler.toTicks(startNs), Math.round(etuNs * TICKS_PER_NS));
  }

  /** `sampleFrame` in ticks. One pass over the history instead of ten searches. */
  sampleFrameTicks(start: number, etu: number): number {
    this.#settle();
    // The usual case: the frame of the last plan, sampled at its own rate from its own leading edge.
    // Its edges are at start + k·etu and the samples 0.5 etu later, so each sample reads bit k.
    const d = this.#clean;
    if (d !== undefined && d.next === d.count && d.start === start && d.etu === etu) return d.frame & 0x3ff;
    const times = this.#historyTime;
    const levels = this.#historyLevel;
    const n = this.#historyCount;
    // The frame is recent: scan back from the newest edge rather than search the whole history.
    const first = start + 0.5 * etu;
    let i = n;
    while (i > 0 && times[i - 1] > first) i--;
    let frame = 0;
    for (let k = 0; k < 10; k++) {
      const t = start + (k + 0.5) * etu;
      while (i < n && times[i] <= t) i++;
      frame |= (i === 0 ? 1 : levels[i - 1]) << k;
    }
    return frame;
  }

  /** Index of the first history entry later than `time` (ticks). */
  #after(time: number): number {
    const times = this.#historyTime;
    let lo = 0;
    let hi = this.#historyCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A character put on I/O now (its leading edge at `event.timeNs`): remembered for turnaround timing, recorded if asked. */
  character(event: LineCharacter): void {
    this.mark(event.from, this.scheduler.toTicks(event.timeNs), event);
  }

  /** `character` for the ports: the leading edge at `time` (ticks) by `side`, and its record when the line keeps one. */
  mark(side: LineSide, time: number, event: LineCharacter | null): void {
    if (side === 'reader') this.#lastReaderEdge = time;
    else this.#lastCardEdge = time;
    if (event !== null && this.recording) this.events.push(event);
  }

  /** Leading edge of the last character sent by `side`, in ticks (-Infinity if none). */
  lastEdge(side: LineSide): number {
    this.#burst?.catchUp();
    return side === 'reader' ? this.#lastReaderEdge : this.#lastCardEdge;
  }

  #driver(driver: object): Driver {
    let d = this.#drivers.get(driver);
    if (d === undefined) {
      // `start` a double from the start (see LinePort's times): the epoch's move must not change the map.
      d = { low: false, start: NaN, etu: 0, frame: 0, ks: TRANSITIONS[0], seq0: 0, count: 0, next: 0 };
      this.#drivers.set(driver, d);
    }
    return d;
  }

  /** The planned driver whose next edge comes first, in (time, seq) order, or undefined. */
  #first(): Driver | undefined {
    const planned = this.#planned;
    let best: Driver | undefined;
    for (let i = 0; i < planned.length; i++) {
      const d = planned[i];
      if (best === undefined || before(edgeTime(d, d.next), d.seq0 + d.next, edgeTime(best, best.next), best.seq0 + best.next)) best = d;
    }
    return best;
  }

  /**
   * Apply the burst frames handed over: each leading edge, and its frame's edges planned, as if
   * driven and planned at their times (the caller's #settle applies those due by now).
   */
  #applyBurstFrames(): void {
    // Nothing kept (serve): frames long over cannot matter any more (a receiver samples the frame
    // whose leading edge came within the last 10.25 etu, `levelAt` looks at most a few characters
    // back): they go unapplied, their edges never worked out (no per-bit work, as when the ring
    // overflows in burstFrame). The last two stay, and any that started within STALE_ETU.
    if (!this.recording) {
      const now = this.scheduler.ticks;
      while (this.#burstCount > 2 && this.#burstStart[this.#burstHead] + STALE_ETU * this.#burstEtu[this.#burstHead] < now) {
        this.#burstDrivers[this.#burstHead] = undefined;
        this.#burstHead = (this.#burstHead + 1) % BURST_FRAMES;
        this.#burstCount--;
      }
    }
    while (this.#burstCount > 0) {
      const i = this.#burstHead;
      this.#burstHead = (i + 1) % BURST_FRAMES;
      this.#burstCount--;
      const d = this.#burstDrivers[i]!;
      this.#burstDrivers[i] = undefined;
      const start = this.#burstStart[i];
      // Whatever was planned before (the previous frame) has happened by this leading edge.
      this.#settleTo(start, Infinity);
      d.low = true;
      this.#lows++;
      this.#change(start, 0);
      this.#plan(d, start, this.#burstEtu[i], this.#burstFrame[i], this.#burstSeq[i]);
    }
  }

  /** Apply, in order, every planned edge whose event would have run by now. */
  #settle(): void {
    this.#burst?.catchUp();
    if (this.#burstCount > 0) this.#applyBurstFrames();
    this.#settleTo(this.scheduler.ticks, this.scheduler.runningSeq);
  }

  /** Apply, in order, every planned edge (time, seq) up to (now, running). */
  #settleTo(now: number, running: number): void {
    const planned = this.#planned;
    if (planned.length === 0) return;
    if (planned.length === 1) {
      this.#settleOne(planned[0], now, running);
      return;
    }
    for (;;) {
      const d = this.#first();
      if (d === undefined) return;
      const time = edgeTime(d, d.next);
      const seq = d.seq0 + d.next;
      if (time > now || (time === now && seq > running)) return;
      const low = (d.next & 1) === 1;
      if (++d.next >= d.count) this.#planned.splice(this.#planned.indexOf(d), 1);
      if (low === d.low) continue;
      d.low = low;
      this.#lows += low ? 1 : -1;
      const io: 0 | 1 = this.#lows > 0 ? 0 : 1;
      if (io === this.#io) continue;
      this.#change(time, io);
      this.#changeTime = time;
      this.#changeSeq = seq;
    }
  }

  /**
   * #settle for one frame on the line, the usual case, kept lean (it runs for every character):
   * no other driver changes meanwhile, so each edge changes I/O unless another driver holds it low.
   */
  #settleOne(d: Driver, now: number, running: number): void {
    const start = d.start;
    const etu = d.etu;
    const ks = d.ks;
    const seq0 = d.seq0;
    const count = d.count;
    let k = d.next;
    if (k >= count) return;
    const othersLow = this.#lows - (d.low ? 1 : 0) > 0;
    if (othersLow || this.#clean !== d) this.#clean = undefined;
    let low = d.low;
    let ioCount = this.#ioCount;
    const recordIo = this.recordIo;
    if (recordIo && ioCount + count - k > this.#ioTimes.length) this.#growIo(count - k);
    const ioTimes = this.#ioTimes;
    const ioLevels = this.#ioLevels;
    const historyTime = this.#historyTime;
    const historyLevel = this.#historyLevel;
    let historyCount = this.#historyCount;
    let changed = -1;
    for (; k < count; k++) {
      const time = start + ks[k] * etu;
      if (time > now || (time === now && seq0 + k > running)) break;
      const edgeLow = (k & 1) === 1;
      if (edgeLow === low) continue;
      low = edgeLow;
      if (othersLow) continue;
      const io = low ? 0 : 1;
      changed = k;
      if (recordIo) {
        ioTimes[ioCount] = this.scheduler.toNs(time);
        ioLevels[ioCount++] = io;
      }
      historyTime[historyCount] = time;
      historyLevel[historyCount++] = io;
      if (historyCount > 2 * HISTORY) {
        historyTime.copyWithin(0, HISTORY, historyCount);
        historyLevel.copyWithin(0, HISTORY, historyCount);
        historyCount -= HISTORY;
      }
    }
    if (changed >= 0) {
      this.#io = historyLevel[historyCount - 1] as 0 | 1;
      this.#changeTime = historyTime[historyCount - 1];
      this.#changeSeq = seq0 + changed;
    }
    d.next = k;
    if (k >= count) {
      const at = this.#planned.indexOf(d);
      if (at >= 0) this.#planned.splice(at, 1);
    }
    this.#ioCount = ioCount;
    this.#historyCount = historyCount;
    if (low !== d.low) this.#lows += low ? 1 : -1;
    d.low = low;
  }

  /**
   * Find the first planned edge that will pull I/O from high to low, replaying the plans on copies
   * of the drivers' levels; its (time, seq) in #foundTime/#foundSeq. False when there is none.
   */
  #nextFall(): boolean {
    const planned = this.#planned;
    if (planned.length === 0) return false;
    this.#settle();
    const n = planned.length;
    const cursor = this.#cursor;
    const low = this.#low;
    for (let i = 0; i < n; i++) {
      cursor[i] = planned[i].next;
      low[i] = planned[i].low ? 1 : 0;
    }
    let lows = this.#lows;
    for (;;) {
      let best = -1;
      for (let i = 0; i < n; i++) {
        const d = planned[i];
        const c = cursor[i];
        if (c >= d.count) continue;
        if (best < 0 || before(edgeTime(d, c), d.seq0 + c, edgeTime(planned[best], cursor[best]), planned[best].seq0 + cursor[best])) best = i;
      }
      if (best < 0) return false;
      const d = planned[best];
      const c = cursor[best]++;
      const l = c & 1;
      if (l === low[best]) continue;
      low[best] = l;
      const wasHigh = lows === 0;
      lows += l ? 1 : -1;
      if (wasHigh && lows > 0) {
        this.#foundTime = edgeTime(d, c);
        this.#foundSeq = d.seq0 + c;
        return true;
      }
    }
  }

  #change(time: number, io: 0 | 1): void {
    this.#io = io;
    this.#clean = undefined;
    if (this.recordIo) {
      const n = this.#ioCount;
      if (n === this.#ioTimes.length) this.#growIo(1);
      this.#ioTimes[n] = this.scheduler.toNs(time);
      this.#ioLevels[n] = io;
      this.#ioCount = n + 1;
    }
    let n = this.#historyCount;
    this.#historyTime[n] = time;
    this.#historyLevel[n] = io;
    if (++n > 2 * HISTORY) {
      this.#historyTime.copyWithin(0, HISTORY, n);
      this.#historyLevel.copyWithin(0, HISTORY, n);
      n -= HISTORY;
    }
    this.#historyCount = n;
  }

  /** Make room for `more` unrecorded I/O changes. */
  #growIo(more: number): void {
    const size = 2 * (this.#ioTimes.length + more);
    const times = new Float64Array(size);
    const levels = new Uint8Array(size);
    times.set(this.#ioTimes.subarray(0, this.#ioCount));
    levels.set(this.#ioLevels.subarray(0, this.#ioCount));
    this.#ioTimes = times;
    this.#ioLevels = levels;
  }

  #flushIo(): void {
    const n = this.#ioCount;
    for (let i = 0; i < n; i++) this.#record.push({ timeNs: this.#ioTimes[i], signal: 'io', value: this.#ioLevels[i] });
    this.#ioCount = 0;
  }

  #push(change: LineChange): void {
    this.#settle();
    this.#flushIo();
    if (this.recording) this.#record.push(change);
  }

  /** The epoch moved: every time kept in ticks moves back by `delta`. */
  #rebase(delta: number): void {
    const n = this.#historyCount;
    for (let i = 0; i < n; i++) this.#historyTime[i] -= delta;
    for (let i = 0; i < this.#burstCount; i++) this.#burstStart[(this.#burstHead + i) % BURST_FRAMES] -= delta;
    for (const d of this.#drivers.values()) d.start -= delta;
    this.#changeTime -= delta;
    this.#wakeTime -= delta;
    this.#foundTime -= delta;
    this.#lastReaderEdge -= delta;
    this.#lastCardEdge -= delta;
    for (const listener of this.#listeners) listener.rebase?.(delta);
  }
}

/** Time of planned edge i, as its own scheduler event's time was: start + k·etu. */
function edgeTime(d: Driver, i: number): number {
  return d.start + d.ks[i] * d.etu;
}

function before(timeA: number, seqA: number, timeB: number, seqB: number): boolean {
  return timeA < timeB || (timeA === timeB && seqA < seqB);
}
