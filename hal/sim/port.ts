/**
 * One side's character engine on the simulated I/O line (ISO 7816-3 §7): it sends characters bit by
 * bit (start bit, 8 data bits, even parity, guard time) and receives them by sampling the line in the
 * middle of each of its own bit times, so a sender and a receiver that disagree on the rate or the
 * convention corrupt characters the way real hardware does. In T=0 mode it also does the error
 * signal and character repetition (§7.3). Shared by the reader's UART and the card's CardIo.
 * Times are the scheduler's exact ticks (picoseconds); a fraction of an etu (10.25, 10.5) is rounded
 * up to the next tick.
 *
 * A character costs a few scheduler events, not one per bit: the leading edge, the sender's end
 * (10 etu, or its error-signal sample at 11 etu in T=0) and the receiver's decision (10.25 etu).
 * The frame's other edges are planned on the line at the leading edge (`SimLine.plan`), and the
 * receiver samples them from the line's history when it decides.
 *
 * A burst costs one event per character. When this side starts a character that the other side
 * will certainly read as sent (the line otherwise quiet, the other side waiting for a start bit at
 * the same etu and convention, no wrong parity asked for), the characters queued behind it go out
 * as a burst: only the receiver's decisions are events; everything else this side and the
 * receiver would have done at a leading edge or at a character's end (`sending`, `leadingEdge`,
 * `sent`, the line's levels) is done after the fact, in order, with the times it would have had,
 * whenever anything looks at either side or at the line (`catchUp`). Anything that would change
 * what the burst assumes (the receiver sends, a flush, a reset, a new rate, convention or protocol)
 * first turns the burst back into single characters with their pending events, at the point it has
 * reached (`#unburst`). What either side, the line and the record show is the same as without
 * bursts; only the order of events at the very same picosecond can differ (what a burst does after
 * the fact comes after the events scheduled for that picosecond).
 *
 * A run costs less still. In the steady state of a burst — a block or a TPDU's data, every queued
 * character on at the same rate and convention, the receiver taking them without reacting — the
 * catch-up does each character's end, decision and next leading edge in one step (`#runAhead`),
 * without asking the receiver again (`absorbLeft`) or looking through the queue (leading edges a
 * guard time apart, `#startAfter`); a run queued at once (`sendBytes`) is counted in once.
 */
import type { Convention } from '../interfaces/card-uart.js';
import type { BurstSource, LineCharacter, LineListener, LineSide, SimLine } from './line.js';

/** §7.3: the receiver pulls I/O low from 10.5 etu for 1 to 2 etu; 1.5 etu sits in the middle. */
const ERROR_SIGNAL_START = 10.5;
const ERROR_SIGNAL_END = 12;
/** §7.3: the sender samples I/O at 11 etu to see the error signal. */
const ERROR_SAMPLE = 11;
/** §7.3: the repetition starts at least 2 etu after the error signal was detected (11 + 2). */
const REPEAT_AT = 13;
/** The receiver checks the stop condition (line released) a quarter etu into the guard time. */
const STOP_SAMPLE = 10.25;

/** `etus` etu in ticks: exact for whole etu, a fraction rounded up to the next tick. */
function span(etus: number, etu: number): number {
  return Math.ceil(etus * etu);
}

export interface PortHooks {
  /** A character arrived (decoded in the receiver's convention). */
  received(byte: number, parityOk: boolean): void;
  /** A start bit that was not one, or a missing stop condition. */
  framing(): void;
  /**
   * The leading edge of an incoming start bit was seen (ticks). This and `sending` and `sent` are
   * left out by an owner with nothing to do then (they run for every character).
   */
  leadingEdge?(time: number): void;
  /** A character this side sent is starting on the line (ticks); `last` when nothing else is queued. */
  sending?(time: number, last: boolean): void;
  /** A character this side sent was rejected by more error signals than `repetitions` allows. */
  sendFailed(byte: number): void;
  /** A queued character has left the queue for good (sent, or given up). */
  sent?(): void;
  /**
   * Whether the owner wants `sent` at the very end of a character (a burst then keeps an event
   * there): `last` when nothing is queued behind it.
   */
  wantsSent?(last: boolean): boolean;
  /** The epoch moved: subtract `delta` from the times the owner keeps in ticks. */
  rebase?(delta: number): void;
  /**
   * False while the owner's reactions to a leading edge must come at its very time (a receive
   * deadline shorter than the burst's after-the-fact delay): no burst then (see `recheck`).
   */
  burstable?(): boolean;
  /** A burst coming in to this side was cut short: what `burstLastEdge` foresaw may not come. */
  burstCut?(): void;
  /**
   * How many of the next characters this side receives, the first decided at `firstTicks`, the
   * others `gapTicks` apart (leading edge to leading edge), it takes without reacting to them (no scheduling, no look at the clock but `receivedAt`,
   * nothing the owner's user sees until a later character): their decisions in a burst are then
   * done after the fact, when anyone looks, not as events.
   */
  absorbable?(gapTicks: number, firstTicks: number): number;
}

/** A burst does what happens at a leading edge at most 11 etu late: deadlines from 12 etu on are always armed in time. */
export const BURST_SAFE_ETU = 12;

/** Send parameters captured when the character is queued (a rate change applies to later ones). */
interface Outgoing {
  byte: number;
  /** Etu in ticks. */
  etu: number;
  convention: Convention;
  /** Transmissions still to send with wrong parity. */
  badParity: number;
  /** Earliest start, from `delayEtu` (NaN: counted from the previous character's leading edge). */
  delayEtu: number;
  queuedAt: number;
  /** Wrong parity asked for, or not the rate and convention of the record queued before it (OutgoingQueue.irregular). */
  breaks: boolean;
}

/**
 * The send queue: a ring of Outgoing records reused in place, so sending allocates nothing once it
 * has grown; its size a power of two (positions wrap with a mask: this runs for every character).
 */
class OutgoingQueue {
  #slots: Outgoing[] = [];
  #mask = -1;
  #head = 0;
  length = 0;
  /** How many queued records have a delayEtu (the caller counts it in when it fills one in). */
  delayed = 0;
  /**
   * How many queued records may not follow the one before them in a burst (wrong parity asked for,
   * or another rate or convention; counted in by the caller, `breaks` below). While none is queued
   * (nor a delayed one), a burst's queue goes on evenly: its leading edges are worked out at once
   * instead of character by character.
   */
  irregular = 0;

  get first(): Outgoing {
    return this.#slots[this.#head];
  }

  /** Append a record (the caller fills it in). */
  push(): Outgoing {
    const slots = this.#slots;
    if (this.length === slots.length) {
      const grown: Outgoing[] = [];
      for (let i = 0; i < this.length; i++) grown.push(slots[(this.#head + i) & this.#mask]);
      for (let i = this.length; i < Math.max(8, 2 * this.length); i++) {
        grown.push({ byte: 0, etu: 0, convention: 'direct', badParity: 0, delayEtu: 0, queuedAt: NaN, breaks: false });
      }
      this.#slots = grown;
      this.#mask = grown.length - 1;
      this.#head = 0;
    }
    return this.#slots[(this.#head + this.length++) & this.#mask];
  }

  /** The record `i` places behind the first. */
  at(i: number): Outgoing {
    return this.#slots[(this.#head + i) & this.#mask];
  }

  shift(): void {
    const first = this.#slots[this.#head];
    if (first.delayEtu > 0) this.delayed--;
    if (first.breaks) this.irregular--;
    this.#head = (this.#head + 1) & this.#mask;
    this.length--;
  }

  /** Keep the first `n` records. */
  truncate(n: number): void {
    if (n >= this.length) return;
    this.length = n;
    this.delayed = this.irregular = 0;
    for (let i = 0; i < n; i++) {
      if (this.at(i).delayEtu > 0) this.delayed++;
      if (this.at(i).breaks) this.irregular++;
    }
  }

  /** Every queued record's times moved back by `delta` (epoch move). */
  rebase(delta: number): void {
    for (let i = 0; i < this.length; i++) this.#slots[(this.#head + i) & this.#mask].queuedAt -= delta;
  }
}

/** Where a burst is, on the sending side. */
type BurstPhase =
  /** The next character's leading edge (at `start`) has not happened yet. */
  | 'before-start'
  /** The character that started at `start` is on the line until `end`. */
  | 'on-line'
  /** Nothing more to send in this burst; the receiver's last decision may still be pending. */
  | 'over';

/** A burst, kept by its sender (all times in ticks). */
interface Burst {
  receiver: LinePort;
  etu: number;
  convention: Convention;
  phase: BurstPhase;
  /** The current (or next) character: its leading edge, its end for the sender, its byte and frame. */
  start: number;
  end: number;
  byte: number;
  frame: number;
  event: LineCharacter | undefined;
  /** The character after the current one, when known before the current one ends (T=0). */
  next: boolean;
  nextStart: number;
  nextByte: number;
  nextFrame: number;
  /** The receiver's pending decision: the character it is for, when, and its event. */
  rxStart: number;
  rxByte: number;
  rxAt: number;
  rxTimer: number | undefined;
  /** The time of rxTimer: the pending decision's, or a later one's that has to be an event (see #planWake). */
  rxTimerAt: number;
  /** The pending decision is done after the fact instead (the receiver absorbs the character: `absorbable`). */
  rxLazy: boolean;
  /** The burst's decision event is running: a decision due by now is its own (no event of its own). */
  waking: boolean;
  /** A decision is planned and not done yet. */
  rxPending: boolean;
  /** In T=0 with nothing queued behind: an event at the sender's end, to learn whether the burst goes on. */
  endTimer: number | undefined;
  /** The time of endTimer. */
  endAt: number;
  /**
   * How many characters after the pending one the receiver is known to take without reacting (its
   * last `absorbable`, counted down per character; 0: ask again). Its owner calls `reabsorb` when
   * that drops for another reason, which asks again.
   */
  absorbLeft: number;
}

export class LinePort implements LineListener, BurstSource {
  readonly side: LineSide;
  readonly line: SimLine;
  #etu: number;
  #convention: Convention | 'detect';
  #protocol: 0 | 1 = 0;
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
  // Times in ticks start as NaN, a double (as -Infinity or a time would be): a field that starts as
  // a small integer changes its object's hidden class when the first move of the epoch (`rebase`)
  // stores a large number in it, and the engine's code for every port is thrown away.
  #rxStart = NaN;
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
  #txStart = NaN;
  /** The decision on the character being received. */
  #rxTimer: number | undefined;
  /** This side's error signal (§7.3): pull I/O low, then release it. */
  #signalTimer: number | undefined;
  #releaseTimer: number | undefined;
  #closed = false;
  /** This side's burst as the sender, and the sender whose burst this side receives. */
  #burst: Burst | null = null;
  #receivingFrom: LinePort | null = null;
  #catchingUp = false;
  #receivedAt = NaN;
  // Timer callbacks made once: nothing is allocated per character.
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
  readonly #onBurstDecision = (): void => this.#burstDecision();
  readonly #onBurstEndEvent = (): void => this.#burstEndEvent();

  constructor(line: SimLine, side: LineSide, hooks: PortHooks, etu: number, convention: Convention | 'detect', repetitions: number) {
    this.line = line;
    this.side = side;
    this.#hooks = hooks;
    this.#etu = etu;
    this.#convention = convention;
    this.repetitions = repetitions;
    line.listen(this);
  }

  /** Receive rate in ticks (the sender's is captured per character). */
  get etu(): number {
    return this.#etu;
  }
  set etu(etu: number) {
    if (etu === this.#etu) return;
    this.#unburst();
    this.#etu = etu;
  }

  /** Receive convention ('detect' until TS chooses). */
  get convention(): Convention | 'detect' {
    return this.#convention;
  }
  set convention(convention: Convention | 'detect') {
    if (convention === this.#convention) return;
    this.#unburst();
    this.#convention = convention;
  }

  /** 0: T=0 error signal and repetition (when `repetitions` > 0); 1: none. */
  get protocol(): 0 | 1 {
    return this.#protocol;
  }
  set protocol(protocol: 0 | 1) {
    if (protocol === this.#protocol) return;
    this.#unburst();
    this.#protocol = protocol;
  }

  /** Whether incoming characters are sampled at all (a card without power or in reset is deaf). */
  get listening(): boolean {
    return this.#listening;
  }
  set listening(on: boolean) {
    if (on !== this.#listening) this.#unburst();
    this.#listening = on;
    this.line.watch();
  }

  /** While `received` runs: the time (ticks) the character was decided at (earlier than now when handed over after the fact). */
  get receivedAt(): number {
    return this.#receivedAt;
  }

  get awaitingStart(): boolean {
    return this.#listening && !this.#txBusy && !this.#rxBusy && !this.#errorBusy && !this.#closed;
  }

  get queued(): number {
    this.catchUp();
    return this.#queue.length;
  }

  /** True while a character of this side is on the line or waits in the queue. */
  get busy(): boolean {
    this.catchUp();
    return this.#txBusy || this.#queue.length > 0;
  }

  /**
   * Queue one character: sent at `etu` ticks per bit in `convention`, at least `delayEtu` after the
   * previous leading edge (or after now when idle), its first `badParity` transmissions with wrong
   * parity. Positional arguments: this runs for every character, and allocates nothing.
   */
  send(byte: number, etu: number, convention: Convention, delayEtu = 0, badParity = 0): void {
    if (this.#closed) return;
    // A side that starts sending while the other side's burst comes in: single characters again.
    if (this.#receivingFrom !== null) this.#unburst();
    this.catchUp();
    const idle = !this.#txBusy && this.#queue.length === 0;
    const before = this.#queue.length > 0 ? this.#queue.at(this.#queue.length - 1) : undefined;
    const c = this.#queue.push();
    c.byte = byte & 0xff;
    c.etu = etu;
    c.convention = convention;
    c.badParity = badParity;
    c.delayEtu = delayEtu;
    if (delayEtu > 0) this.#queue.delayed++;
    c.queuedAt = idle ? this.line.scheduler.ticks : NaN;
    c.breaks = badParity > 0 || (before !== undefined && (before.etu !== etu || before.convention !== convention));
    if (c.breaks) this.#queue.irregular++;
    if (this.#burst !== null) {
      // A character queued with a delay changes the burst's gap, which `absorbable` is asked with.
      if (delayEtu > 0) this.#burst.absorbLeft = 0;
      this.#planEnd(this.#burst);
    }
    this.#pump();
  }

  /**
   * Queue `count` characters of `bytes` from `from`, as `send` queues each (no delay, right
   * parity), with the bookkeeping of the queue done once for them all.
   */
  sendBytes(bytes: ArrayLike<number>, from: number, count: number, etu: number, convention: Convention): void {
    if (this.#closed || count <= 0) return;
    if (this.#receivingFrom !== null) this.#unburst();
    this.catchUp();
    const queue = this.#queue;
    let before = queue.length > 0 ? queue.at(queue.length - 1) : undefined;
    const idle = !this.#txBusy && queue.length === 0;
    for (let i = 0; i < count; i++) {
      const c = queue.push();
      c.byte = bytes[from + i] & 0xff;
      c.etu = etu;
      c.convention = convention;
      c.badParity = 0;
      c.delayEtu = 0;
      c.queuedAt = idle && i === 0 ? this.line.scheduler.ticks : NaN;
      c.breaks = before !== undefined && (before.etu !== etu || before.convention !== convention);
      if (c.breaks) queue.irregular++;
      before = c;
    }
    if (this.#burst !== null) this.#planEnd(this.#burst);
    this.#pump();
  }

  /** Drop characters not yet started (the one on the line, if any, finishes). */
  dropQueue(): void {
    this.#unburst();
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
    this.#unburst();
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
    const now = this.line.scheduler.ticks;
    this.#rxBusy = true;
    this.#rxStart = now;
    this.#rxEtu = this.#etu;
    this.#hooks.leadingEdge?.(now);
    this.#rxTimer = this.line.scheduler.atTicks(now + span(STOP_SAMPLE, this.#rxEtu), this.#onEvaluate);
  }

  rebase(delta: number): void {
    this.#rxStart -= delta;
    this.#lastOwnEdge -= delta;
    this.#txStart -= delta;
    this.#queue.rebase(delta);
    const b = this.#burst;
    if (b !== null) {
      b.start -= delta;
      b.end -= delta;
      b.nextStart -= delta;
      b.rxStart -= delta;
      b.rxAt -= delta;
    }
    this.#hooks.rebase?.(delta);
  }

  #pump(): void {
    if (this.#txBusy || this.#queue.length === 0 || this.#closed) return;
    this.#txBusy = true;
    // The character stays first in the queue until it is done: #onStart sends #queue.first.
    this.#startTimer = this.line.scheduler.atTicks(this.#startOf(this.#queue.first, this.line.scheduler.ticks), this.#onStart);
  }

  /**
   * When the queued character `next` may start, at `now` at the earliest (§7.2 guard and turnaround
   * times), this side's last leading edge being `lastOwn`.
   */
  #startOf(next: Outgoing, now: number, lastOwn = this.#lastOwnEdge): number {
    const etu = next.etu;
    const other: LineSide = this.side === 'reader' ? 'card' : 'reader';
    let start = Math.max(now, lastOwn + this.guardEtu * etu, this.line.lastEdge(other) + this.turnaroundEtu * etu);
    const ref = Number.isNaN(next.queuedAt) ? lastOwn : next.queuedAt;
    start = Math.max(start, ref + span(next.delayEtu, etu));
    return start;
  }

  #transmit(c: Outgoing, repeated: boolean): void {
    const now = this.line.scheduler.ticks;
    const bad = c.badParity > 0;
    if (bad) c.badParity--;
    const f = frame(c.byte, c.convention, bad);
    if (!repeated && !bad && this.#beginBurst(c, now, f)) return;
    const event = this.#event(now, c, !bad, repeated);
    this.line.mark(this.side, now, event ?? null);
    this.#lastOwnEdge = now;
    this.#hooks.sending?.(now, this.#queue.length === 1);
    this.line.drive(this, 0);
    this.line.planTicks(this, now, c.etu, f);
    this.#txChar = c;
    this.#txEvent = event;
    this.#txStart = now;
    const scheduler = this.line.scheduler;
    if (this.#protocol === 0 && this.repetitions > 0) {
      this.#txTimer = scheduler.atTicks(now + ERROR_SAMPLE * c.etu, this.#onErrorSample);
    } else {
      this.#txTimer = scheduler.atTicks(now + 10 * c.etu, this.#onEnd);
    }
  }

  /** The record of a transmission, when the line keeps one. */
  #event(time: number, c: Outgoing, parityOk: boolean, repeated: boolean): LineCharacter | undefined {
    if (!this.line.recording) return undefined;
    const scheduler = this.line.scheduler;
    return {
      timeNs: scheduler.toNs(time), from: this.side, byte: c.byte, parityOk, repeated,
      convention: c.convention, etuNs: c.etu / 1000, errorSignalled: false,
    };
  }

  #checkErrorSignal(): void {
    if (this.line.io === 0) {
      const c = this.#txChar!;
      if (this.#txEvent !== undefined) this.#txEvent.errorSignalled = true;
      const attempts = this.#attempts + 1;
      if (attempts <= this.repetitions) {
        this.#attempts = attempts;
        this.#txTimer = this.line.scheduler.atTicks(this.#txStart + REPEAT_AT * c.etu, this.#onRepeat);
        return;
      }
      this.#hooks.sendFailed(c.byte);
    }
    this.#done();
  }

  /** The character on the line has left the queue for good. */
  #finishChar(): void {
    this.#txChar = this.#txEvent = undefined;
    this.#attempts = 0;
    this.#queue.shift();
    this.#hooks.sent?.();
  }

  #done(): void {
    this.#finishChar();
    this.#txBusy = false;
    this.#pump();
    this.line.watch();
  }

  #evaluate(): void {
    this.#rxBusy = false;
    this.#receivedAt = this.line.scheduler.ticks;
    const etu = this.#rxEtu;
    const start = this.#rxStart;
    const line = this.line;
    const levels = line.sampleFrameTicks(start, etu);
    if ((levels & 1) !== 0 || line.io !== 1) {
      this.#hooks.framing();
      line.watch();
      return;
    }
    const raw = (levels >> 1) & 0xff;
    const parityLevel = (levels >> 9) & 1;
    let convention = this.#convention;
    if (convention === 'detect') {
      // §8.1 TS: inverse convention's TS read in direct convention is 0x03 with a parity error.
      convention = raw === 0x03 && parityLevel === 1 ? 'inverse' : 'direct';
      this.#convention = convention;
    }
    const byte = convention === 'direct' ? raw : inverse(raw);
    // Even parity (§7.1): the parity bit's level is the one the byte's own frame has.
    const parityOk = parityLevel === (((convention === 'direct' ? DIRECT_FRAMES : INVERSE_FRAMES)[byte] >> 9) & 1);
    if (!parityOk && this.#protocol === 0 && this.#consecutiveErrors < this.repetitions) {
      this.#consecutiveErrors++;
      this.#errorBusy = true;
      this.#signalTimer = line.scheduler.atTicks(start + span(ERROR_SIGNAL_START, etu), this.#onSignal);
      this.#releaseTimer = line.scheduler.atTicks(start + ERROR_SIGNAL_END * etu, this.#onRelease);
      return;
    }
    this.#consecutiveErrors = 0;
    this.#hooks.received(byte, parityOk);
    line.watch();
  }

  // ---- bursts ----

  /** The other listener, when it is a port that will read `c` exactly as sent, the line otherwise quiet. */
  #burstReceiver(c: Outgoing): LinePort | null {
    if (!this.line.bursts) return null;
    const listeners = this.line.listeners;
    if (listeners.length !== 2) return null;
    const r = listeners[0] === this ? listeners[1] : listeners[0];
    if (!(r instanceof LinePort) || r === this || !r.awaitingStart || r.#queue.length > 0 || r.#burst !== null) return null;
    if (this.#hooks.burstable?.() === false || r.#hooks.burstable?.() === false) return null;
    if (r.#etu !== c.etu || r.#convention !== c.convention || !this.line.quiet()) return null;
    return r;
  }

  /** At the leading edge of `c` (now): start a burst with it if the receiver will read it as sent. */
  #beginBurst(c: Outgoing, now: number, f: number): boolean {
    const r = this.#burstReceiver(c);
    if (r === null) return false;
    const etu = c.etu;
    const event = this.#event(now, c, true, false);
    const b: Burst = {
      receiver: r, etu, convention: c.convention, phase: 'on-line',
      start: now, end: now + this.#endEtu() * etu, byte: c.byte, frame: f, event,
      next: false, nextStart: NaN, nextByte: 0, nextFrame: 0,
      rxStart: now, rxByte: c.byte, rxAt: now + span(STOP_SAMPLE, etu), rxTimer: undefined, rxTimerAt: NaN, rxLazy: false, waking: false, rxPending: true, endTimer: undefined,
      endAt: NaN, absorbLeft: 0,
    };
    this.#burst = b;
    r.#receivingFrom = this;
    this.line.beginBurst(this, this);
    // This leading edge is now: what this side and the receiver do at it is done at once.
    this.line.mark(this.side, now, event ?? null);
    this.#lastOwnEdge = now;
    this.#txStart = now;
    this.line.burstFrame(now, etu, f);
    r.#rxBusy = true;
    b.rxTimer = this.line.scheduler.atTicks(b.rxAt, this.#onBurstDecision);
    b.rxTimerAt = b.rxAt;
    this.#planEnd(b);
    this.#hooks.sending?.(now, this.#queue.length === 1);
    r.#hooks.leadingEdge?.(now);
    return true;
  }

  /** When the sender is done with a character: the error-signal sample in T=0 with repetition, else 10 etu. */
  #endEtu(): number {
    return this.#protocol === 0 && this.repetitions > 0 ? ERROR_SAMPLE : 10;
  }

  /**
   * Do, in order, what this side's burst (or the burst this side receives) would have done by now:
   * leading edges (the sender's `sending`, the receiver's `leadingEdge`, the line's frame) and
   * characters' ends (`sent`, and the next character of the burst, or single characters again).
   * What falls on this very tick waits while an event runs (it comes after the events scheduled
   * for it).
   */
  catchUp(): void {
    this.#catchUp(false);
  }

  /** catchUp from an event that runs after every other event due at its tick: what starts at this tick has started. */
  catchUpThisTick(): void {
    this.#catchUp(true);
  }

  /** catchUp; `own`: called from one of the burst's own events, which are where their tick's actions happen. */
  #catchUp(own: boolean): void {
    const sender = this.#receivingFrom ?? this;
    const b = sender.#burst;
    if (b === null || sender.#catchingUp) return;
    const scheduler = this.line.scheduler;
    const now = scheduler.ticks;
    const phaseAt = b.phase === 'before-start' ? b.start : b.phase === 'on-line' ? b.end : Infinity;
    // The usual case, asked at every write and every look: nothing due yet.
    if (now < phaseAt && !(b.rxLazy && b.rxAt <= now)) return;
    sender.#catchingUp = true;
    const between = own || scheduler.runningSeq === Infinity;
    for (;;) {
      if (sender.#burst !== b) break;
      if (b.absorbLeft > 0 && b.phase === 'on-line' && sender.#runAhead(b, now, between)) continue;
      const at = b.phase === 'before-start' ? b.start : b.phase === 'on-line' ? b.end : Infinity;
      // A decision done after the fact comes first at its tick, where its event would have run.
      if (b.rxLazy && b.rxAt <= at && (b.rxAt < now || (b.rxAt === now && between))) {
        b.rxLazy = false;
        sender.#decide(b);
      } else if (b.phase === 'before-start' && (b.start < now || (b.start === now && between))) sender.#burstStart(b);
      else if (b.phase === 'on-line' && (b.end < now || (b.end === now && between))) sender.#burstEnd(b);
      else break;
    }
    sender.#catchingUp = false;
  }

  /**
   * The steady state of a burst, a character at a time without the general steps: from just after
   * a leading edge (its decision done after the fact, the character behind it taken without a
   * reaction too), each character's end, its decision and the next one's leading edge, in the
   * order and with the times `#burstEnd`, `#decide` and `#burstStart` give them, as long as they
   * are all due, no event of the burst's falls among them and nothing changes. Whether anything
   * was done.
   */
  #runAhead(b: Burst, now: number, between: boolean): boolean {
    if (!b.rxLazy || b.next || b.rxStart !== b.start || (b.rxTimer === undefined && !b.waking)) return false;
    const queue = this.#queue;
    const r = b.receiver;
    if (queue.delayed > 0 || r.#etu !== b.etu || r.#convention !== b.convention || !r.#listening || r.#queue.length > 0) return false;
    const etu = b.etu;
    const convention = b.convention;
    const endTicks = this.#endEtu() * etu;
    const decideTicks = span(STOP_SAMPLE, etu);
    // §7.2: the next leading edge comes a guard time after this one (and not before the sender's
    // end, nor within the turnaround after the other side's last character).
    const step = Math.max(endTicks, this.guardEtu * etu);
    const turnaround = this.line.lastEdge(this.side === 'reader' ? 'card' : 'reader') + this.turnaroundEtu * etu;
    // In T=0 the decision (10.25 etu) comes before the sender's end (11 etu); in T=1 after it (10).
    const decisionFirst = decideTicks < endTicks;
    const side = this.side;
    const line = this.line;
    const frames = convention === 'direct' ? DIRECT_FRAMES : INVERSE_FRAMES;
    // In an even queue only the last character can need an event at its end (#needsEnd): the
    // general check is only needed near it, or while the owner wants every `sent` on time.
    const wantsEverySent = this.#hooks.wantsSent?.(false) === true;
    let done = false;
    while (b.absorbLeft > 0 && queue.length > 1) {
      const next = queue.at(1);
      if (next.badParity !== 0 || next.etu !== etu || next.convention !== convention || next.delayEtu !== 0 || !Number.isNaN(next.queuedAt)) break;
      const start = b.start;
      const nextStart = Math.max(start + step, turnaround);
      if (!(nextStart < now || (nextStart === now && between))) break;
      if ((b.rxTimer !== undefined && b.rxAt >= b.rxTimerAt) || (b.endTimer !== undefined && start + endTicks >= b.endAt)) break;
      const byte = b.rxByte;
      const nextByte = next.byte;
      if (!decisionFirst) {
        // The character's end for its sender (#burstEnd).
        this.#finishChar();
        if (this.#burst !== b) return true;
      }
      // The receiver's decision, done after the fact (#decide), and the next one awaited (#awaitDecision).
      b.rxPending = false;
      r.#rxBusy = false;
      r.#consecutiveErrors = 0;
      r.#receivedAt = b.rxAt;
      b.rxStart = nextStart;
      b.rxByte = nextByte;
      b.rxAt = nextStart + decideTicks;
      b.rxPending = true;
      b.absorbLeft--;
      if (decisionFirst) {
        b.next = true;
        b.nextStart = nextStart;
        b.nextByte = nextByte;
        b.nextFrame = frames[nextByte];
      } else {
        b.phase = 'before-start';
        b.start = nextStart;
        b.byte = nextByte;
        b.frame = frames[nextByte];
      }
      if (b.endTimer === undefined && (wantsEverySent || queue.length <= 2 || queue.irregular !== 0)) this.#planEnd(b);
      r.#hooks.received(byte, true);
      line.watch();
      if (this.#burst !== b) return true;
      if (decisionFirst) {
        this.#finishChar();
        if (this.#burst !== b) return true;
        b.next = false;
        b.phase = 'before-start';
        b.start = nextStart;
        b.byte = nextByte;
        b.frame = b.nextFrame;
      }
      // The next leading edge (#burstStart).
      b.phase = 'on-line';
      b.end = nextStart + endTicks;
      b.event = line.recording ? this.#event(nextStart, queue.first, true, false) : undefined;
      line.mark(side, nextStart, b.event ?? null);
      this.#lastOwnEdge = nextStart;
      this.#txStart = nextStart;
      line.burstFrame(nextStart, etu, b.frame);
      r.#rxBusy = true;
      this.#hooks.sending?.(nextStart, queue.length === 1);
      r.#hooks.leadingEdge?.(nextStart);
      done = true;
      if (this.#burst !== b) return true;
    }
    return done;
  }

  /** The leading edge of the burst's next character, after the fact. */
  #burstStart(b: Burst): void {
    const c = this.#queue.first;
    const start = b.start;
    b.phase = 'on-line';
    b.end = start + this.#endEtu() * b.etu;
    b.event = this.#event(start, c, true, false);
    this.line.mark(this.side, start, b.event ?? null);
    this.#lastOwnEdge = start;
    this.#txStart = start;
    this.line.burstFrame(start, b.etu, b.frame);
    const r = b.receiver;
    r.#rxBusy = true;
    this.#hooks.sending?.(start, this.#queue.length === 1);
    r.#hooks.leadingEdge?.(start);
  }

  /** The end of the burst's character for its sender, after the fact: the next one, or single characters again. */
  #burstEnd(b: Burst): void {
    this.#finishChar();
    if (b.next) {
      b.next = false;
      b.phase = 'before-start';
      b.start = b.nextStart;
      b.byte = b.nextByte;
      b.frame = b.nextFrame;
    } else if (this.#follows(b, 0)) {
      b.phase = 'before-start';
      b.start = this.#startOf(this.#queue.first, b.end);
      b.byte = this.#queue.first.byte;
      b.frame = frame(b.byte, b.convention, false);
    } else {
      // Nothing more for the burst: what is queued goes out as single characters (#needsEnd made
      // sure this runs at the very end when something is queued).
      b.phase = 'over';
      this.#txBusy = false;
      this.#pump();
    }
  }

  /** Whether the queued character at `index` can go on in the burst `b` (same rate and convention, right parity, receiver unchanged). */
  #follows(b: Burst, index: number): boolean {
    if (this.#queue.length <= index) return false;
    const next = this.#queue.at(index);
    const r = b.receiver;
    return next.badParity === 0 && next.etu === b.etu && next.convention === b.convention &&
      r.#etu === b.etu && r.#convention === b.convention && r.#listening && r.#queue.length === 0;
  }

  /**
   * Whether the burst character at queue `index` needs an event at its end: the character behind it
   * cannot follow in the burst (single characters take over exactly there), or the owner wants
   * `sent` on time.
   */
  #needsEnd(b: Burst, index: number): boolean {
    const behind = index + 1;
    if (this.#queue.length > behind && !this.#follows(b, behind)) return true;
    return this.#hooks.wantsSent?.(this.#queue.length === behind) === true;
  }

  /** Keep an event at the end of the first burst character that needs one (one at a time; the next is planned when it fires). */
  #planEnd(b: Burst): void {
    if (b.endTimer !== undefined || b.phase === 'over') return;
    const endTicks = this.#endEtu() * b.etu;
    if (this.#needsEnd(b, 0)) this.#endEvent(b, b.phase === 'on-line' ? b.end : b.start + endTicks);
    else if (b.next && this.#needsEnd(b, 1)) this.#endEvent(b, b.nextStart + endTicks);
  }

  #endEvent(b: Burst, at: number): void {
    b.endAt = at;
    b.endTimer = this.line.scheduler.atTicks(at, this.#onBurstEndEvent);
  }

  /**
   * The leading edge (ticks) of the last character of the burst coming in to this side that is
   * certain to start no more than `gap` ticks after the leading edge before it (one exactly at the
   * deadline is in time, as it is for single characters), counting from the character on the line (or the last one that started); NaN when no burst comes in. A receive
   * deadline `gap` after every leading edge cannot expire before that edge + `gap`, unless the
   * burst is cut first (the receiver then hears `burstCut`).
   */
  burstLastEdge(gap: number): number {
    const sender = this.#receivingFrom;
    if (sender === null) return NaN;
    sender.catchUp();
    const b = sender.#burst;
    if (b === null || b.phase === 'over') return NaN;
    const endTicks = sender.#endEtu() * b.etu;
    const queue = sender.#queue;
    let prev: number;
    let start: number;
    let i: number;
    if (b.phase === 'before-start') {
      prev = sender.#lastOwnEdge;
      start = b.start;
      i = 0;
    } else {
      prev = b.start;
      i = 1;
      if (!sender.#follows(b, 1)) return prev;
      start = sender.#startOf(queue.at(1), prev + endTicks, prev);
    }
    if (start - prev <= gap && sender.#even(b, i + 1)) {
      // The queue goes on evenly from `start`: one guard time apart (or the last queued).
      return sender.#startAfter(b, start, sender.#guardStep(b) <= gap ? queue.length - 1 - i : 0);
    }
    for (;;) {
      if (!(start - prev <= gap)) return prev;
      prev = start;
      if (!sender.#follows(b, ++i)) return prev;
      start = sender.#startOf(queue.at(i), prev + endTicks, prev);
    }
  }

  /**
   * This side's `absorbable` may have dropped for a reason other than a character (a transfer
   * ended by a deadline, abandoned, replaced): the decisions planned after the fact are planned
   * again, the first one this side now reacts to as an event.
   */
  reabsorb(): void {
    const sender = this.#receivingFrom;
    if (sender === null) return;
    const b = sender.#burst;
    if (b === null) return;
    // What the receiver takes is asked again at the next character in any case.
    b.absorbLeft = 0;
    if (!b.rxLazy || b.waking) return;
    sender.catchUp();
    if (sender.#burst !== b || !b.rxLazy) return;
    if (b.rxTimer !== undefined) this.line.scheduler.cancel(b.rxTimer);
    b.rxTimer = undefined;
    const absorbable = this.#hooks.absorbable;
    const absorbed = absorbable === undefined ? 0 : absorbable(sender.#burstGap(b), b.rxAt);
    if (absorbed > 0) {
      sender.#planWake(b, absorbed);
      return;
    }
    b.rxLazy = false;
    b.rxTimerAt = b.rxAt;
    b.rxTimer = this.line.scheduler.atTicks(b.rxAt, sender.#onBurstDecision);
  }

  /** BurstSource: the line is being driven by someone: single characters again. */
  cut(): void {
    this.#unburst();
  }

  /** The owner's `burstable` may have turned false: a burst this side is in becomes single characters. */
  recheck(): void {
    const sender = this.#receivingFrom ?? this;
    const b = sender.#burst;
    if (b !== null && (sender.#hooks.burstable?.() === false || b.receiver.#hooks.burstable?.() === false)) this.#unburst();
  }

  /**
   * The receiver's decision on the burst character starting at `start`: an event, or done after
   * the fact when the receiver absorbs that character (`ahead`: characters before it still to be
   * decided).
   */
  #awaitDecision(b: Burst, start: number, byte: number, ahead: number): void {
    // The first character `absorbable` counts: the one being decided (ahead 1), or this one.
    const firstAt = ahead > 0 ? b.rxAt : start + span(STOP_SAMPLE, b.etu);
    b.rxStart = start;
    b.rxByte = byte;
    b.rxAt = start + span(STOP_SAMPLE, b.etu);
    b.rxPending = true;
    const absorbable = b.receiver.#hooks.absorbable;
    const absorbed = absorbable === undefined ? 0 : absorbable(this.#burstGap(b), firstAt) - ahead;
    b.absorbLeft = absorbed > 1 ? absorbed - 1 : 0;
    if (absorbed > 0) {
      b.rxLazy = true;
      // The first decision that has to be an event gets it now (the running one plans it when it ends).
      if (b.rxTimer === undefined && !b.waking) this.#planWake(b, absorbed);
    } else if (b.waking && b.rxAt <= this.line.scheduler.ticks) {
      // The running decision event does this one (#burstDecision).
    } else if (b.rxTimer === undefined || b.rxTimerAt !== b.rxAt) {
      if (b.rxTimer !== undefined) this.line.scheduler.cancel(b.rxTimer);
      b.rxTimer = this.line.scheduler.atTicks(b.rxAt, this.#onBurstDecision);
      b.rxTimerAt = b.rxAt;
    }
    this.#planEnd(b);
  }

  /**
   * The longest gap between leading edges in this side's burst: its guard time, or the delay of a
   * character queued with one (ticks).
   */
  #burstGap(b: Burst): number {
    let gap = this.guardEtu;
    const queue = this.#queue;
    // Characters queued with a delay are rare (a card's pauses): only then is the queue looked through.
    if (queue.delayed > 0) for (let i = 0; i < queue.length; i++) if (queue.at(i).delayEtu > gap) gap = queue.at(i).delayEtu;
    return Math.ceil(gap * b.etu);
  }

  /**
   * The event for the decision `absorbed` characters after the pending one (the first the
   * receiver reacts to), or for the last one the burst is sure to send before that.
   */
  #planWake(b: Burst, absorbed: number): void {
    const endTicks = this.#endEtu() * b.etu;
    const queue = this.#queue;
    let index = b.phase === 'on-line' && b.rxStart !== b.start ? 1 : 0;
    let start = b.rxStart;
    if (absorbed > 0 && this.#even(b, index + 1)) {
      // The queue goes on evenly: the leading edge `absorbed` characters on (or the last queued) at once.
      start = this.#startAfter(b, start, Math.min(absorbed, queue.length - 1 - index));
      absorbed = 0;
    }
    for (let k = 0; k < absorbed && this.#follows(b, index + 1); k++) {
      index++;
      start = this.#startOf(queue.at(index), start + endTicks, start);
    }
    b.rxTimerAt = start + span(STOP_SAMPLE, b.etu);
    b.rxTimer = this.line.scheduler.atTicks(b.rxTimerAt, this.#onBurstDecision);
  }

  /**
   * Whether every queued character from `index` on follows in the burst `b` without a pause of its
   * own: none asked for wrong parity, a delay, another rate or convention (`#follows` for each).
   */
  #even(b: Burst, index: number): boolean {
    const queue = this.#queue;
    return queue.delayed === 0 && queue.irregular === 0 && this.#follows(b, index);
  }

  /** §7.2: leading edges in an even burst are a guard time apart, and at least the sender's own end apart. */
  #guardStep(b: Burst): number {
    return Math.max(this.#endEtu() * b.etu, this.guardEtu * b.etu);
  }

  /**
   * The leading edge `count` characters after one at `start` in an even burst (`#startOf` for each
   * in turn): a guard time apart, the first also no sooner than the turnaround after the other side.
   */
  #startAfter(b: Burst, start: number, count: number): number {
    if (count <= 0) return start;
    const step = this.#guardStep(b);
    const turnaround = this.line.lastEdge(this.side === 'reader' ? 'card' : 'reader') + this.turnaroundEtu * b.etu;
    return Math.max(start + step, turnaround) + (count - 1) * step;
  }

  #finishBurst(b: Burst): void {
    // A decision event planned for what turned out to be done after the fact goes too.
    if (b.rxTimer !== undefined) this.line.scheduler.cancel(b.rxTimer);
    b.rxTimer = undefined;
    this.#burst = null;
    b.receiver.#receivingFrom = null;
    this.line.endBurst(false);
  }

  /**
   * The receiver's decision on a burst character (the burst's one event per character). In T=0
   * the sender's end (11 etu) is still to come: the next character is foreseen from the queue now,
   * or, with nothing queued behind yet, an event at that end decides whether the burst goes on.
   */
  #burstDecision(): void {
    const b = this.#burst!;
    b.rxTimer = undefined;
    b.rxTimerAt = NaN;
    b.waking = true;
    // Decisions done after the fact come first (the last of them may plan the one due now).
    this.#catchUp(true);
    b.waking = false;
    if (this.#burst !== b) return;
    if (b.rxPending && !b.rxLazy && b.rxTimer === undefined && b.rxAt <= this.line.scheduler.ticks) this.#decide(b);
    if (this.#burst === b && b.rxLazy && b.rxTimer === undefined) {
      const absorbable = b.receiver.#hooks.absorbable;
      this.#planWake(b, absorbable === undefined ? 0 : absorbable(this.#burstGap(b), b.rxAt));
    }
  }

  /** The receiver's decision on the burst's pending character (its event, or after the fact). */
  #decide(b: Burst): void {
    b.rxPending = false;
    const r = b.receiver;
    const byte = b.rxByte;
    r.#rxBusy = false;
    r.#consecutiveErrors = 0;
    r.#receivedAt = b.rxAt;
    if (b.phase === 'before-start') this.#awaitDecision(b, b.start, b.byte, 1);
    else if (b.phase === 'over') {
      if (b.endTimer === undefined) this.#finishBurst(b);
    } else if (this.#follows(b, 1)) {
      const next = this.#queue.at(1);
      b.next = true;
      // This side's last leading edge is the current character's: the next one's start is known.
      b.nextStart = this.#startOf(next, b.end);
      b.nextByte = next.byte;
      b.nextFrame = frame(next.byte, next.convention, false);
      this.#awaitDecision(b, b.nextStart, b.nextByte, 1);
    } else if (b.endTimer === undefined) this.#endEvent(b, b.end);
    r.#hooks.received(byte, true);
    this.line.watch();
  }

  /** The event at a burst character's end (see #burstDecision and #needsEnd). */
  #burstEndEvent(): void {
    const b = this.#burst!;
    b.endTimer = undefined;
    this.#catchUp(true);
    if (this.#burst !== b) return;
    if (b.rxPending) this.#planEnd(b);
    else if (b.phase === 'over') this.#finishBurst(b);
    else this.#awaitDecision(b, b.start, b.byte, 0);
  }

  /**
   * Turn the burst this side sends or receives back into single characters, where it has got to:
   * the character on the line gets its sender's end event and the receiver's decision event, a
   * character not started yet its start event.
   */
  #unburst(): void {
    const sender = this.#receivingFrom ?? this;
    const b = sender.#burst;
    if (b === null) return;
    sender.catchUp();
    const scheduler = this.line.scheduler;
    const r = b.receiver;
    if (b.rxTimer !== undefined) scheduler.cancel(b.rxTimer);
    b.rxTimer = undefined;
    if (b.rxPending) {
      b.rxPending = b.rxLazy = false;
      if (r.#rxBusy) {
        // The receiver has seen the leading edge: its decision becomes its own event.
        r.#rxStart = b.rxStart;
        r.#rxEtu = b.etu;
        r.#rxTimer = scheduler.atTicks(b.rxAt, r.#onEvaluate);
      }
    }
    if (b.endTimer !== undefined) {
      scheduler.cancel(b.endTimer);
      b.endTimer = undefined;
    }
    sender.#burst = null;
    r.#receivingFrom = null;
    if (b.phase === 'on-line') {
      sender.#txChar = sender.#queue.first;
      sender.#txEvent = b.event;
      sender.#txStart = b.start;
      sender.#txTimer = scheduler.atTicks(b.end, sender.#endEtu() === ERROR_SAMPLE ? sender.#onErrorSample : sender.#onEnd);
    } else if (b.phase === 'before-start') {
      sender.#startTimer = scheduler.atTicks(b.start, sender.#onStart);
    }
    this.line.endBurst(true);
    r.#hooks.burstCut?.();
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
