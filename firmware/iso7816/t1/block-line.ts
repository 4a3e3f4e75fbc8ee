/**
 * The T=1 link's hold on the I/O line (ISO/IEC 7816-3 §11.2, §11.4.3), through the card UART's block
 * level: one block at a time goes to the UART (`writeBlock`), which appends its EDC, sends it no
 * earlier than BGT after the card's last character, and receives the card's block — BWT for its first
 * character, CWT between the others, framed by its LEN, its EDC checked — handing it back whole. An
 * invalid block (or one with a character error) is answered only once the line has been silent for
 * CWT, since its LEN may be wrong. The line states are an explicit table (states.ts); the rules of
 * §11.6 that decide which block to send are the link's (exchange.ts). Nothing here runs per byte.
 */
import type { CardCharError, CardUart } from '../../../hal/interfaces/card-uart.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import { BLOCK_MAX, decodeCheckedBlock, describePcb, type BlockError, type RError, type T1Block } from './block.js';
import type { EdcKind } from './edc.js';
import { T1_LINE_ALLOWED, type T1LineState } from './states.js';

/** How a failed reception looked, for the error named when resynchronisation gives up. */
export type Failure = 'mute' | 'edc' | 'other';

export interface T1BlockLineEvents {
  /** The reader's block goes to the UART (it leaves once BGT has passed); absent when nobody needs to know. */
  started?(): void;
  /**
   * The reader's block is the UART's. Return false when no answer is to be awaited (the link ended
   * the exchange, rule 9); true to receive the card's block.
   */
  sent(): boolean;
  /** A whole block passed framing, EDC and PCB checks (`received` holds its bytes until the next one). */
  received(block: T1Block): void;
  /** No valid block: none within BWT, one cut short (CWT), an invalid one, or no silence after it. */
  failed(failure: Failure, error: RError, why: string): void;
}

export interface T1BlockLineOptions {
  /** Opened with the link's EDC (CardUartOptions.edc): it appends and checks the epilogue. */
  uart: CardUart;
  trace: Trace;
  edc: EdcKind;
  /** CWT in etu of the rate in force. */
  cwtEtu: number;
  /** Where the card's blocks are read (infAt; room for a whole block after the last place): the line's own buffer by default. */
  rx?: Uint8Array;
  events: T1BlockLineEvents;
}

function blockErrorKind(error: BlockError): RError {
  return error === 'bad-edc' ? 'edc' : 'other';
}

export class T1BlockLine {
  /** The block to send, without its EDC: the link encodes into it, then calls send(). */
  readonly tx = new Uint8Array(BLOCK_MAX);
  readonly #rx = new Uint8Array(BLOCK_MAX + 1);
  readonly #uart: CardUart;
  readonly #trace: Trace;
  readonly #edc: EdcKind;
  readonly #cwtEtu: number;
  readonly #events: T1BlockLineEvents;

  #line: T1LineState = 'idle';
  #rxCharError = false;
  /** Why the block being drained is invalid. */
  #drainError: RError = 'other';
  /** Characters received while draining. */
  #drained = 0;
  /**
   * Where the card's next block is read: its INF at `infAt` (≥ 3) of the options' `rx`, so that an
   * I-block's data lands where the caller keeps it and needs no copy. The 3 bytes the prologue covers
   * are put back before the block is handed on. A field, not a method: it moves with every block.
   */
  infAt = 3;
  readonly #into: Uint8Array;
  #kept0 = 0;
  #kept1 = 0;
  #kept2 = 0;
  #pcb = 0;

  constructor(options: T1BlockLineOptions) {
    this.#uart = options.uart;
    this.#trace = options.trace;
    this.#edc = options.edc;
    this.#cwtEtu = options.cwtEtu;
    this.#events = options.events;
    this.#into = options.rx ?? this.#rx;
  }

  get state(): T1LineState {
    return this.#line;
  }

  /** The PCB of the last block received, for traces. */
  get receivedPcb(): number {
    return this.#pcb;
  }

  /**
   * Send the `length` bytes encoded in `tx` (the UART adds the EDC and waits for BGT); the answer's
   * first character is due within `firstEtu` (0: no answer is awaited).
   */
  send(length: number, firstEtu: number): void {
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 → ${describePcb(this.tx[1])}`, this.tx.subarray(0, length));
    this.#events.started?.();
    this.#uart.writeBlock(this.tx, length, true, firstEtu, this.#cwtEtu);
    if (!this.#events.sent()) return;
    this.#setLine('rx');
    this.#rxCharError = false;
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

  /** Abandon the block transfer and the receive deadlines. */
  silence(): void {
    this.#uart.flush();
    this.#uart.setDeadlines(0, 0);
  }

  /** An arrow: T1Link hands it to the session as its own (one call per block). */
  readonly handleReadable = (): void => {
    const uart = this.#uart;
    const into = this.#into;
    const at = this.infAt - 3;
    if (at > 0) {
      this.#kept0 = into[at];
      this.#kept1 = into[at + 1];
      this.#kept2 = into[at + 2];
    }
    const n = uart.readBlock(into, at);
    if (n > 0 && this.#line === 'rx') this.#blockEnded(n, into, at);
    else if (at > 0) this.#putBack(into, at);
    // Characters outside a transfer: strays (after a block, or before ours went out). The UART's BGT
    // already counts from them.
    for (let byte = uart.read(); byte !== undefined; byte = uart.read()) {
      if (this.#line === 'drain' && ++this.#drained > 2 * BLOCK_MAX) {
        // A card that never falls silent: answer anyway rather than wait for ever.
        uart.setDeadlines(0, 0);
        this.#events.failed('other', this.#drainError, 'no silence after an invalid block');
      }
    }
  };

  handleError(error: CardCharError): void {
    const line = this.#line;
    if (error !== 'timeout') {
      if (line === 'rx') this.#rxCharError = true;
      return;
    }
    if (line === 'rx') {
      // §11.4.3: BWT passed without a character (nothing received) or CWT passed inside a block.
      const received = this.#uart.readBlock(this.#rx, 0);
      if (received === 0) {
        if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, 'T=1 no block within BWT');
        this.#events.failed('mute', 'other', 'BWT timeout');
      } else {
        if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 block cut short after ${received} bytes (CWT)`);
        this.#events.failed(this.#rxCharError ? 'edc' : 'other', this.#rxCharError ? 'edc' : 'other', 'CWT timeout');
      }
    } else if (line === 'drain') {
      this.#events.failed(this.#drainError === 'edc' ? 'edc' : 'other', this.#drainError, 'invalid block');
    }
  }

  #setLine(state: T1LineState): void {
    if (state !== 'closed' && T1_LINE_ALLOWED[this.#line][state] !== true) throw new Error(`T1Link: line ${this.#line} → ${state} is not in the table`);
    this.#line = state;
  }

  /** The bytes the last block's prologue covered, back in their place. */
  #putBack(into: Uint8Array, at: number): void {
    into[at] = this.#kept0;
    into[at + 1] = this.#kept1;
    into[at + 2] = this.#kept2;
  }

  #blockEnded(length: number, into: Uint8Array, at: number): void {
    const edcOk = this.#uart.blockEnd === 'complete';
    this.#pcb = length >= 2 ? into[at + 1] : 0;
    if (this.#rxCharError || !edcOk) {
      if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 ← invalid (${this.#rxCharError ? 'character error' : 'bad-edc'})`, into.subarray(at, Math.min(at + length, into.length)));
      if (at > 0) this.#putBack(into, at);
      // A character failed parity (or framing/overrun), or the EDC does not check: the block is
      // invalid whatever it says, and its LEN may be wrong, so answer only once the line has been
      // silent for CWT.
      this.#drain('edc');
      return;
    }
    const block = decodeCheckedBlock(into, length, this.#edc, at);
    if (this.#trace.mask & TraceCategory.PROTOCOL) {
      this.#trace.log(TraceCategory.PROTOCOL, `T=1 ← ${block.kind === 'invalid' ? `invalid (${block.error})` : describePcb(this.#pcb)}`, into.subarray(at, Math.min(at + length, into.length)));
    }
    if (at > 0) this.#putBack(into, at);
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
