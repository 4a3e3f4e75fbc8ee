/**
 * The simulated board as board data (STYLE lesson 3): a provider-shaped object whose `card` entry
 * holds the IO constructors the firmware instantiates, plus the virtual clock, and the simulator's
 * backdoor (`sim`) for the host CLI and tests.
 *
 * Clocks: what a board whose card clock divides an 80 MHz timer clock by an integer produces exactly:
 * 80 / 20 = 4 MHz (the default: within ISO 7816-3's 1–5 MHz for the ATR), 80 / 16 = 5 MHz,
 * 80 / 10 = 8 MHz, 80 / 8 = 10 MHz, 80 / 5 = 16 MHz, 80 / 4 = 20 MHz (the highest fmax of TA1).
 * Classes: C (1.8 V), B (3 V), A (5 V), lowest voltage first, as CardContactsCapabilities asks.
 */
import type { CardContactsConstructor, VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { CardUartCapabilities, CardUartConstructor } from '../../hal/interfaces/card-uart.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { SimCard } from '../../hal/sim/card.js';
import { createSimBoard, type SimBoard } from '../../hal/sim/board.js';
import type { VirtualScheduler } from '../../hal/sim/scheduler.js';

export const SIM_BOARD_CLASSES: readonly VoltageClass[] = Object.freeze(['C', 'B', 'A']);
export const SIM_BOARD_TIMER_HZ = 80_000_000;
export const SIM_BOARD_CLOCKS_HZ: readonly number[] = Object.freeze([20, 16, 10, 8, 5, 4].map((div) => SIM_BOARD_TIMER_HZ / div));

export interface SimBoardProvider {
  readonly name: 'sim';
  readonly card: {
    readonly contacts: CardContactsConstructor;
    readonly uart: CardUartConstructor;
  };
  /** Virtual time; the composition root runs it. */
  readonly scheduler: VirtualScheduler;
  readonly trace: Trace;
  /** Simulator backdoor: insert/remove/fault, the line record, the PRNG. */
  readonly sim: SimBoard;
}

export interface SimBoardProviderOptions {
  seed?: number;
  card?: SimCard;
  trace?: Trace;
  debounceNs?: number;
  /** A UART with limits (see createSimBoard); default: any rate, exactly. */
  uartCapabilities?: CardUartCapabilities;
}

export function createSimBoardProvider(options: SimBoardProviderOptions = {}): SimBoardProvider {
  const sim = createSimBoard({
    seed: options.seed,
    card: options.card,
    trace: options.trace,
    debounceNs: options.debounceNs,
    uartCapabilities: options.uartCapabilities,
    classes: [...SIM_BOARD_CLASSES],
    clocksHz: [...SIM_BOARD_CLOCKS_HZ],
  });
  return Object.freeze({
    name: 'sim' as const,
    card: Object.freeze({ contacts: sim.contacts, uart: sim.uart }),
    scheduler: sim.scheduler,
    trace: sim.trace,
    sim,
  });
}
