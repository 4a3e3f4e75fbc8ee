/**
 * Collects an Answer-to-Reset from the UART, character by character, until its own structure says
 * it is complete (atrRemaining, ISO/IEC 7816-3 §8.2) or cannot be an ATR. The session keeps the
 * timing (40 000-cycle window, 9600 etu between characters) and decodes the result.
 */
import type { CardUart } from '../../../hal/interfaces/card-uart.js';
import { atrRemaining } from './framing.js';
import type { SlotError } from '../../../hal/interfaces/slot.js';

/** §8.2: TS and at most 32 further characters. */
export const ATR_MAX = 33;

export type AtrReception =
  | { readonly kind: 'complete'; readonly atr: Uint8Array }
  | { readonly kind: 'failed'; readonly error: SlotError; readonly why: string };

export class AtrReceiver {
  readonly #buffer = new Uint8Array(ATR_MAX);
  #length = 0;

  reset(): void {
    this.#length = 0;
  }

  /** Characters received so far. */
  get length(): number {
    return this.#length;
  }

  /** Take the bytes the UART holds: null while more are needed; `atr` is a view of the buffer. */
  read(uart: CardUart): AtrReception | null {
    for (;;) {
      const byte = uart.read();
      if (byte === undefined) return null;
      // No complete ATR within the limits: the card is treated as mute, as for a missing one.
      if (this.#length === ATR_MAX) return { kind: 'failed', error: 'ICC_MUTE', why: 'ATR longer than 33 characters' };
      this.#buffer[this.#length++] = byte;
      const remaining = atrRemaining(this.#buffer, this.#length);
      if (remaining < 0) return { kind: 'failed', error: 'BAD_ATR_TS', why: `TS ${byte}` };
      if (remaining === 0) return { kind: 'complete', atr: this.#buffer.subarray(0, this.#length) };
    }
  }
}
