/**
 * One side's character engine on the simulated I/O line (ISO 7816-3 §7): it sends characters bit by
 * bit (start bit, 8 data bits, even parity, guard time) and receives them by sampling the line in the
 * middle of each of its own bit times, so a sender and a receiver that disagree on the rate or the
 * convention corrupt characters the way real hardware does. In T=0 mode it also does the error
 * signal and character repetition (§7.3). Shared by the reader's UART and the card's CardIo.
 *
 * A character costs a few scheduler events, not one per bit: the leading edge, the sender's end
 * (10 etu, or its error-signal sample at 11 etu in T=0) and the receiver's decision (10.25 etu).
 * The frame's other edges are planned on the line at the leading edge (`SimLine.plan`), and the
 * receiver samples them from the line's history when it decides.
 */
import type { Convention } from '../interfaces/card-uart.js';
import type { LineListener, LineSide, SimLine, LineCharacter } from './line.js';

/** §7.3: the receiver pulls I/O low from 10.5 etu for 1 to 2 etu; 1.5 etu sits in the middle. */
const ERROR_SIGNAL_START = 10.5;
const ERROR_SIGNAL_END = 12;
/** §7.3: the sender samples I/O at 11 etu to see the error signal. */
const ERROR_SAMPLE = 11;
/** §7.3: the repetition starts at least 2 etu after the error signal was detected (11 + 2). */
const REPEAT_AT = 13;
/** The receiver checks the stop condition (line released) a quarter etu into the guard time. */
const STOP_SAMPLE = 10.25;

export interface PortHooks {
  /** A character arrived (decoded in the receiver's convention). */
  received(byte: number, parityOk: boolean): void;
  /** A start bit that was not one, or a missing stop condition. */
  framing(): void;
  /** The leading edge of an incoming start bit was seen. */
  leadingEdge(timeNs: number): void;
  /** A character this side sent is starting on the line; `last` when nothing else is queued. */
  sending(timeNs: number, last: boolean): void;
  /** A character this side sent was rejected by more error signals than `repetitions` allows. */
  sendFailed(byte: number): void;
  /** A queued character has left the queue for good (sent, or given up). */
  sent(): void;
}

/** Send parameters captured when the character is queued (a rate change applies to later ones). */
interface Outgoing {
  byte: number;
  etuNs: number;
  convention: Convention;
  /** Transmissions still to send with wrong parity. */
  badParity: number;
  /** Earliest start, from `delayEtu` (NaN: counted from the previous character's leading edge). */
  delayEtu: number;
  queuedAt: number;
}

/** The send queue: a ring of Outgoing records reused in place, so sending allocates nothing once it has grown. */
class OutgoingQueue {
  #slots: Outgoing[] = [];
  #head = 0;
  length = 0;

  get first(): Outgoing {
    return this.#slots[this.#head];
  }

  /** Append a record (the caller fills it in). */
  push(): Outgoing {
    const slots = this.#slots;
    if (this.length === slots.length) {
      const grown: Outgoing[] = [];
      for (let i = 0; i < this.length; i++) grown.push(slots[(this.#head + i) % slots.length]);
      for (let i = this.length; i < 2 * this.length + 4; i++) {
        grown.push({ byte: 0, etuNs: 0, convention: 'direct', badParity: 0, delayEtu: 0, queuedAt: NaN });
      }
      this.#slots = grown;
      this.#head = 0;
    }
    return this.#slots[(this.#head + this.length++) % this.#slots.length];
  }

  shift(): void {
    this.#head = (this.#head + 1) % this.#slots.length;
    this.length--;
  }

  /** Keep the first `n` records. */
  truncate(n: number): void {
    if (n < this.length) this.length = n;
  }
}

export interface SendParameters {
  etuNs: number;
  convention: Convention;
  delayEtu?: number;
  badParity?: number;
}

export class LinePort implements LineListener {
  readonly side: LineSide;
  readonly line: SimLine;
  /** Receive rate and convention (the sender's are captured per character). */
  etuNs: number;
  convention: Convention | 'detect';
  /** 0: T=0 error signal and repetition (when `repetitions` > 0); 1: none. */
  protocol: 0 | 1 = 0;
  repetitions: number;
  /** Minimum etu between the leading edges of two characters this side sends. */
  guardEtu = 12;
  /** Minimum etu between the other side's last leading edge and this side's next one. */
  turnaroundEtu = 16;
  #listening = true;

  #hooks: PortHooks;
  #queue = new OutgoingQueue();
  #txBusy = false;
  #rxBusy = false;
  #errorBusy = false;
  #rxStart = 0;
  #rxEtu = 0;
  #lastOwnEdge = -Infinity;
  #consecutiveErrors = 0;
  /** Error signals seen for the character being sent. */
  #attempts = 0;
  /** The pending start of the next character (it is not on the line yet). */
  #startTimer: number | undefined;
  /** The character on the line: its end, error-signal sample or repetition, whichever is next. */
  #txTimer: number | undefined;
  #txChar: Outgoing | undefined;
  #txEvent: LineCharacter | undefined;
  #txStart = 0;
  /** The decision on the character being received. */
  #rxTimer: number | undefined;
  /** This side's error signal (§7.3): pull I/O low, then release it. */
  #signalTimer: number | undefined;
  #releaseTimer: number | undefined;
  #closed = false;
  // Timer callbacks made once: nothing is allocated per character (STYLE lesson 11).
  readonly #onStart = (): void => {
    this.#startTimer = undefined;
    this.#transmit(this.#queue.first, false);
  };
  readonly #onEnd = (): void => {
    this.#txTimer = undefined;
    this.#done();
  };
  readonly #onErrorSample = (): void => {
    this.#txTimer = undefined;
    this.#checkErrorSignal();
  };
  readonly #onRepeat = (): void => {
    this.#txTimer = undefined;
    this.#transmit(this.#txChar!, true);
  };
  readonly #onEvaluate = (): void => {
    this.#rxTimer = undefined;
    this.#evaluate();
  };
  readonly #onSignal = (): void => {
    this.#signalTimer = undefined;
    this.line.drive(this, 0);
  };
  readonly #onRelease = (): void => {
    this.#releaseTimer = undefined;
    this.line.drive(this, 1);
    this.#errorBusy = false;
    this.line.watch();
  };

  constructor(line: SimLine, side: LineSide, hooks: PortHooks, etuNs: number, convention: Convention | 'detect', repetitions: number) {
    this.line = line;
    this.side = side;
    this.#hooks = hooks;
    this.etuNs = etuNs;
    this.convention = convention;
    this.repetitions = repetitions;
    line.listen(this);
  }

  /** Whether incoming characters are sampled at all (a card without power or in reset is deaf). */
  get listening(): boolean {
    return this.#listening;
  }
  set listening(on: boolean) {
    this.#listening = on;
    this.line.watch();
  }

  get awaitingStart(): boolean {
    return this.#listening && !this.#txBusy && !this.#rxBusy && !this.#errorBusy && !this.#closed;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** True while a character of this side is on the line or waits in the queue. */
  get busy(): boolean {
    return this.#txBusy || this.#queue.length > 0;
  }

  send(byte: number, p: SendParameters): void {
    if (this.#closed) return;
    const idle = !this.#txBusy && this.#queue.length === 0;
    const c = this.#queue.push();
    c.byte = byte & 0xff;
    c.etuNs = p.etuNs;
    c.convention = p.convention;
    c.badParity = p.badParity ?? 0;
    c.delayEtu = p.delayEtu ?? 0;
    c.queuedAt = idle ? this.line.scheduler.now() : NaN;
    this.#pump();
  }

  /** Drop characters not yet started (the one on the line, if any, finishes). */
  dropQueue(): void {
    if (this.#startTimer !== undefined) {
      this.line.scheduler.cancel(this.#startTimer);
      this.#startTimer = undefined;
      this.#txBusy = false;
    }
    this.#queue.truncate(this.#txBusy ? 1 : 0);
    this.line.watch();
  }

  /** Stop at once: abandon the character on the line, release I/O, forget timers and the queue. */
  reset(): void {
    const scheduler = this.line.scheduler;
    for (const t of [this.#startTimer, this.#txTimer, this.#rxTimer, this.#signalTimer, this.#releaseTimer]) {
      if (t !== undefined) scheduler.cancel(t);
    }
    this.#startTimer = this.#txTimer = this.#rxTimer = this.#signalTimer = this.#releaseTimer = undefined;
    this.#txChar = this.#txEvent = undefined;
    this.#queue.truncate(0);
    this.#txBusy = this.#rxBusy = this.#errorBusy = false;
    this.#consecutiveErrors = 0;
    this.#attempts = 0;
    this.line.abandon(this);
    this.line.drive(this, 1);
  }

  close(): void {
    if (this.#closed) return;
    this.reset();
    this.#closed = true;
    this.line.unlisten(this);
  }

  ioChanged(level: 0 | 1): void {
    if (level !== 0 || !this.#listening || this.#txBusy || this.#rxBusy || this.#errorBusy) return;
    const now = this.line.scheduler.now();
    this.#rxBusy = true;
    this.#rxStart = now;
    this.#rxEtu = this.etuNs;
    this.#hooks.leadingEdge(now);
    this.#rxTimer = this.line.scheduler.at(now + STOP_SAMPLE * this.#rxEtu, this.#onEvaluate);
  }

  #pump(): void {
    if (this.#txBusy || this.#queue.length === 0 || this.#closed) return;
    const next = this.#queue.first;
    const etu = next.etuNs;
    const now = this.line.scheduler.now();
    const other: LineSide = this.side === 'reader' ? 'card' : 'reader';
    let start = Math.max(now, this.#lastOwnEdge + this.guardEtu * etu, this.line.lastEdge(other) + this.turnaroundEtu * etu);
    const ref = Number.isNaN(next.queuedAt) ? this.#lastOwnEdge : next.queuedAt;
    start = Math.max(start, ref + next.delayEtu * etu);
    this.#txBusy = true;
    // The character stays first in the queue until it is done: #onStart sends #queue.first.
    this.#startTimer = this.line.scheduler.at(start, this.#onStart);
  }

  #transmit(c: Outgoing, repeated: boolean): void {
    const now = this.line.scheduler.now();
    const bad = c.badParity > 0;
    if (bad) c.badParity--;
    const event: LineCharacter = {
      timeNs: now, from: this.side, byte: c.byte, parityOk: !bad, repeated,
      convention: c.convention, etuNs: c.etuNs, errorSignalled: false,
    };
    this.line.character(event);
    this.#lastOwnEdge = now;
    this.#hooks.sending(now, this.#queue.length === 1);
    this.line.drive(this, 0);
    this.line.plan(this, now, c.etuNs, frame(c.byte, c.convention, bad));
    this.#txChar = c;
    this.#txEvent = event;
    this.#txStart = now;
    const scheduler = this.line.scheduler;
    if (this.protocol === 0 && this.repetitions > 0) {
      this.#txTimer = scheduler.at(now + ERROR_SAMPLE * c.etuNs, this.#onErrorSample);
    } else {
      this.#txTimer = scheduler.at(now + 10 * c.etuNs, this.#onEnd);
    }
  }

  #checkErrorSignal(): void {
    if (this.line.io === 0) {
      const c = this.#txChar!;
      this.#txEvent!.errorSignalled = true;
      const attempts = this.#attempts + 1;
      if (attempts <= this.repetitions) {
        this.#attempts = attempts;
        this.#txTimer = this.line.scheduler.at(this.#txStart + REPEAT_AT * c.etuNs, this.#onRepeat);
        return;
      }
      this.#hooks.sendFailed(c.byte);
    }
    this.#done();
  }

  #done(): void {
    this.#txChar = this.#txEvent = undefined;
    this.#attempts = 0;
    this.#txBusy = false;
    this.#queue.shift();
    this.#hooks.sent();
    this.#pump();
    this.line.watch();
  }

  #evaluate(): void {
    this.#rxBusy = false;
    const etu = this.#rxEtu;
    const start = this.#rxStart;
    const line = this.line;
    const levels = line.sampleFrame(start, etu);
    if ((levels & 1) !== 0 || line.io !== 1) {
      this.#hooks.framing();
      line.watch();
      return;
    }
    const raw = (levels >> 1) & 0xff;
    const parityLevel = (levels >> 9) & 1;
    let convention = this.convention;
    if (convention === 'detect') {
      // §8.1 TS: inverse convention's TS read in direct convention is 0x03 with a parity error.
      convention = raw === 0x03 && parityLevel === 1 ? 'inverse' : 'direct';
      this.convention = convention;
    }
    const byte = convention === 'direct' ? raw : inverse(raw);
    // Even parity (§7.1): the parity bit's level is the one the byte's own frame has.
    const parityOk = parityLevel === (((convention === 'direct' ? DIRECT_FRAMES : INVERSE_FRAMES)[byte] >> 9) & 1);
    if (!parityOk && this.protocol === 0 && this.#consecutiveErrors < this.repetitions) {
      this.#consecutiveErrors++;
      this.#errorBusy = true;
      this.#signalTimer = line.scheduler.at(start + ERROR_SIGNAL_START * etu, this.#onSignal);
      this.#releaseTimer = line.scheduler.at(start + ERROR_SIGNAL_END * etu, this.#onRelease);
      return;
    }
    this.#consecutiveErrors = 0;
    this.#hooks.received(byte, parityOk);
    line.watch();
  }
}

/** Levels of bits 0..9 (start, data, parity) for a byte in a convention (§7.1, §7.2). */
export function encode(byte: number, convention: Convention, badParity: boolean): (0 | 1)[] {
  const f = frame(byte, convention, badParity);
  const levels: (0 | 1)[] = [];
  for (let k = 0; k < 10; k++) levels.push(((f >> k) & 1) as 0 | 1);
  return levels;
}

/** The same levels packed: bit k of the result is the level of bit time k. */
export function frame(byte: number, convention: Convention, badParity: boolean): number {
  const f = (convention === 'direct' ? DIRECT_FRAMES : INVERSE_FRAMES)[byte & 0xff];
  // The parity bit is bit 9; wrong parity is its other level.
  return badParity ? f ^ 0x200 : f;
}

function buildFrame(byte: number, convention: Convention): number {
  let levels = 0;
  let ones = 0;
  for (let i = 0; i < 8; i++) {
    // Direct: LSB first, logic one = high. Inverse: MSB first, logic one = low.
    const bit = convention === 'direct' ? (byte >> i) & 1 : (byte >> (7 - i)) & 1;
    ones += bit;
    levels |= (convention === 'direct' ? bit : 1 - bit) << (i + 1);
  }
  const parity = ones & 1;
  return levels | ((convention === 'direct' ? parity : 1 - parity) << 9);
}

/** Frames of all 256 bytes in each convention, built once (a frozen table: XS keeps it in flash). */
const DIRECT_FRAMES: readonly number[] = Object.freeze(Array.from({ length: 256 }, (_, b) => buildFrame(b, 'direct')));
const INVERSE_FRAMES: readonly number[] = Object.freeze(Array.from({ length: 256 }, (_, b) => buildFrame(b, 'inverse')));

/** The byte and parity check from raw data levels (bit i = level of data bit time i). */
export function decode(raw: number, parityLevel: number, convention: Convention): { byte: number; parityOk: boolean } {
  const byte = convention === 'direct' ? raw : inverse(raw);
  return { byte, parityOk: parityLevel === ((frame(byte, convention, false) >> 9) & 1) };
}

/** The byte that inverse-convention data levels carry (§7.2: MSB first, logic one = low). */
function inverse(raw: number): number {
  let byte = 0;
  for (let i = 0; i < 8; i++) if (((raw >> i) & 1) === 0) byte |= 0x80 >> i;
  return byte;
}

