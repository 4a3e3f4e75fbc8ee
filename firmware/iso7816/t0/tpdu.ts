/**
 * One T=0 command TPDU on the line, ISO/IEC 7816-3 §10.3: the header CLA INS P1 P2 P3 goes out, then
 * the card's procedure bytes (§10.3.3) pace the data — INS: all the remaining bytes, INS ⊕ FF: one,
 * NULL: more time — until SW1 SW2. The bytes received accumulate in one response buffer across the
 * TPDUs of an APDU; what SW1 SW2 mean is the APDU mapping's business (transport.ts). Work waiting time
 * and character repetition are the card UART's. Nothing is allocated per byte.
 */
import type { CardUart } from '../../../hal/interfaces/card-uart.js';
import type { SlotError } from '../../../hal/interfaces/slot.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import { t0Allows, type T0Phase } from './states.js';

/** §10.3.3 procedure byte NULL: the card asks for more time; WT restarts. */
const NULL_BYTE = 0x60;

/** Data direction of a TPDU (§12.2: case 1, case 3 style, case 2 style). */
export type Direction = 'none' | 'out' | 'in';

export interface T0TpduEvents {
  /** SW1 SW2 ended the TPDU (the phase is 'sw2' until the next TPDU starts or the engine resets). */
  status(sw1: number, sw2: number): void;
  /** The TPDU cannot go on: a procedure byte conflict, or the response buffer overran. */
  failed(error: SlotError): void;
}

export class T0TpduEngine {
  /** CLA INS P1 P2 P3 of the TPDU: the mapping writes CLA INS P1 P2, `start` writes P3. */
  readonly header = new Uint8Array(5);
  readonly #uart: CardUart;
  readonly #trace: Trace;
  readonly #events: T0TpduEvents;
  readonly #response: Uint8Array;

  #phase: T0Phase = 'idle';
  #direction: Direction = 'none';
  /** Data bytes of the TPDU still to move in its direction. */
  #remaining = 0;
  /** The command bytes the TPDU's data comes from, and the next one to send. */
  #source: Uint8Array = this.header;
  #outPos = 0;
  /** Bytes queued for the UART: #txSource[#txPos … #txEnd − 1]. */
  #txSource: Uint8Array = this.header;
  #txPos = 0;
  #txEnd = 0;
  /** INS ⊕ FF: move one byte, then expect another procedure byte. */
  #oneByte = false;
  #sw1 = 0;
  #responseLength = 0;
  /** #responseLength when the TPDU began, so a resend can drop that TPDU's data. */
  #tpduStart = 0;
  #onWaiting: ((multiplier: number) => void) | undefined = undefined;

  constructor(uart: CardUart, trace: Trace, maxResponseLength: number, events: T0TpduEvents) {
    this.#uart = uart;
    this.#trace = trace;
    this.#response = new Uint8Array(maxResponseLength);
    this.#events = events;
  }

  get phase(): T0Phase {
    return this.#phase;
  }

  /** Response bytes received so far, over every TPDU since `begin`. */
  get responseLength(): number {
    return this.#responseLength;
  }

  /** A new APDU (or raw TPDU): the response starts empty; the card's NULL bytes go to `onWaiting`. */
  begin(onWaiting: ((multiplier: number) => void) | undefined): void {
    this.#responseLength = 0;
    this.#onWaiting = onWaiting;
  }

  /**
   * Send `header` with P3 = `count` (mod 256) and move `count` data bytes in `direction`: out from
   * `source` at `offset`, in to the response.
   */
  start(direction: Direction, count: number, source: Uint8Array, offset: number): void {
    this.#direction = direction;
    this.#remaining = count;
    this.header[4] = count & 0xff;
    this.#source = source;
    this.#outPos = offset;
    this.#tpduStart = this.#responseLength;
    this.#go('header');
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'T=0 header', this.header);
    this.#queue(this.header, 0, 5);
  }

  /** Forget the data the TPDU in progress received (before resending it, §12.2.2 6Cxx). */
  dropTpduData(): void {
    this.#responseLength = this.#tpduStart;
  }

  /** Append SW1 SW2 to the response and return a copy of it; null when it does not fit. */
  finalResponse(sw1: number, sw2: number): Uint8Array | null {
    if (this.#responseLength + 2 > this.#response.length) return null;
    this.#response[this.#responseLength++] = sw1;
    this.#response[this.#responseLength++] = sw2;
    return this.#response.slice(0, this.#responseLength);
  }

  /** No TPDU in progress. */
  reset(): void {
    this.#phase = 'idle';
    this.#onWaiting = undefined;
    this.#txPos = this.#txEnd = 0;
  }

  handleWritable(): void {
    if (this.#phase === 'header' || this.#phase === 'sending') this.#pump();
  }

  /** One byte from the card while a TPDU is in progress. */
  receive(byte: number): void {
    switch (this.#phase) {
      case 'procedure':
        return this.#procedure(byte);
      case 'receiving':
        if (this.#responseLength >= this.#response.length) return this.#events.failed('XFR_OVERRUN');
        this.#response[this.#responseLength++] = byte;
        this.#remaining--;
        if (this.#oneByte || this.#remaining === 0) this.#go('procedure');
        return;
      case 'sw2':
        return this.#events.status(this.#sw1, byte);
      default:
        // 'header' or 'sending': the card spoke before the reader finished its part.
        if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=0: byte ${byte} while ${this.#phase}`);
        this.#events.failed('PROCEDURE_BYTE_CONFLICT');
    }
  }

  #queue(source: Uint8Array, start: number, end: number): void {
    this.#txSource = source;
    this.#txPos = start;
    this.#txEnd = end;
    this.#pump();
  }

  /** Feed the UART while it has room (write() throws when full; onWritable resumes). */
  #pump(): void {
    const uart = this.#uart;
    while (this.#txPos < this.#txEnd && uart.writable > 0) uart.write(this.#txSource[this.#txPos++]);
    if (this.#txPos === this.#txEnd) this.#go('procedure');
  }

  /** §10.3.3 procedure bytes: NULL, SW1 (6X ≠ 60, 9X), INS, INS ⊕ FF; anything else is a conflict. */
  #procedure(byte: number): void {
    if (byte === NULL_BYTE) {
      this.#onWaiting?.(1);
      return;
    }
    const high = byte & 0xf0;
    if (high === 0x60 || high === 0x90) {
      this.#sw1 = byte;
      this.#go('sw2');
      return;
    }
    const ins = this.header[1];
    if (byte !== ins && byte !== (ins ^ 0xff)) {
      if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=0: procedure byte ${byte} for INS ${ins}`);
      return this.#events.failed('PROCEDURE_BYTE_CONFLICT');
    }
    // An acknowledgement with nothing left to move only restarts the wait for the next procedure byte.
    if (this.#remaining === 0) return;
    this.#oneByte = byte !== ins;
    if (this.#direction === 'in') {
      this.#go('receiving');
      return;
    }
    const count = this.#oneByte ? 1 : this.#remaining;
    this.#remaining -= count;
    this.#outPos += count;
    this.#go('sending');
    this.#queue(this.#source, this.#outPos - count, this.#outPos);
  }

  #go(to: T0Phase): void {
    const from = this.#phase;
    if (!t0Allows(from, to)) throw new Error(`T=0 phase ${from} → ${to} not in the table`);
    this.#phase = to;
  }
}
