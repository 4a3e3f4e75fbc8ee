/**
 * The slot interface: the seam between the CCID class (or the host-side `sim` driver) and one
 * card session. A simulated slot can replace the whole ISO 7816-3 stack in CCID tests.
 * Everything completes through callbacks called from the scheduler's loop, never re-entrantly.
 */
import type { VoltageClass } from '../../hal/interfaces/card-contacts.js';

/**
 * Failures, named as the CCID bError values they become (CCID Rev 1.1 §6.2.6), so every layer
 * speaks one vocabulary and `sim --json` can print them as they are.
 */
export type SlotError =
  | 'CMD_ABORTED'
  | 'ICC_MUTE'
  | 'XFR_PARITY_ERROR'
  | 'XFR_OVERRUN'
  | 'HW_ERROR'
  | 'BAD_ATR_TS'
  | 'BAD_ATR_TCK'
  | 'ICC_PROTOCOL_NOT_SUPPORTED'
  | 'ICC_CLASS_NOT_SUPPORTED'
  | 'PROCEDURE_BYTE_CONFLICT'
  | 'DEACTIVATED_PROTOCOL'
  | 'BUSY_WITH_AUTO_SEQUENCE'
  | 'CMD_SLOT_BUSY';

/** Reader states of the reader-driver model (ISO 7816-3 §6 activation, §9 PPS). */
export type ReaderState = 'ABSENT' | 'PRESENT' | 'SWALLOWED' | 'POWERED' | 'NEGOTIABLE' | 'SPECIFIC';

/** The attributes a host can read (CCID Escape, Get/SetParameters), current values. */
export interface SlotAttributes {
  readonly state: ReaderState;
  readonly voltage: VoltageClass | null;
  readonly atr: Uint8Array | null;
  readonly protocol: 0 | 1 | null;
  /** TA1-style indices and their values in force now. */
  readonly fiIndex: number;
  readonly diIndex: number;
  readonly F: number;
  readonly D: number;
  /** Extra guard time N (TC1). */
  readonly N: number;
  /** T=0 waiting integer (TC2). */
  readonly WI: number;
  readonly clockHz: number;
  readonly clockStopped: boolean;
  /** T=1 parameters (meaningful when protocol = 1). */
  readonly ifsc: number;
  readonly ifsd: number;
  readonly bwi: number;
  readonly cwi: number;
  readonly edc: 'lrc' | 'crc';
  readonly nad: number;
}

export interface PowerOnResult {
  error: SlotError | null;
  atr: Uint8Array | null;
}

export interface TransmitResult {
  error: SlotError | null;
  /** The response (APDU response with SW1 SW2), or null on error. */
  response: Uint8Array | null;
}

export interface Slot {
  readonly attributes: SlotAttributes;
  /** Card present (debounced). */
  readonly present: boolean;
  /**
   * Cold reset if unpowered, warm reset if powered; then ATR, PPS and protocol set-up.
   * `voltage` 'auto' starts at the lowest class the board has and goes up as the ISO rules allow.
   */
  powerOn(voltage: 'auto' | VoltageClass, done: (result: PowerOnResult) => void): void;
  /** Deactivate (ISO 7816-3 §6.4). Harmless when already off. */
  powerOff(): void;
  /**
   * Send one APDU (short or extended) and get the response APDU. `onWaiting` is called while the card
   * asks for more time (T=0 NULL byte, T=1 WTX; `multiplier` ≥ 1) so the caller can send a CCID time
   * extension.
   */
  transmitApdu(apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void;
  /** Abandon the command in progress; its `done` is called with CMD_ABORTED. */
  abort(): void;
  /** Presence changes (debounced), for NotifySlotChange. */
  onPresence: ((present: boolean) => void) | null;
}
