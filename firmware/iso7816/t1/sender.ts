/**
 * What the reader sends on a T=1 link (ISO/IEC 7816-3 §11.6): the command as a chain of I-blocks of
 * at most IFSC bytes (rules 2, 5), R-blocks, S-blocks; the sequence numbers N(S) of the reader's
 * next I-block and N(S) expected from the card (rule 1: both 0 at first, rule 6.3: back to 0 after
 * resynchronisation); and the last block sent, kept as its parameters so it can be rebuilt for a
 * retransmission (rules 7.1–7.3). Blocks are encoded into the line's buffer, never allocated, and
 * without their EDC: the card UART appends it (CardUart `writeBlock`).
 */
import { INF_MAX, encodeIPrologue, encodeRPrologue, encodeSPrologue, type RError, type SType } from './block.js';
import type { T1BlockLine } from './block-line.js';

/** The kind of the reader's last block. */
export type LastSent = 'I' | 'R' | 'S';

export class T1Sender {
  readonly #line: T1BlockLine;
  readonly #nad: number;
  /** Hands an encoded block of that length to the line (the link adds the BWT in force). */
  readonly #queue: (length: number) => void;

  /** N(S) of the reader's next I-block, and the N(S) expected from the card (the N(R) it sends). */
  ns: 0 | 1 = 0;
  nr: 0 | 1 = 0;
  /** The card's IFSC in force: the largest information field the reader sends. */
  ifsc: number;

  #command: Uint8Array | null = null;
  #offset = 0;
  #chunkLength = 0;
  #chaining = false;

  #last: LastSent = 'I';
  #lastR: RError = 'none';
  #lastSType: SType = 'IFS';
  #lastSResponse = false;
  #lastSValue: number | null = null;

  constructor(line: T1BlockLine, nad: number, ifsc: number, queue: (length: number) => void) {
    this.#line = line;
    this.#nad = nad;
    this.ifsc = ifsc;
    this.#queue = queue;
  }

  /** The last I-block sent has more of the command after it (M-bit set). */
  get chaining(): boolean {
    return this.#chaining;
  }

  get last(): LastSent {
    return this.#last;
  }

  get lastR(): RError {
    return this.#lastR;
  }

  /** Send `command` from its start, in I-blocks. */
  startCommand(command: Uint8Array): void {
    this.#command = command;
    this.#offset = 0;
    this.sendI();
  }

  /** Rule 2 / rule 5: the card acknowledged the last I-block: N(S) advances past it. */
  acknowledged(): void {
    this.ns ^= 1;
    this.#offset += this.#chunkLength;
  }

  /** The I-block at the current offset (again, after an error; or the next one, after acknowledged()). */
  sendI(): void {
    const command = this.#command!;
    const remaining = command.length - this.#offset;
    const size = this.ifsc < INF_MAX ? this.ifsc : INF_MAX;
    this.#chunkLength = remaining > size ? size : remaining;
    this.#chaining = remaining > size;
    this.#last = 'I';
    this.#queue(encodeIPrologue(this.#line.tx, this.#nad, this.ns, this.#chaining, command, this.#offset, this.#chunkLength));
  }

  sendR(error: RError): void {
    this.#last = 'R';
    this.#lastR = error;
    this.#queue(encodeRPrologue(this.#line.tx, this.#nad, this.nr, error));
  }

  sendS(type: SType, response: boolean, value: number | null): void {
    this.#last = 'S';
    this.#lastSType = type;
    this.#lastSResponse = response;
    this.#lastSValue = value;
    this.#queue(encodeSPrologue(this.#line.tx, this.#nad, type, response, value));
  }

  /** Rebuild and send the last block again (rules 7.2, 7.3; the card's R-block asking for it). */
  resendLast(): void {
    if (this.#last === 'I') this.sendI();
    else if (this.#last === 'R') this.sendR(this.#lastR);
    else this.sendS(this.#lastSType, this.#lastSResponse, this.#lastSValue);
  }

  /** The exchange ended: the command is no longer referenced. */
  clear(): void {
    this.#command = null;
  }
}
