/**
 * The T=1 link's two explicit tables.
 *
 * Line states: who holds the I/O line and what the link waits for. 'closed' is reachable from
 * everywhere (close(), handled once by the link), so it is not repeated per state.
 *
 * Phases (ISO/IEC 7816-3 §11.6): what the last block the reader sent asked for. Errors never leave
 * the phase by themselves; they are answered inside it (rules 7.1–7.3), escalate to 'resynch'
 * (rule 7.4.2 → rule 6) or end in 'dead' (rule 6.4).
 */
import { transitionLookup } from '../transitions.js';

export type T1LineState =
  /** No block on its way; bytes that arrive are strays and are dropped. */
  | 'idle'
  /**
   * The reader's block is with the card UART, which sends it once BGT has passed (22 etu after the
   * card's last character, §11.2) and then receives the card's block: BWT for its first character,
   * CWT between the others, its length from LEN.
   */
  | 'rx'
  /** An invalid block ended (or may still be arriving): wait until the line is silent for CWT. */
  | 'drain'
  /** Resynchronisation failed (rule 6.4): nothing more until the session deactivates. */
  | 'dead'
  | 'closed';

export const T1_LINE_TRANSITIONS: Readonly<Record<T1LineState, readonly T1LineState[]>> = Object.freeze({
  idle: Object.freeze(['rx', 'dead'] as T1LineState[]),
  rx: Object.freeze(['rx', 'drain', 'idle', 'dead'] as T1LineState[]),
  drain: Object.freeze(['drain', 'rx', 'idle', 'dead'] as T1LineState[]),
  dead: Object.freeze([] as T1LineState[]),
  closed: Object.freeze([] as T1LineState[]),
});

export type T1Phase =
  /** No exchange. */
  | 'none'
  /** S(IFS request) with IFSD sent, S(IFS response) awaited (rule 4). */
  | 'ifs'
  /** Sending the command chain: the last I-block (or the R-block answering an error) awaits acknowledgement (rules 2, 5). */
  | 'send'
  /** Receiving the response chain (rules 2, 5). */
  | 'receive'
  /** S(RESYNCH request) sent (rule 6). */
  | 'resynch';

export const T1_PHASE_TRANSITIONS: Readonly<Record<T1Phase, readonly T1Phase[]>> = Object.freeze({
  none: Object.freeze(['ifs', 'send', 'resynch'] as T1Phase[]),
  ifs: Object.freeze(['none', 'send', 'resynch'] as T1Phase[]),
  send: Object.freeze(['receive', 'none', 'resynch'] as T1Phase[]),
  receive: Object.freeze(['none', 'resynch'] as T1Phase[]),
  resynch: Object.freeze(['resynch', 'ifs', 'send', 'none'] as T1Phase[]),
});

/** The tables by lookup: X_ALLOWED[from][to] is true when the table lists from → to. */
export const T1_LINE_ALLOWED = transitionLookup(T1_LINE_TRANSITIONS);
export const T1_PHASE_ALLOWED = transitionLookup(T1_PHASE_TRANSITIONS);
