/**
 * The simulated board as board data: a provider-shaped object whose `card` entry
 * holds the IO constructors the firmware instantiates, plus the virtual clock, and the simulator's
 * backdoor (`sim`) for the host CLI and tests.
 *
 * Clocks: what a board whose card clock divides an 80 MHz timer clock by an integer produces exactly:
 * 80 / 20 = 4 MHz (the default: within ISO 7816-3's 1–5 MHz for the ATR), 80 / 16 = 5 MHz,
 * 80 / 10 = 8 MHz, 80 / 8 = 10 MHz, 80 / 5 = 16 MHz, 80 / 4 = 20 MHz (the highest fmax of TA1).
 * Classes: C (1.8 V), B (3 V), A (5 V), lowest voltage first, as CardContactsCapabilities asks.
 * Sockets: 1 to 8 (CCID's slots), each with its own contacts, line and card UART, all on one virtual
 * clock; `card` and `sim` are socket 0's, `sockets` lists them all.
 */
import type { CardContactsConstructor, VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { CardUartCapabilities, CardUartConstructor } from '../../hal/interfaces/card-uart.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { SimCard } from '../../hal/sim/card.js';
import { createSimBoard, type SimBoard } from '../../hal/sim/board.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';

/**
 * The reader's USB identity. pcscd opens a USB reader only when a driver bundle's Info.plist lists its
 * idVendor:idProduct (`ccid-reader host-setup` adds it to libccid's). 1209:0001 is the test ID of
 * pid.codes, free for development and never for a product: a board that ships gets its own PID
 * (README, "Your own USB ID").
 */
export const SIM_BOARD_USB = Object.freeze({
  vendorId: 0x1209,
  productId: 0x0001,
  manufacturer: 'ccid-reader',
  product: 'CCID Reader Sim',
  serialNumber: 'SIM0001',
});

export const SIM_BOARD_CLASSES: readonly VoltageClass[] = Object.freeze(['C', 'B', 'A']);
export const SIM_BOARD_TIMER_HZ = 80_000_000;
export const SIM_BOARD_CLOCKS_HZ: readonly number[] = Object.freeze([20, 16, 10, 8, 5, 4].map((div) => SIM_BOARD_TIMER_HZ / div));

/** One card socket: the IO constructors the firmware instantiates, and the simulator's backdoor. */
export interface SimSocket {
  readonly card: {
    readonly contacts: CardContactsConstructor;
    readonly uart: CardUartConstructor;
  };
  /** Simulator backdoor: insert/remove/fault, the line record, the PRNG. */
  readonly sim: SimBoard;
}

export interface SimBoardProvider extends SimSocket {
  readonly name: 'sim';
  /** Every socket, index = CCID bSlot; socket 0 is also `card` / `sim`. */
  readonly sockets: readonly SimSocket[];
  /** USB identity (idVendor, idProduct, strings). */
  readonly usb: typeof SIM_BOARD_USB;
  /** Virtual time; the composition root runs it. */
  readonly scheduler: VirtualScheduler;
  readonly trace: Trace;
}

export const MAX_SOCKETS = 8;

export interface SimBoardProviderOptions {
  seed?: number;
  /** Number of sockets (default 1; at most 8, CCID's bMaxSlotIndex 7 here). */
  sockets?: number;
  /** The card in socket 0 at time 0. */
  card?: SimCard;
  /** The cards in each socket at time 0, by socket (an absent entry leaves that socket empty); overrides `card`. */
  cards?: readonly (SimCard | null | undefined)[];
  trace?: Trace;
  debounceNs?: number;
  /** A UART with limits (see createSimBoard); default: any rate, exactly. */
  uartCapabilities?: CardUartCapabilities;
  /** Keep the line's record and character events (default true; see createSimBoard). */
  recording?: boolean;
}

export function createSimBoardProvider(options: SimBoardProviderOptions = {}): SimBoardProvider {
  const count = options.sockets ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SOCKETS) throw new RangeError(`sockets must be 1–${MAX_SOCKETS}`);
  const scheduler = new VirtualScheduler();
  const seed = (options.seed ?? 1) >>> 0;
  const cards = options.cards ?? [options.card];
  const sockets: SimSocket[] = [];
  for (let i = 0; i < count; i++) {
    const sim = createSimBoard({
      scheduler,
      // Each socket draws from its own stream; socket 0 keeps the single-socket board's.
      seed: (seed + i) >>> 0,
      card: cards[i] ?? undefined,
      trace: options.trace,
      debounceNs: options.debounceNs,
      uartCapabilities: options.uartCapabilities,
      recording: options.recording,
      classes: [...SIM_BOARD_CLASSES],
      clocksHz: [...SIM_BOARD_CLOCKS_HZ],
    });
    sockets.push(Object.freeze({ card: Object.freeze({ contacts: sim.contacts, uart: sim.uart }), sim }));
  }
  return Object.freeze({
    name: 'sim' as const,
    card: sockets[0].card,
    sim: sockets[0].sim,
    sockets: Object.freeze(sockets),
    usb: SIM_BOARD_USB,
    scheduler,
    trace: sockets[0].sim.trace,
  });
}
