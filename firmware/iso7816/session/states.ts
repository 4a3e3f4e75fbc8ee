/**
 * The card session's states as an explicit table (state → states it may enter), and the reader
 * state each one shows (slot.ts ReaderState). Removal, supply fault and power-off lead every
 * powered state to 'unpowered' or 'absent'; they are handled once by the session, and listed here
 * so the table stays the whole truth.
 */
import type { ReaderState } from '../../../hal/interfaces/slot.js';

export type SessionState =
  /** No card in the socket. */
  | 'absent'
  /** Card present, contacts released. */
  | 'unpowered'
  /** VCC and CLK on, RST low for the timing profile's reset time (cold §6.2.2 or warm §6.2.3 reset). */
  | 'resetting'
  /** RST high, receiving the ATR (§8.1). */
  | 'atr'
  /** Power off between two activations (new class, or a cold reset after a failed PPS). */
  | 'power-gap'
  /**
   * Negotiable mode kept for the host (powerOn with `negotiation: 'host'`): the ATR UART stays open at
   * Fd/Dd, waiting for the host's PPS request or its first command (§9).
   */
  | 'negotiable'
  /** PPS request sent (the reader's or the host's), receiving the reply (§9). */
  | 'pps'
  /** Transmission protocol opened, its own set-up running (T=1 S(IFS) request). */
  | 'protocol-setup'
  /** Protocol in force, no command. */
  | 'ready'
  /** A command in progress. */
  | 'busy'
  /** CLK being stopped or restarted (§6.3.2), no command. */
  | 'clock-change';

const OFF = ['unpowered', 'absent'] as const;

export const SESSION_TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = Object.freeze({
  absent: Object.freeze(['unpowered'] as SessionState[]),
  unpowered: Object.freeze(['resetting', 'absent'] as SessionState[]),
  resetting: Object.freeze(['atr', ...OFF] as SessionState[]),
  atr: Object.freeze(['resetting', 'power-gap', 'negotiable', 'pps', 'protocol-setup', 'ready', ...OFF] as SessionState[]),
  'power-gap': Object.freeze(['resetting', ...OFF] as SessionState[]),
  // The host's PPS, or its first other command (§9: default protocol at Fd/Dd), or a warm reset.
  negotiable: Object.freeze(['pps', 'protocol-setup', 'resetting', 'power-gap', ...OFF] as SessionState[]),
  pps: Object.freeze(['power-gap', 'protocol-setup', 'ready', ...OFF] as SessionState[]),
  'protocol-setup': Object.freeze(['ready', ...OFF] as SessionState[]),
  // From ready: a command, a warm reset (power on again, new Fi/Di), a new link (new parameters), clock stop.
  ready: Object.freeze(['busy', 'resetting', 'power-gap', 'protocol-setup', 'clock-change', ...OFF] as SessionState[]),
  busy: Object.freeze(['ready', ...OFF] as SessionState[]),
  'clock-change': Object.freeze(['ready', ...OFF] as SessionState[]),
});

/** The reader-driver state each session state shows. */
export const READER_STATE: Readonly<Record<SessionState, ReaderState>> = Object.freeze({
  absent: 'ABSENT',
  // A friction socket's presence switch closes only with the card in position: present is swallowed.
  unpowered: 'SWALLOWED',
  'power-gap': 'SWALLOWED',
  resetting: 'POWERED',
  atr: 'POWERED',
  negotiable: 'NEGOTIABLE',
  pps: 'NEGOTIABLE',
  'protocol-setup': 'SPECIFIC',
  ready: 'SPECIFIC',
  busy: 'SPECIFIC',
  'clock-change': 'SPECIFIC',
});

export function sessionAllows(from: SessionState, to: SessionState): boolean {
  return SESSION_TRANSITIONS[from].indexOf(to) >= 0;
}
