/**
 * One raw T=1 block out, the card's next block back: the CCID TPDU exchange level, where the host
 * runs ISO/IEC 7816-3 §11 itself and the reader only moves whole blocks. Framing is §11.3 (NAD PCB
 * LEN, LEN bytes of INF, 1 or 2 bytes of EDC), done by the card UART's block level; the EDC is the
 * host's to check, so the block goes out as given and comes back whatever its EDC. Deadlines: the
 * first character within BWT (times CCID bBWI), the next ones within CWT (§11.4.3), kept by the UART.
 */
import type { CardCharError, CardUart } from '../../../hal/interfaces/card-uart.js';
import type { Scheduler } from '../../../hal/interfaces/scheduler.js';
import type { SlotError, TransmitResult } from '../../../hal/interfaces/slot.js';
import { BLOCK_MAX } from './block.js';

/** A character error as the host hears of it (CCID bError), when nobody below it recovers. */
export const CHAR_ERRORS: Readonly<Record<CardCharError, SlotError>> = Object.freeze({
  parity: 'XFR_PARITY_ERROR',
  framing: 'XFR_PARITY_ERROR',
  overrun: 'XFR_OVERRUN',
  timeout: 'ICC_MUTE',
});

export class T1BlockExchange {
  readonly #uart: CardUart;
  readonly #scheduler: Scheduler;
  /** The largest block §11.3 frames: LEN 255 (invalid, but framed) and a CRC. */
  readonly #rx = new Uint8Array(BLOCK_MAX + 1);
  #done: ((result: TransmitResult) => void) | null = null;

  constructor(uart: CardUart, scheduler: Scheduler) {
    this.#uart = uart;
    this.#scheduler = scheduler;
  }

  get active(): boolean {
    return this.#done !== null;
  }

  /** Send `block` as is; `done` gets the card's next whole block. */
  start(block: Uint8Array, bwtEtu: number, cwtEtu: number, done: (result: TransmitResult) => void): void {
    this.#uart.flush();
    if (block.length > this.#rx.length) {
      // Longer than any block §11.3 frames: nothing goes to the card (delivered from the loop, slot.ts).
      this.#scheduler.at(this.#scheduler.now(), () => done({ error: 'BAD_APDU_LENGTH', response: null }));
      return;
    }
    this.#done = done;
    this.#uart.writeBlock(block, block.length, false, bwtEtu, cwtEtu);
  }

  handleReadable(): void {
    const n = this.#uart.readBlock(this.#rx, 0);
    while (this.#uart.read() !== undefined); // strays outside the transfer
    if (n === 0 || !this.#done) return;
    if (n > this.#rx.length) return this.#finish('XFR_OVERRUN', null);
    this.#finish(null, this.#rx.slice(0, n));
  }

  handleError(error: CardCharError): void {
    if (this.#done) this.#finish(CHAR_ERRORS[error], null);
  }

  /** Forget the exchange without a callback (abort, deactivation). */
  cancel(): void {
    this.#done = null;
  }

  #finish(error: SlotError | null, response: Uint8Array | null): void {
    const done = this.#done!;
    this.cancel();
    this.#uart.flush();
    done({ error, response });
  }
}
