/**
 * How often the reader asks the host for more time on its own (CCID Rev 1.1 §6.2.6: a reply with
 * bmCommandStatus 2 tells the host the command goes on), and the card waiting times it derives
 * that from.
 *
 * A host gives each bulk IN read a timeout, and a long exchange (4 KB each way over T=1 is over
 * 30 blocks) can outlast it while the card answers every block in time. The hosts' timeouts:
 * - libccid 1.5.2 (ifdhandler.c T1_card_timeout / T0_card_timeout): T=1 260 character times + BWT
 *   + 260 CWT + 1 s, T=0 at least 3 s; a time extension multiplies only the next read's timeout
 *   by bError (commands.c CCID_Receive), so the extensions must keep coming;
 * - a host deriving its timeout from the card's waiting time waits at least that time (BWT, WWT)
 *   for any answer, since a card may take that long for one block or procedure byte.
 * So the reader sends one whenever half of the card's waiting time in force (ISO 7816-3 §11.4.3 BWT for
 * T=1, §10.2 WWT for T=0, with the card's Fi, as the session enforces them) has passed without a message
 * to the host (a margin of 2 for USB and host latency), and at least every 500 ms (half of the
 * second libccid adds, whatever BWT is). Never more often than every 50 ms: hosts also count the
 * block's transmission in their timeout (libccid adds 1 s), so a tiny BWT is never a host's whole
 * timeout, and the bus stays quiet.
 */
import type { Scheduler, TimerHandle } from '../../hal/interfaces/scheduler.js';
import type { SlotAttributes } from '../../hal/interfaces/slot.js';
import { waitingTimeNs } from '../iso7816/timing.js';

export const EXTENSION_PERIOD_MIN_NS = 50e6;
export const EXTENSION_PERIOD_MAX_NS = 500e6;

/** The longest silence towards the host while a card command runs, from the protocol in force. */
export function extensionPeriodNs(a: SlotAttributes): number {
  return periodForWaitingNs(waitingTimeNs(a));
}

/** The period for a card waiting time of `waiting` ns (0: none in force). */
function periodForWaitingNs(waiting: number): number {
  if (waiting <= 0) return EXTENSION_PERIOD_MAX_NS;
  return Math.min(EXTENSION_PERIOD_MAX_NS, Math.max(EXTENSION_PERIOD_MIN_NS, waiting / 2));
}

/**
 * The reader's own time extensions while one card command runs: one whenever a period passes
 * without a message to the host, and one at once for each of the card's own requests (T=0 NULL,
 * T=1 WTX), after which the period starts counting again.
 */
export class TimeExtensions {
  readonly #scheduler: Scheduler;
  /** Send one with this multiplier; false when no command may take one now. */
  readonly #send: (multiplier: number) => boolean;
  #timer: TimerHandle | null = null;
  #periodNs = 0;
  /** The waiting time the period was derived from. */
  #periodFor = NaN;
  /** Made once: nothing is allocated per period. */
  readonly #due = (): void => {
    // The timer has just fired: nothing to cancel before the next period's.
    const scheduler = this.#scheduler;
    this.#timer = this.#send(1) ? scheduler.at(scheduler.now() + this.#periodNs, this.#due) : null;
  };

  constructor(scheduler: Scheduler, send: (multiplier: number) => boolean) {
    this.#scheduler = scheduler;
    this.#send = send;
  }

  /** A card command begins, with a card waiting time of `waitingNs` in force (timing.ts waitingTimeNs). */
  start(waitingNs: number): void {
    if (waitingNs !== this.#periodFor) {
      this.#periodNs = periodForWaitingNs(waitingNs);
      this.#periodFor = waitingNs;
    }
    this.#arm();
  }

  /** One now (the card asked for `multiplier` × its waiting time, or a period passed), then the next period. */
  extend(multiplier: number): void {
    if (this.#send(multiplier)) this.#arm();
  }

  /** The command ended (its answer, abort, removal, de-configuration). */
  stop(): void {
    if (this.#timer === null) return;
    this.#scheduler.cancel(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    const scheduler = this.#scheduler;
    if (this.#timer !== null) scheduler.cancel(this.#timer);
    this.#timer = scheduler.at(scheduler.now() + this.#periodNs, this.#due);
  }
}
