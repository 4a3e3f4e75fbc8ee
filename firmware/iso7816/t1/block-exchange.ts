/**
 * One raw T=1 block out, the card's next block back: the CCID TPDU exchange level, where the host
 * runs ISO/IEC 7816-3 §11 itself and the reader only moves whole blocks. Framing is §11.3 (NAD PCB
 * LEN, LEN bytes of INF, 1 or 2 bytes of EDC); the EDC is the host's to check. Deadlines: the first
 * character within BWT (times CCID bBWI), the next ones within CWT (§11.4.3), kept by the UART.
 */
import type { CardCharError, CardUart } from '../../../hal/interfaces/card-uart.js';
import type { SlotError, TransmitResult } from '../../../hal/interfaces/slot.js';
import { BLOCK_MAX, blockLength } from './block.js';
import type { EdcKind } from './edc.js';

/** A character error as the host hears of it (CCID bError), when nobody below it recovers. */
export const CHAR_ERRORS: Readonly<Record<CardCharError, SlotError>> = Object.freeze({
  parity: 'XFR_PARITY_ERROR',
  framing: 'XFR_PARITY_ERROR',
  overrun: 'XFR_OVERRUN',
  timeout: 'ICC_MUTE',
});

export class T1BlockExchange {
  readonly #uart: CardUart;
  readonly #edc: EdcKind;
  readonly #rx = new Uint8Array(BLOCK_MAX);
  #tx: Uint8Array | null = null;
  #txPos = 0;
  #rxLength = 0;
  #done: ((result: TransmitResult) => void) | null = null;

  constructor(uart: CardUart, edc: EdcKind) {
    this.#uart = uart;
    this.#edc = edc;
  }

  get active(): boolean {
    return this.#done !== null;
  }

  /** Send `block` as is; `done` gets the card's next whole block. */
  start(block: Uint8Array, bwtEtu: number, cwtEtu: number, done: (result: TransmitResult) => void): void {
    this.#done = done;
    this.#tx = block;
    this.#txPos = 0;
    this.#rxLength = 0;
    this.#uart.flush();
    this.#uart.setDeadlines(bwtEtu, cwtEtu);
    this.handleWritable();
  }

  handleWritable(): void {
    const tx = this.#tx;
    if (!tx) return;
    while (this.#txPos < tx.length && this.#uart.writable > 0) this.#uart.write(tx[this.#txPos++]);
    if (this.#txPos === tx.length) this.#tx = null;
  }

  handleReadable(): void {
    for (;;) {
      const byte = this.#uart.read();
      if (byte === undefined || !this.#done) return;
      if (this.#rxLength === BLOCK_MAX) return this.#finish('XFR_OVERRUN', null);
      this.#rx[this.#rxLength++] = byte;
      if (this.#rxLength >= 3 && this.#rxLength === blockLength(this.#rx[2], this.#edc)) {
        return this.#finish(null, this.#rx.slice(0, this.#rxLength));
      }
    }
  }

  handleError(error: CardCharError): void {
    if (this.#done) this.#finish(CHAR_ERRORS[error], null);
  }

  /** Forget the exchange without a callback (abort, deactivation). */
  cancel(): void {
    this.#done = null;
    this.#tx = null;
  }

  #finish(error: SlotError | null, response: Uint8Array | null): void {
    const done = this.#done!;
    this.cancel();
    this.#uart.setDeadlines(0, 0);
    done({ error, response });
  }
}
