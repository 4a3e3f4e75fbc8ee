/**
 * T=0 exchange phases (ISO/IEC 7816-3 §10.3) as an explicit table: each phase lists the phases it
 * may enter. The character-level phases of a TPDU (header, procedure bytes, data in either
 * direction, SW1 SW2; §10.3.3) are the card UART's (CardUart `writeTpdu`); here a TPDU is either with
 * the UART or not. 'idle' is reachable from everywhere (completion, error, abort), so it is listed
 * once here rather than handled per phase.
 */
import { transitionLookup } from '../transitions.js';

export type T0Phase =
  /** No command in progress. */
  | 'idle'
  /** A command TPDU is with the card UART, until its SW1 SW2 (or an error) come back. */
  | 'tpdu';

export const T0_TRANSITIONS: Readonly<Record<T0Phase, readonly T0Phase[]>> = Object.freeze({
  idle: Object.freeze(['tpdu'] as T0Phase[]),
  // After SW1 SW2: the next TPDU of the same APDU (6Cxx, 61xx, ENVELOPE) or the end.
  tpdu: Object.freeze(['tpdu', 'idle'] as T0Phase[]),
});

const ALLOWED = transitionLookup(T0_TRANSITIONS);

/** Whether the table allows `from` → `to`. */
export function t0Allows(from: T0Phase, to: T0Phase): boolean {
  return ALLOWED[from][to] === true;
}
