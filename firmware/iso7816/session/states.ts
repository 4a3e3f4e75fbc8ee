/**
 * The card session's states as one explicit table. For each state: the states it may enter, the
 * reader state it shows (slot.ts ReaderState), which part handles the I/O line's events there, and
 * what the Slot's calls get. Removal, supply fault and power-off lead every powered state to
 * 'unpowered' or 'absent'; the session handles them once, in every state, and they are listed here
 * so the table stays the whole truth.
 */
import type { ReaderState, SlotError } from '../../../hal/interfaces/slot.js';
import { transitionLookup } from '../transitions.js';

export type SessionState =
  /** No card in the socket. */
  | 'absent'
  /** Card present, contacts released. */
  | 'unpowered'
  /** VCC and CLK on, RST low for the timing profile's reset time (cold §6.2.2 or warm §6.2.3 reset). */
  | 'resetting'
  /** RST high, receiving the ATR (§8.1). */
  | 'atr'
  /**
   * The ATR is complete (§8.2); what follows waits until no character has started for ATR_QUIET_ETU,
   * and stray characters are discarded meanwhile.
   */
  | 'atr-quiet'
  /** Power off between two activations (new class, or a cold reset after a failed PPS). */
  | 'power-gap'
  /**
   * Negotiable mode kept for the host (powerOn with `negotiation: 'host'`): the ATR UART stays open at
   * Fd/Dd, waiting for the host's PPS request or its first command (§9).
   */
  | 'negotiable'
  /** The reader's PPS request sent, receiving the reply (§9). */
  | 'pps'
  /** The host's PPS request sent (CCID TPDU level), receiving the reply (§9). */
  | 'host-pps'
  /**
   * The transmission protocol being opened: the turnaround after the last character at the old rate,
   * then the protocol's own set-up (T=1 S(IFS) request).
   */
  | 'protocol-setup'
  /** Protocol in force, no command. */
  | 'ready'
  /** A command in progress through the transport in force (T=0, or the T=1 link). */
  | 'busy'
  /** A raw T=1 block in progress (CCID TPDU level: the host runs T=1 itself). */
  | 'raw-block'
  /** CLK being stopped or restarted (§6.3.2), no command. */
  | 'clock-change';

/**
 * Who handles the I/O line's events (readable, writable, character error): nobody (bytes are
 * drained, errors traced), the ATR reception, the quiet after the ATR, the PPS exchange, the
 * transport in force, the raw T=1 block exchange.
 */
export type LineHandler = 'none' | 'atr' | 'atr-quiet' | 'pps' | 'transport' | 'raw-block';

/** What powerOn does in a state: a cold reset, a reset of a powered idle card (warm, or a new class), or a refusal. */
export type PowerOnEffect = 'cold-reset' | 'reset' | SlotError;

/**
 * What a command (transmitApdu, transmitTpdu, setParameters, setClock) does in a state: runs, first
 * leaves negotiable mode for the default protocol (§9; transmitTpdu may instead carry the host's
 * PPS), or is refused.
 */
export type CommandEffect = 'run' | 'settle' | SlotError;

export interface StateEntry {
  readonly next: readonly SessionState[];
  readonly reader: ReaderState;
  readonly line: LineHandler;
  readonly powerOn: PowerOnEffect;
  readonly command: CommandEffect;
}

const OFF = ['unpowered', 'absent'] as const;

function entry(reader: ReaderState, line: LineHandler, powerOn: PowerOnEffect, command: CommandEffect, next: readonly SessionState[]): StateEntry {
  return Object.freeze({ next: Object.freeze([...next]), reader, line, powerOn, command });
}

/*
 * A friction socket's presence switch closes only with the card in position: a present, unpowered
 * card shows SWALLOWED.
 */
export const SESSION_TABLE: Readonly<Record<SessionState, StateEntry>> = Object.freeze({
  absent: entry('ABSENT', 'none', 'ICC_MUTE', 'ICC_MUTE', ['unpowered']),
  unpowered: entry('SWALLOWED', 'none', 'cold-reset', 'ICC_MUTE', ['resetting', 'absent']),
  resetting: entry('POWERED', 'none', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['atr', ...OFF]),
  // A complete ATR waits for quiet, rests in negotiable mode, or fails; no ATR: warm reset, next class.
  atr: entry('POWERED', 'atr', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['atr-quiet', 'resetting', 'power-gap', 'negotiable', ...OFF]),
  // Quiet: PPS, or the protocol; too many strays: as a failed ATR.
  'atr-quiet': entry('POWERED', 'atr-quiet', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['pps', 'protocol-setup', 'resetting', 'power-gap', ...OFF]),
  'power-gap': entry('SWALLOWED', 'none', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['resetting', ...OFF]),
  // The host's PPS, or its first other command (§9: default protocol at Fd/Dd), or a reset.
  negotiable: entry('NEGOTIABLE', 'none', 'reset', 'settle', ['host-pps', 'protocol-setup', 'resetting', 'power-gap', ...OFF]),
  // Accepted: the protocol; failed: a cold reset without PPS.
  pps: entry('NEGOTIABLE', 'pps', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['protocol-setup', 'power-gap', ...OFF]),
  // Accepted: the protocol; failed: deactivated, the host decides.
  'host-pps': entry('NEGOTIABLE', 'pps', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['protocol-setup', ...OFF]),
  'protocol-setup': entry('SPECIFIC', 'transport', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['ready', ...OFF]),
  // A command, a reset (power on again, new Fi/Di), a new link (new parameters), clock stop.
  ready: entry('SPECIFIC', 'transport', 'reset', 'run', ['busy', 'raw-block', 'resetting', 'power-gap', 'protocol-setup', 'clock-change', ...OFF]),
  busy: entry('SPECIFIC', 'transport', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['ready', ...OFF]),
  'raw-block': entry('SPECIFIC', 'raw-block', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['ready', ...OFF]),
  // A stopped clock restarts before a command or new parameters, in this state too.
  'clock-change': entry('SPECIFIC', 'none', 'CMD_SLOT_BUSY', 'CMD_SLOT_BUSY', ['ready', ...OFF]),
});

/** The transitions by lookup: SESSION_ALLOWED[from][to] is true when the table allows from → to. */
export const SESSION_ALLOWED = transitionLookup(Object.fromEntries(
  (Object.keys(SESSION_TABLE) as SessionState[]).map((state) => [state, SESSION_TABLE[state].next]),
) as Record<SessionState, readonly SessionState[]>);

export function sessionAllows(from: SessionState, to: SessionState): boolean {
  return SESSION_ALLOWED[from][to] === true;
}

/** Why a command cannot start in `state` (null: it can; negotiable mode is settled before asking). */
export function commandRefusal(state: SessionState): SlotError | null {
  const effect = SESSION_TABLE[state].command;
  if (effect === 'run') return null;
  return effect === 'settle' ? 'CMD_SLOT_BUSY' : effect;
}
