/**
 * The command cycle of one CCID slot as an explicit table. At most one command is pending per slot
 * (CCID Rev 1.1 §6.1: "one command at a time per slot"): a card command is pending from its arrival
 * until its reply is queued, and a command chain or a response chain (extended APDU level, §6.1.4,
 * §6.2.1) holds the slot between its pieces. Abort halves, card removal and de-configuration are
 * valid in every phase and handled by the slot engine beside the table. A card command answered by
 * the class itself (abort, removal) gets a new token, so the Slot's late answer to it is stale.
 */
import { TraceCategory } from '../../hal/common/trace.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { transitionLookup } from '../iso7816/transitions.js';

/**
 * - idle: nothing in progress;
 * - busy: a card command waits for the Slot (`pending` names it);
 * - commandChain: an extended APDU arrives in pieces (wLevelParameter 01/03, §6.1.4);
 * - responseChain: a response leaves in pieces (bChainParameter 01/03, §6.2.1).
 */
export type Phase = 'idle' | 'busy' | 'commandChain' | 'responseChain';

export const SLOT_PHASES: Readonly<Record<Phase, readonly Phase[]>> = Object.freeze({
  idle: Object.freeze<Phase[]>(['busy', 'commandChain']),
  busy: Object.freeze<Phase[]>(['idle', 'responseChain']),
  // A chain ends (last piece, error) or is abandoned (another card command, power) through idle.
  commandChain: Object.freeze<Phase[]>(['idle', 'commandChain']),
  responseChain: Object.freeze<Phase[]>(['idle', 'responseChain']),
});

const PHASE_ALLOWED = transitionLookup(SLOT_PHASES);

/** Commands whose reply waits for the card. */
export type CardCommand =
  | 'PC_to_RDR_IccPowerOn'
  | 'PC_to_RDR_XfrBlock'
  | 'PC_to_RDR_SetParameters'
  | 'PC_to_RDR_ResetParameters'
  | 'PC_to_RDR_IccClock';

export class SlotCycle {
  readonly #index: number;
  readonly #trace: Trace;
  /** Called when a phase is left for another: its data (a chain, time extensions) goes with it. */
  readonly #left: (phase: Phase) => void;
  #phase: Phase = 'idle';
  /** The card command in progress (meaningful in phase busy), and its bSeq. */
  #pending: CardCommand = 'PC_to_RDR_IccPowerOn';
  #pendingSeq = 0;
  #token = 0;

  constructor(index: number, trace: Trace, left: (phase: Phase) => void) {
    this.#index = index;
    this.#trace = trace;
    this.#left = left;
  }

  get phase(): Phase {
    return this.#phase;
  }

  get pending(): CardCommand {
    return this.#pending;
  }

  get pendingSeq(): number {
    return this.#pendingSeq;
  }

  /** Whether the Slot's answer for `token` is still awaited. */
  current(token: number): boolean {
    return token === this.#token && this.#phase === 'busy';
  }

  /** Checked transition. */
  enter(next: Phase): void {
    const from = this.#phase;
    if (PHASE_ALLOWED[from][next] !== true) throw new Error(`CCID slot ${this.#index}: ${from} → ${next} is not a transition`);
    this.#phase = next;
    if (from !== next) this.#left(from);
    if (from !== next && this.#trace.mask & TraceCategory.CCID) this.#trace.log(TraceCategory.CCID, `slot ${this.#index} ${from} → ${next}`);
  }

  /** Abandon a chain in either direction. */
  resetChains(): void {
    if (this.#phase === 'commandChain' || this.#phase === 'responseChain') this.enter('idle');
  }

  /** A card command begins (any chain in progress is abandoned); its token. */
  start(command: CardCommand, bSeq: number): number {
    this.resetChains();
    this.enter('busy');
    this.#pending = command;
    this.#pendingSeq = bSeq;
    return ++this.#token;
  }

  /**
   * The Slot answered for `token`: leave busy for `next` and return true; false when that command
   * was already answered by the class (abort, removal, de-configuration).
   */
  settle(token: number, next: 'idle' | 'responseChain' = 'idle'): boolean {
    if (!this.current(token)) return false;
    this.enter(next);
    return true;
  }

  /** The class answers the pending card command itself: the Slot's answer for it becomes stale. */
  drop(): void {
    this.#token++;
    this.enter('idle');
  }
}
