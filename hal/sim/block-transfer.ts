/**
 * The block level of a card UART (hal/interfaces/card-uart.ts `writeBlock`, `writeTpdu`,
 * `readBlock`) over any byte-level line: what the ESP32-S3 driver does in C (card-uart.c), here in
 * TypeScript for the simulated board's UART and for host doubles. It sends the reader's part, takes
 * the card's characters as they are decided, and ends each transfer once:
 * - T=1 (ISO/IEC 7816-3 §11.3, §11.4): the block goes out with its epilogue appended; the card's
 *   block is framed by its LEN and its EDC checked (§11.4.4).
 * - T=0 (§10.3): the header goes out, then the card's procedure bytes (§10.3.3) pace the data —
 *   NULL (the line's user is told), INS (all the remaining data), INS ⊕ FF (one byte) — until SW1
 *   SW2, or a byte that is none of these.
 * Guard times, BGT, the error signal and the deadlines stay the line's (its `deadlines` are the
 * CardUart's `setDeadlines`). Nothing is allocated per byte or per transfer.
 */
import type { BlockEdc, BlockEnd } from '../interfaces/card-uart.js';
import { appendEdc, edcBytes, edcChecks } from '../common/edc.js';

/** §10.3.3 procedure byte NULL. */
const NULL_BYTE = 0x60;
/** The largest transfer either way: a T=1 block with LEN 255 and a CRC (§11.3), or T=0's 5 + 255 out, 256 + 2 in. */
export const TRANSFER_MAX = 3 + 255 + 2;

/** What the transfer needs from the line below it. */
export interface TransferLine {
  /** Queue one character (logical value) behind those already queued. */
  send(byte: number): void;
  /** Queue `count` characters of `bytes` from `from`, as `send` does each (a line may take them at once). */
  sendBytes?(bytes: Uint8Array, from: number, count: number): void;
  /** The reader still has characters queued or on the line. */
  readonly sending: boolean;
  /** Arm (or, with 0 and 0, disarm) the receive deadlines, as CardUart.setDeadlines does. */
  deadlines(firstEtu: number, nextEtu: number): void;
  /** The transfer ended with a result to read (an onReadable is owed). */
  ended(): void;
  /** T=0: the card sent NULL. */
  waiting(): void;
}

type State =
  /** No transfer: the card's characters are the line's bytes. */
  | 'idle'
  /** T=1: the reader's block is going out, or the card's is coming in. */
  | 't1'
  /** T=0: a procedure byte is due (or the reader's part is still going out). */
  | 'procedure'
  /** T=0: data bytes from the card. */
  | 'receiving'
  /** T=0: SW1 came, SW2 is due. */
  | 'sw2';

export class BlockTransfer {
  readonly #line: TransferLine;
  readonly #edc: BlockEdc;
  readonly #tx = new Uint8Array(TRANSFER_MAX);
  readonly #rx = new Uint8Array(TRANSFER_MAX);
  #state: State = 'idle';
  #rxCount = 0;
  #rxExpected = 0;
  /** A result is waiting for readBlock. */
  #ready = false;
  #end: BlockEnd = 'cut';
  // T=0
  #ins = 0;
  #sw1 = 0;
  /** Data bytes still to move, to the card (#out) or from it. */
  #remaining = 0;
  #out = false;
  #txPos = 0;
  /** Data bytes of the current INS ⊕ FF or INS step still to receive. */
  #step = 0;

  constructor(line: TransferLine, edc: BlockEdc) {
    this.#line = line;
    this.#edc = edc;
  }

  /** A transfer is in progress: the card's characters belong to it. */
  get active(): boolean {
    return this.#state !== 'idle';
  }

  get end(): BlockEnd {
    return this.#end;
  }

  /**
   * How many of the card's next characters `receive` takes without a reaction (nothing sent,
   * nothing ended, no look at the clock): the middle of a T=1 block (all but its last character),
   * the data of a T=0 step. The line may hand these over after the fact.
   */
  get absorbable(): number {
    switch (this.#state) {
      case 't1':
        if (this.#line.sending) return 0;
        return this.#rxCount < 3 ? 3 - this.#rxCount : this.#rxExpected - this.#rxCount - 1;
      case 'receiving':
        return this.#step;
      default:
        return 0;
    }
  }

  /** The length of the result waiting for readBlock (0: none). */
  get pending(): number {
    return this.#ready ? this.#rxCount : 0;
  }

  writeBlock(block: Uint8Array, length: number, addEdc: boolean, waitEtu: number, characterEtu: number): void {
    const total = length + (addEdc ? edcBytes(this.#edc) : 0);
    if (!(length >= 0) || total > TRANSFER_MAX || length > block.length) throw new RangeError('CardUart: block too long');
    this.abandon();
    const tx = this.#tx;
    tx.set(length === block.length ? block : block.subarray(0, length));
    if (addEdc) appendEdc(this.#edc, tx, length);
    this.#send(tx, 0, total);
    if (waitEtu > 0) {
      this.#state = 't1';
      this.#rxCount = 0;
      this.#rxExpected = 0;
      this.#line.deadlines(waitEtu, characterEtu);
    }
  }

  writeTpdu(command: Uint8Array, length: number, expected: number, waitEtu: number): void {
    if (!(length >= 5) || length > 5 + 255 || length > command.length || !(expected >= 0 && expected <= 256) || (length > 5 && expected > 0)) {
      throw new RangeError('CardUart: not a T=0 command TPDU');
    }
    this.abandon();
    this.#tx.set(length === command.length ? command : command.subarray(0, length));
    this.#ins = this.#tx[1];
    this.#out = length > 5;
    this.#remaining = this.#out ? length - 5 : expected;
    this.#txPos = 5;
    this.#rxCount = 0;
    this.#state = 'procedure';
    this.#send(this.#tx, 0, 5);
    this.#line.deadlines(waitEtu, waitEtu);
  }

  /**
   * A character from the card (after T=0's repetitions). Returns false when it belongs to no
   * transfer (a stray for the byte level).
   */
  receive(byte: number): boolean {
    switch (this.#state) {
      case 'idle':
        return false;
      case 't1':
        // Characters before the reader's block is out are strays from before it (§11.2 BGT counts from them).
        if (this.#line.sending) return false;
        if (this.#rxCount < TRANSFER_MAX) this.#rx[this.#rxCount] = byte;
        this.#rxCount++;
        if (this.#rxCount === 3) this.#rxExpected = 3 + byte + edcBytes(this.#edc);
        if (this.#rxCount === this.#rxExpected) this.#finish(edcChecks(this.#edc, this.#rx, this.#rxCount) ? 'complete' : 'bad-edc');
        return true;
      case 'procedure':
        this.#procedure(byte);
        return true;
      case 'receiving':
        this.#rx[this.#rxCount++] = byte;
        this.#remaining--;
        if (--this.#step === 0) this.#state = 'procedure';
        return true;
      case 'sw2':
        this.#rx[this.#rxCount++] = this.#sw1;
        this.#rx[this.#rxCount++] = byte;
        this.#finish('complete');
        return true;
    }
  }

  /**
   * A character error or a deadline (CardUart onError): in T=0 any ends the transfer, in T=1 only a
   * deadline does. Returns whether a transfer ended.
   */
  interrupted(timeout: boolean): boolean {
    if (this.#state === 'idle' || (this.#state === 't1' && !timeout)) return false;
    this.#finish('cut', false);
    return true;
  }

  /** Copy the result out (see CardUart.readBlock). */
  readBlock(into: Uint8Array, offset: number): number {
    if (!this.#ready) return 0;
    this.#ready = false;
    const n = Math.min(this.#rxCount, TRANSFER_MAX, into.length - offset);
    if (n > 0) into.set(this.#rx.subarray(0, n), offset);
    return this.#rxCount;
  }

  /** Forget the transfer in progress and any unread result. */
  abandon(): void {
    if (this.#state !== 'idle') this.#line.deadlines(0, 0);
    this.#state = 'idle';
    this.#ready = false;
  }

  /** §10.3.3: NULL, SW1 (6X but 60, 9X), INS, INS ⊕ FF; anything else ends the TPDU as a conflict. */
  #procedure(byte: number): void {
    if (this.#line.sending) {
      // The card spoke before the reader finished its part.
      this.#rx[this.#rxCount++] = byte;
      this.#finish('conflict');
      return;
    }
    if (byte === NULL_BYTE) {
      this.#line.waiting();
      return;
    }
    const high = byte & 0xf0;
    if (high === 0x60 || high === 0x90) {
      this.#sw1 = byte;
      this.#state = 'sw2';
      return;
    }
    const ins = this.#ins;
    if (byte !== ins && byte !== (ins ^ 0xff)) {
      this.#rx[this.#rxCount++] = byte;
      this.#finish('conflict');
      return;
    }
    // An acknowledgement with nothing left to move only restarts the wait for the next procedure byte.
    if (this.#remaining === 0) return;
    const count = byte === ins ? this.#remaining : 1;
    if (!this.#out) {
      this.#step = count;
      this.#state = 'receiving';
      return;
    }
    this.#remaining -= count;
    this.#send(this.#tx, this.#txPos, count);
    this.#txPos += count;
  }

  #send(bytes: Uint8Array, from: number, count: number): void {
    const line = this.#line;
    if (line.sendBytes) line.sendBytes(bytes, from, count);
    else for (let i = 0; i < count; i++) line.send(bytes[from + i]);
  }

  #finish(end: BlockEnd, notify = true): void {
    this.#line.deadlines(0, 0);
    this.#state = 'idle';
    this.#end = end;
    this.#ready = true;
    if (notify) this.#line.ended();
  }
}
