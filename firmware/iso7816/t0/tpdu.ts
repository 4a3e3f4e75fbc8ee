/**
 * One T=0 command TPDU, ISO/IEC 7816-3 §10.3, through the card UART's block level: the header CLA
 * INS P1 P2 P3 and the data to send go to the UART in one buffer (`writeTpdu`), which paces them by
 * the card's procedure bytes (§10.3.3: INS all the remaining bytes, INS ⊕ FF one, NULL more time)
 * and hands back the data received with SW1 SW2 in one piece. The bytes received accumulate in one
 * response buffer across the TPDUs of an APDU; what SW1 SW2 mean is the APDU mapping's business
 * (transport.ts). Nothing here runs per byte, and nothing is allocated per TPDU but the view of the
 * data sent.
 */
import type { CardUart } from '../../../hal/interfaces/card-uart.js';
import type { SlotError } from '../../../hal/interfaces/slot.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import { t0Allows, type T0Phase } from './states.js';

/** Data direction of a TPDU (§12.2: case 1, case 3 style, case 2 style). */
export type Direction = 'none' | 'out' | 'in';

/** A short TPDU's command data: at most 255 bytes after the 5-byte header. */
const COMMAND_MAX = 5 + 255;

export interface T0TpduEvents {
  /** SW1 SW2 ended the TPDU (the phase stays 'tpdu' until the next TPDU starts or the engine resets). */
  status(sw1: number, sw2: number): void;
  /** The TPDU cannot go on: a procedure byte conflict, or the response buffer overran. */
  failed(error: SlotError): void;
}

export class T0TpduEngine {
  /** The header then the data to send, as the UART takes them. */
  readonly #command = new Uint8Array(COMMAND_MAX);
  /** CLA INS P1 P2 P3 of the TPDU: the mapping writes CLA INS P1 P2, `start` writes P3. */
  readonly header = this.#command.subarray(0, 5);
  readonly #uart: CardUart;
  readonly #trace: Trace;
  readonly #events: T0TpduEvents;
  readonly #response: Uint8Array;

  #phase: T0Phase = 'idle';
  /** WT in etu (times the TPDU level's multiplier) for every TPDU of the APDU (§10.2). */
  #waitEtu = 0;
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

  /**
   * A new APDU (or raw TPDU): the response starts empty; every character of the card is due within
   * `waitEtu` of the previous one; the card's NULL bytes go to `onWaiting`.
   */
  begin(waitEtu: number, onWaiting: ((multiplier: number) => void) | undefined): void {
    this.#responseLength = 0;
    this.#waitEtu = waitEtu;
    this.#onWaiting = onWaiting;
  }

  /**
   * Send `header` with P3 = `count` (mod 256) and move `count` data bytes in `direction`: out from
   * `source` at `offset`, in to the response.
   */
  start(direction: Direction, count: number, source: Uint8Array, offset: number): void {
    const command = this.#command;
    command[4] = count & 0xff;
    let length = 5;
    if (direction === 'out' && count > 0) {
      command.set(source.subarray(offset, offset + count), 5);
      length += count;
    }
    this.#tpduStart = this.#responseLength;
    this.#go('tpdu');
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'T=0 header', this.header);
    this.#uart.writeTpdu(command, length, direction === 'in' ? count : 0, this.#waitEtu);
  }

  /** Forget the data the TPDU in progress received (before resending it, §12.2.2 6Cxx). */
  dropTpduData(): void {
    this.#responseLength = this.#tpduStart;
  }

  /** Append SW1 SW2 to the response and return a view of it (slot.ts TransmitResult); null when it does not fit. */
  finalResponse(sw1: number, sw2: number): Uint8Array | null {
    if (this.#responseLength + 2 > this.#response.length) return null;
    this.#response[this.#responseLength++] = sw1;
    this.#response[this.#responseLength++] = sw2;
    return this.#response.subarray(0, this.#responseLength);
  }

  /** No TPDU in progress. */
  reset(): void {
    this.#phase = 'idle';
    this.#onWaiting = undefined;
  }

  /** The UART's result of the TPDU in progress: the data received, then SW1 SW2 or a conflicting byte. */
  handleReadable(): void {
    const response = this.#response;
    const at = this.#responseLength;
    const n = this.#uart.readBlock(response, at);
    if (n === 0) return;
    if (at + n > response.length) return this.#events.failed('XFR_OVERRUN');
    if (this.#uart.blockEnd === 'complete') {
      this.#responseLength = at + n - 2;
      return this.#events.status(response[at + n - 2], response[at + n - 1]);
    }
    // §10.3.3: in the place of a procedure byte, one that is none (or the card spoke before the
    // reader had sent its part).
    if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=0: procedure byte ${response[at + n - 1]} for INS ${this.header[1]}`);
    this.#events.failed('PROCEDURE_BYTE_CONFLICT');
  }

  /** §10.3.3 NULL: the card asks for more time (the UART restarted WT). */
  handleWaiting(): void {
    this.#onWaiting?.(1);
  }

  #go(to: T0Phase): void {
    const from = this.#phase;
    if (!t0Allows(from, to)) throw new Error(`T=0 phase ${from} → ${to} not in the table`);
    this.#phase = to;
  }
}
