/**
 * A simulated board with one card session on it, driven in virtual time: what the session tests and
 * scenarios share. No Node APIs (the scenarios also run in XS).
 */
import type { VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { CardUartCapabilities } from '../../hal/interfaces/card-uart.js';
import { TraceCategory } from '../../hal/common/trace.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { createSimBoard } from '../../hal/sim/board.js';
import type { CardContactsConstructor } from '../../hal/interfaces/card-contacts.js';
import type { CardUartConstructor } from '../../hal/interfaces/card-uart.js';
import type { SimLine } from '../../hal/sim/line.js';
import type { VirtualScheduler } from '../../hal/sim/scheduler.js';
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import type { CardIo, SimCard } from '../../hal/sim/card.js';
import { BaseCard, type BaseCardOptions } from '../../hal/sim/cards/base.js';
import type { LineChange, LineCharacter } from '../../hal/sim/line.js';
import { createCardSlot, type CardSlotOptions } from '../../firmware/iso7816/session/session.js';
import type { PowerOnResult, Slot, TransmitResult } from '../../hal/interfaces/slot.js';
import { bytes } from './helpers.js';

export { bytes };

export interface RigOptions {
  classes?: VoltageClass[];
  clocksHz?: number[];
  uartCapabilities?: CardUartCapabilities;
  slot?: Partial<CardSlotOptions>;
  /** Collect DRIVER/PROTOCOL/ERROR trace lines in `log`. */
  trace?: boolean;
}

/**
 * What a rig needs of a board: the sim board (hal/sim/board.ts) by default, or another one set with
 * useRigBoard — the virtual ESP32-S3 board runs the same checks on the device's drivers.
 */
export interface RigBoard {
  readonly scheduler: VirtualScheduler;
  readonly line: SimLine;
  readonly contacts: CardContactsConstructor;
  readonly uart: CardUartConstructor;
  /**
   * How late the board's drivers may act on a deadline, beyond it (0 when absent: the sim board acts
   * on time): whole-etu rounding, interrupt and task latencies on a device.
   */
  readonly lateDeadlineNs?: number;
  /** How much later than the guard time the board's T=0 characters may follow each other (0 when absent). */
  readonly lateCharacterNs?: number;
  /** The scheduler the session runs on, when not `scheduler` itself (the device's own, over the board's virtual time). */
  readonly sessionScheduler?: Scheduler;
  insert(card: SimCard): void;
  remove(): void;
  fault(kind: 'overcurrent'): void;
}

export type RigBoardFactory = (card: SimCard | null, options: { classes?: VoltageClass[]; clocksHz?: number[] }) => RigBoard;

const simBoard: RigBoardFactory = (card, options) => createSimBoard({ card: card ?? undefined, classes: options.classes, clocksHz: options.clocksHz });
let boardFactory: RigBoardFactory = simBoard;

/** The board later rigs are built on (null: the sim board again). */
export function useRigBoard(factory: RigBoardFactory | null): void {
  boardFactory = factory ?? simBoard;
}

export interface Rig {
  readonly board: RigBoard;
  readonly slot: Slot;
  readonly log: string[];
  powerOn(voltage?: 'auto' | VoltageClass): PowerOnResult;
  transmit(apdu: string | Uint8Array): TransmitResult & { waits: number };
  /** Run the board for `ns` of virtual time. */
  run(ns: number): void;
  /** Level changes of one signal, from index `from` of the record. */
  changes(signal: LineChange['signal'], from?: number): LineChange[];
  characters(from: LineCharacter['from']): LineCharacter[];
}

/** Each activation or command gets this much virtual time at most (the mute class walk needs ~0.1 s). */
const BUDGET_NS = 5e9;

export function rig(card: SimCard | null, options: RigOptions = {}): Rig {
  const board = boardFactory(card, { classes: options.classes, clocksHz: options.clocksHz });
  const log: string[] = [];
  const trace: Trace = {
    mask: options.trace ? TraceCategory.DRIVER | TraceCategory.PROTOCOL | TraceCategory.ERROR : 0,
    log(_category, text) {
      log.push(`${board.scheduler.now()} ${text}`);
    },
  };
  const uart = options.uartCapabilities
    ? class extends board.uart {
        static override readonly capabilities = options.uartCapabilities;
      }
    : board.uart;
  const slot = createCardSlot({ contacts: board.contacts, uart, scheduler: board.sessionScheduler ?? board.scheduler, trace, ...options.slot });
  const scheduler = board.scheduler;
  // Presence is debounced: let it settle before the test starts.
  scheduler.runUntil(scheduler.now() + 20e6);

  function until<T>(get: () => T | null): T {
    const limit = scheduler.now() + BUDGET_NS;
    let value = get();
    while (value === null) {
      const next = scheduler.nextTime;
      if (next === undefined || next > limit) throw new Error('no result within the virtual-time budget');
      scheduler.runUntil(next);
      value = get();
    }
    return value;
  }

  return {
    board,
    slot,
    log,
    powerOn(voltage = 'auto') {
      let result: PowerOnResult | null = null;
      slot.powerOn(voltage, (r) => (result = r));
      return until(() => result);
    },
    transmit(apdu) {
      let result: TransmitResult | null = null;
      let waits = 0;
      slot.transmitApdu(typeof apdu === 'string' ? bytes(apdu) : apdu, (r) => (result = r), () => waits++);
      const r = until<TransmitResult>(() => result);
      return { ...r, waits };
    },
    run(ns) {
      scheduler.runUntil(scheduler.now() + ns);
    },
    changes(signal, from = 0) {
      return board.line.record.slice(from).filter((c) => c.signal === signal);
    },
    characters(from) {
      return board.line.events.filter((e) => e.from === from);
    },
  };
}

/** A card whose protocol part is a callback: for faults no real card shows on demand. */
export class HookCard extends BaseCard {
  readonly #onByte: (io: CardIo, byte: number, parityOk: boolean, count: number) => void;
  #count = 0;

  constructor(options: BaseCardOptions, onByte: (io: CardIo, byte: number, parityOk: boolean, count: number) => void) {
    super(options);
    this.#onByte = onByte;
  }

  protected resetProtocol(): void {
    this.#count = 0;
  }

  protected protocolStart(): void {}

  protected protocolReceive(byte: number, parityOk: boolean): void {
    if (this.io) this.#onByte(this.io, byte, parityOk, ++this.#count);
  }
}
