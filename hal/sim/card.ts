/**
 * The seam between the simulated contacts/line and a simulated card (a peer emulator, like a UART
 * emulator's peer). A card never sees the reader's objects: it gets a CardIo from the line and
 * receives contact events and characters as calls, always from the scheduler's loop.
 */
import type { Scheduler } from '../interfaces/scheduler.js';
import type { VoltageClass, } from '../interfaces/card-contacts.js';
import type { Convention } from '../interfaces/card-uart.js';

export interface CardSendOptions {
  /** Wait at least this many etu (of the card's current rate) after the previous character's leading edge, or after now if the line is idle. Minimum spacing is always 12 etu. */
  delayEtu?: number;
  /**
   * Send this character with wrong parity (fault injection). In T=0 every repetition is also wrong,
   * so the reader's repetition bound is reached, unless `badParityTimes` limits it.
   */
  badParity?: boolean;
  /** With `badParity`: only the first this-many transmissions carry wrong parity. */
  badParityTimes?: number;
}

/** What the simulated line offers the card side of the I/O contact. */
export interface CardIo {
  readonly scheduler: Scheduler;
  /** CLK frequency the card is driven at now (0 = stopped). */
  readonly clockHz: number;
  /** VCC class now (null = unpowered). */
  readonly voltage: VoltageClass | null;
  /** Card's current F, D and convention (defaults 372, 1, 'direct' after every reset). */
  readonly F: number;
  readonly D: number;
  /** Set the card's rate, e.g. after a successful PPS (takes effect for the next character). */
  setRate(F: number, D: number): void;
  /** Set the convention the card uses (an inverse card sets 'inverse' before sending TS). */
  setConvention(convention: Convention): void;
  /** Queue one character from the card, paced by the line (start bit, 8 data bits, parity, guard time). */
  send(byte: number, options?: CardSendOptions): void;
  /** Queue `bytes` as `send` queues each without options; a line may take them at once. */
  sendBytes?(bytes: ArrayLike<number>): void;
  /** Run `callback` after `etu` etu of the card's current rate (the card's own timer). Returns a handle for cancel(). */
  after(etu: number, callback: () => void): number;
  /** Run `callback` after `cycles` CLK cycles (ATR delay is counted in cycles). */
  afterCycles(cycles: number, callback: () => void): number;
  cancel(handle: number): void;
  /** Drop queued characters not yet started, and the card's pending timers. */
  silence(): void;
  /**
   * The card's character protocol (extension): 0 (default after every reset) = T=0 error signal and
   * character repetition (§7.3), 16 etu turnaround; 1 = no repetition, BGT 22 etu turnaround (§11.2).
   */
  setProtocol(protocol: 0 | 1): void;
  /** The convention in force (extension). */
  readonly convention: Convention;
  /**
   * While `SimCard.receive` runs: the time (ns) the character was decided at, which is now unless
   * the line hands it over after the fact (a card that gives `absorbable` reads its times here).
   */
  readonly receivedAtNs?: number;
}

/** A simulated card. Calls come from the line, in virtual time, never re-entrantly. */
export interface SimCard {
  /** Name usable with `--card` and the control socket's `insert`. */
  readonly name: string;
  readonly description: string;
  /** The card is inserted and connected to the line. */
  attach(io: CardIo): void;
  /** VCC switched; null = off. Power off loses all volatile state. */
  power(voltage: VoltageClass | null): void;
  /** RST rose with VCC and CLK on: answer to reset (cold after power-up, warm otherwise). */
  reset(kind: 'cold' | 'warm'): void;
  /** RST fell: stop all activity (the line has already silenced the card's queue and timers). */
  resetAsserted(): void;
  /** One character from the reader, decoded in the card's convention; `parityOk` false when it arrived corrupted. */
  receive(byte: number, parityOk: boolean): void;
  /**
   * Optional: how many of the reader's next characters, the first decided at `firstNs`, the others
   * `gapNs` apart, the card takes without reacting (no character sent, no timer, nothing but its own state): the line may then hand them
   * over after the fact, `receivedAtNs` giving each one's time.
   */
  absorbable?(gapNs: number, firstNs: number): number;
  /** The card was removed from the socket. */
  detach(): void;
}

/** Everything a scripted card run can report (the scripted-card format, hal/sim/cards/scripted.ts). */
export interface ScriptStatus {
  completed: boolean;
  failedStep: number | null;
  reason: string | null;
}
