/**
 * The T=1 link's hold on the I/O line (ISO/IEC 7816-3 §11.2, §11.4.3): one block at a time goes
 * out no earlier than BGT after the card's last character, then the card's block comes in, framed by
 * its prologue (LEN) and EDC, within BWT for its first character and CWT between the others. An
 * invalid block (or one with a character error) is answered only once the line has been silent for
 * CWT, since its LEN may be wrong. The line states are an explicit table (states.ts); the rules of
 * §11.6 that decide which block to send are the link's (link.ts). Nothing is allocated per byte.
 */
import type { CardCharError, CardUart } from '../../../hal/interfaces/card-uart.js';
import type { Scheduler, TimerHandle } from '../../../hal/interfaces/scheduler.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import { BLOCK_GUARD_ETU, MIN_CHARACTER_ETU_T1 } from '../timing.js';
import { BLOCK_MAX, blockLength, decodeBlock, describePcb, type BlockError, type RError, type T1Block } from './block.js';
import type { CrcVariant, EdcKind } from './edc.js';
import { t1LineAllows, type T1LineState } from './states.js';

/** How a failed reception looked, for the error named when resynchronisation gives up. */
export type Failure = 'mute' | 'edc' | 'other';

export interface T1BlockLineEvents {
  /** BGT has passed and the reader's block starts going out. */
  started(): void;
  /**
   * The reader's block has gone into the UART. Return false when no answer is to be awaited (the
   * link ended the exchange, rule 9); true to receive the card's block.
   */
  sent(): boolean;
  /** A whole block passed framing, EDC and PCB checks (`received` holds its bytes until the next one). */
  received(block: T1Block): void;
  /** No valid block: none within BWT, one cut short (CWT), an invalid one, or no silence after it. */
  failed(failure: Failure, error: RError, why: string): void;
}

export interface T1BlockLineOptions {
  uart: CardUart;
  scheduler: Scheduler;
  trace: Trace;
  edc: EdcKind;
  crcVariant: CrcVariant;
  /** One etu of the rate in force, in ns; CWT in etu. */
  etuNs: number;
  cwtEtu: number;
  /** Etu between a character's leading edge and its onReadable (default 10). */
  rxLatencyEtu: number;
  events: T1BlockLineEvents;
}

function blockErrorKind(error: BlockError): RError {
  return error === 'bad-edc' ? 'edc' : 'other';
}

export class T1BlockLine {
  /** The block to send: the link encodes into it, then calls send(). */
  readonly tx = new Uint8Array(BLOCK_MAX);
  readonly #rx = new Uint8Array(BLOCK_MAX + 1);
  readonly #uart: CardUart;
  readonly #scheduler: Scheduler;
  readonly #trace: Trace;
  readonly #edc: EdcKind;
  readonly #variant: CrcVariant;
  readonly #etuNs: number;
  readonly #cwtEtu: number;
  /** BGT counted from the moment a character is reported, which is this much after its leading edge. */
  readonly #guardAfterRxEtu: number;
  readonly #events: T1BlockLineEvents;

  #line: T1LineState = 'idle';
  #txLen = 0;
  #txPos = 0;
  /** The first-character deadline of the answer to the block being sent (BWT, or BWT × WTX). */
  #firstEtu = 0;
  #rxCount = 0;
  #rxExpected = 0;
  #rxCharError = false;
  /** Why the block being drained is invalid. */
  #drainError: RError = 'other';
  /** Characters received while draining. */
  #drained = 0;
  #lastRxNs = -Infinity;
  /**
   * No answer can be complete before our block has left and BGT passed: (n − 1) · 11 etu + 22 etu after
   * we started writing, at the least. Earlier characters are strays from before our block.
   */
  #rxNotBefore = 0;
  #txStartNs = 0;
  #timer: TimerHandle | null = null;

  constructor(options: T1BlockLineOptions) {
    this.#uart = options.uart;
    this.#scheduler = options.scheduler;
    this.#trace = options.trace;
    this.#edc = options.edc;
    this.#variant = options.crcVariant;
    this.#etuNs = options.etuNs;
    this.#cwtEtu = options.cwtEtu;
    this.#guardAfterRxEtu = BLOCK_GUARD_ETU - options.rxLatencyEtu;
    this.#events = options.events;
  }

  get state(): T1LineState {
    return this.#line;
  }

  /** The PCB of the last block received, for traces. */
  get receivedPcb(): number {
    return this.#rx[1];
  }

  /** Send the `length` bytes encoded in `tx`, after BGT; the answer's first character is due within `firstEtu`. */
  send(length: number, firstEtu: number): void {
    this.#txLen = length;
    this.#firstEtu = firstEtu;
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 → ${describePcb(this.tx[1])}`, this.tx.subarray(0, length));
    this.#armGuard();
  }

  /** No block on its way any more (the exchange ended). */
  idle(): void {
    if (this.#line !== 'idle') this.#setLine('idle');
  }

  /** Rule 6.4: nothing more until the session deactivates. */
  dead(): void {
    this.#setLine('dead');
  }

  close(): void {
    this.#setLine('closed');
  }

  /** Cancel the guard timer and the receive deadlines. */
  silence(): void {
    if (this.#timer !== null) this.#scheduler.cancel(this.#timer);
    this.#timer = null;
    this.#uart.setDeadlines(0, 0);
  }

  handleReadable(): void {
    // Every byte waiting now arrived by now: one clock reading serves them all (per-byte path).
    const now = this.#scheduler.now();
    for (let byte = this.#uart.read(); byte !== undefined; byte = this.#uart.read()) {
      const line = this.#line;
      if (line === 'rx' && now >= this.#rxNotBefore) {
        if (this.#rxCount < this.#rx.length) this.#rx[this.#rxCount] = byte;
        this.#rxCount++;
        if (this.#rxCount === 3) this.#rxExpected = blockLength(this.#rx[2], this.#edc);
        if (this.#rxCount === this.#rxExpected) {
          this.#lastRxNs = now;
          this.#blockEnded();
          // Bytes still buffered after the block are strays: the loop drops them below.
        }
      } else {
        // A stray character (after a block, or before ours could have been answered): it still moves
        // the BGT reference, and while we wait to send it restarts the guard.
        this.#lastRxNs = now;
        if (line === 'guard') this.#armGuard();
        else if (line === 'drain' && ++this.#drained > 2 * BLOCK_MAX) {
          // A card that never falls silent: answer anyway rather than wait for ever.
          this.#uart.setDeadlines(0, 0);
          this.#events.failed('other', this.#drainError, 'no silence after an invalid block');
        }
      }
    }
  }

  handleError(error: CardCharError): void {
    const line = this.#line;
    if (error !== 'timeout') {
      if (line === 'rx') this.#rxCharError = true;
      return;
    }
    if (line === 'rx') {
      // §11.4.3: BWT passed without a character (nothing received) or CWT passed inside a block.
      if (this.#rxCount === 0) {
        if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, 'T=1 no block within BWT');
        this.#events.failed('mute', 'other', 'BWT timeout');
      } else {
        if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 block cut short after ${this.#rxCount} bytes (CWT)`);
        this.#events.failed(this.#rxCharError ? 'edc' : 'other', this.#rxCharError ? 'edc' : 'other', 'CWT timeout');
      }
    } else if (line === 'drain') {
      this.#events.failed(this.#drainError === 'edc' ? 'edc' : 'other', this.#drainError, 'invalid block');
    }
  }

  handleWritable(): void {
    if (this.#line === 'tx') this.#pump();
  }

  #setLine(state: T1LineState): void {
    if (!t1LineAllows(this.#line, state)) throw new Error(`T1Link: line ${this.#line} → ${state} is not in the table`);
    this.#line = state;
  }

  /** §11.2 BGT: start no earlier than 22 etu after the leading edge of the card's last character. */
  #armGuard(): void {
    if (this.#timer !== null) this.#scheduler.cancel(this.#timer);
    if (this.#line !== 'guard') this.#setLine('guard');
    const now = this.#scheduler.now();
    const at = this.#lastRxNs + this.#guardAfterRxEtu * this.#etuNs;
    this.#timer = this.#scheduler.at(at > now ? at : now, this.#guardEnded);
  }

  /** BGT has passed: the queued block goes out. Made once: nothing is allocated per block. */
  readonly #guardEnded = (): void => {
    this.#timer = null;
    this.#setLine('tx');
    this.#txPos = 0;
    this.#txStartNs = this.#scheduler.now();
    this.#events.started();
    this.#pump();
  };

  #pump(): void {
    const uart = this.#uart;
    // Room is read once, not per byte; what does not fit goes from handleWritable.
    const end = Math.min(this.#txLen, this.#txPos + uart.writable);
    while (this.#txPos < end) uart.write(this.tx[this.#txPos++]);
    if (this.#txPos < this.#txLen) return; // the rest from handleWritable
    if (!this.#events.sent()) return;
    this.#setLine('rx');
    this.#rxNotBefore = this.#txStartNs + ((this.#txLen - 1) * MIN_CHARACTER_ETU_T1 + BLOCK_GUARD_ETU) * this.#etuNs;
    this.#rxCount = 0;
    this.#rxExpected = 0;
    this.#rxCharError = false;
    uart.setDeadlines(this.#firstEtu, this.#cwtEtu);
  }

  #blockEnded(): void {
    this.#uart.setDeadlines(0, 0);
    if (this.#rxCharError) {
      // A character failed parity (or framing/overrun): the block is invalid whatever it says, and its
      // LEN may be wrong, so answer only once the line has been silent for CWT.
      this.#drain('edc');
      return;
    }
    const block = decodeBlock(this.#rx, this.#rxCount, this.#edc, this.#variant);
    if (this.#trace.mask & TraceCategory.PROTOCOL) {
      this.#trace.log(TraceCategory.PROTOCOL, `T=1 ← ${block.kind === 'invalid' ? `invalid (${block.error})` : describePcb(this.#rx[1])}`, this.#rx.subarray(0, Math.min(this.#rxCount, this.#rx.length)));
    }
    if (block.kind === 'invalid') {
      this.#drain(blockErrorKind(block.error));
      return;
    }
    this.#events.received(block);
  }

  #drain(error: RError): void {
    this.#drainError = error;
    this.#drained = 0;
    this.#setLine('drain');
    this.#uart.setDeadlines(this.#cwtEtu, this.#cwtEtu);
  }
}
