/**
 * A transmission protocol (T=0 §10, T=1 §11) running over an open CardUart. The session owns the
 * UART (its callbacks are fixed at construction, ECMA-419) and forwards them to the transport in
 * force; a transport never opens or closes the UART itself.
 */
import type { CardCharError } from '../../hal/interfaces/card-uart.js';
import type { TransmitResult } from '../../hal/interfaces/slot.js';

export interface Transport {
  /** Forwarded CardUart onReadable. */
  handleReadable(): void;
  /** Forwarded CardUart onWritable (optional: a transport that never fills the UART may ignore it). */
  handleWritable?(): void;
  /** Forwarded CardUart onError. */
  handleError(error: CardCharError): void;
  /** Forwarded CardUart onWaiting (T=0: the card's NULL procedure byte). */
  handleWaiting?(): void;
  /** One APDU in, one response APDU out (APDU → TPDU mapping is the transport's). */
  transmitApdu(apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void;
  /** Abandon the exchange in progress: its `done` gets CMD_ABORTED; pending deadlines are cancelled. */
  abort(): void;
  /** Stop for good (deactivation, removal): cancel everything, call no callback. */
  close(): void;
}
