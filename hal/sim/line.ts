/**
 * The simulated contact side of the socket: VCC, CLK, RST and the open-drain I/O line (ISO 7816-3
 * §5, §7.1: I/O is pulled high; whoever drives it low wins). It records every level change with its
 * virtual time, and every character as an event, for tests, traces and VCD files.
 * No Node APIs.
 */
import type { Scheduler } from '../interfaces/scheduler.js';
import type { Convention } from '../interfaces/card-uart.js';

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
  /** The I/O level changed (already recorded). Called synchronously, inside the simulator core. */
  ioChanged(level: 0 | 1): void;
}

/** How much I/O history receivers need to sample a character after its end. */
const HISTORY = 256;

export class SimLine {
  readonly scheduler: Scheduler;
  /** Every level change (test and trace backdoor). */
  readonly record: LineChange[] = [];
  /** Every character put on I/O (test and trace backdoor). */
  readonly events: LineCharacter[] = [];

  #io: 0 | 1 = 1;
  #lowDrivers = new Set<object>();
  #listeners = new Set<LineListener>();
  #historyTime: number[] = [];
  #historyLevel: (0 | 1)[] = [];
  #lastEdge: Record<LineSide, number> = { reader: -Infinity, card: -Infinity };
  #vcc = 0;
  #clk = 0;
  #rst: 0 | 1 = 0;

  constructor(scheduler: Scheduler) {
    this.scheduler = scheduler;
  }

  /** Forget the recorded changes and characters (the line's state stays). */
  clear(): void {
    this.record.length = 0;
    this.events.length = 0;
  }

  get io(): 0 | 1 {
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

  listen(listener: LineListener): void {
    this.#listeners.add(listener);
  }

  unlisten(listener: LineListener): void {
    this.#listeners.delete(listener);
    this.drive(listener, 1);
  }

  /** `driver` pulls I/O low (0) or releases it (1). Open drain: low wins. */
  drive(driver: object, level: 0 | 1): void {
    if (level === 0) this.#lowDrivers.add(driver);
    else this.#lowDrivers.delete(driver);
    const io: 0 | 1 = this.#lowDrivers.size > 0 ? 0 : 1;
    if (io === this.#io) return;
    this.#io = io;
    const now = this.scheduler.now();
    this.#push({ timeNs: now, signal: 'io', value: io });
    this.#historyTime.push(now);
    this.#historyLevel.push(io);
    if (this.#historyTime.length > 2 * HISTORY) {
      this.#historyTime.splice(0, HISTORY);
      this.#historyLevel.splice(0, HISTORY);
    }
    for (const listener of [...this.#listeners]) listener.ioChanged(io);
  }

  /** I/O level at `timeNs` (a past time within the recent history, or now). */
  levelAt(timeNs: number): 0 | 1 {
    const times = this.#historyTime;
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= timeNs) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 1 : this.#historyLevel[lo - 1];
  }

  /** A character's leading edge: recorded, and remembered for turnaround timing. */
  character(event: LineCharacter): void {
    this.events.push(event);
    this.#lastEdge[event.from] = event.timeNs;
  }

  /** Leading edge of the last character sent by `side` (-Infinity if none). */
  lastEdge(side: LineSide): number {
    return this.#lastEdge[side];
  }

  #push(change: LineChange): void {
    this.record.push(change);
  }
}
