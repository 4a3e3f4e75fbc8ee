/**
 * T=0 exchange phases (ISO/IEC 7816-3 §10.3) as an explicit table: each phase lists the phases it
 * may enter. 'idle' is reachable from everywhere (completion, error, abort), so it is listed once
 * here rather than handled per phase.
 */
export type T0Phase =
  /** No command in progress. */
  | 'idle'
  /** Sending the five header bytes CLA INS P1 P2 P3. */
  | 'header'
  /** Waiting for a procedure byte (§10.3.3). */
  | 'procedure'
  /** Sending data bytes after INS (all remaining) or INS ⊕ FF (one). */
  | 'sending'
  /** Receiving data bytes after INS (all remaining) or INS ⊕ FF (one). */
  | 'receiving'
  /** SW1 received, waiting for SW2. */
  | 'sw2';

export const T0_TRANSITIONS: Readonly<Record<T0Phase, readonly T0Phase[]>> = Object.freeze({
  idle: Object.freeze(['header'] as T0Phase[]),
  header: Object.freeze(['procedure', 'idle'] as T0Phase[]),
  procedure: Object.freeze(['procedure', 'sending', 'receiving', 'sw2', 'idle'] as T0Phase[]),
  sending: Object.freeze(['procedure', 'idle'] as T0Phase[]),
  receiving: Object.freeze(['procedure', 'idle'] as T0Phase[]),
  // After SW2: the next TPDU of the same APDU (6Cxx, 61xx, ENVELOPE) or the end.
  sw2: Object.freeze(['header', 'idle'] as T0Phase[]),
});

/** Whether the table allows `from` → `to`. */
export function t0Allows(from: T0Phase, to: T0Phase): boolean {
  return T0_TRANSITIONS[from].indexOf(to) >= 0;
}
