/**
 * The simulated board: one virtual clock, one socket with its line, and the HAL constructors the
 * firmware instantiates (`new board.uart({...})`, `new board.contacts({...})`), plus the test
 * backdoor (insert, remove, fault, line records). Deterministic: everything runs in virtual time and
 * draws randomness from `random`, seeded by `seed`.
 */
import type {
  CardContactsConstructor, CardContactsOptions, ContactFault, VoltageClass,
} from '../interfaces/card-contacts.js';
import type { CardUartCapabilities, CardUartConstructor, CardUartOptions } from '../interfaces/card-uart.js';
import type { Trace } from '../interfaces/trace.js';
import { silentTrace } from '../common/trace.js';
import type { SimCard } from './card.js';
import { SimContacts, SimSocket } from './contacts.js';
import { SimLine } from './line.js';
import { SimRandom } from './random.js';
import { VirtualScheduler } from './scheduler.js';
import { SimCardUart } from './uart.js';

export interface SimBoardOptions {
  seed?: number;
  /**
   * The virtual clock to run on (default: a new one). Sockets of one multi-slot reader share one
   * clock: each board is one socket with its own line, contacts and card UART.
   */
  scheduler?: VirtualScheduler;
  /** Voltage classes, lowest voltage first (default C, B, A). */
  classes?: VoltageClass[];
  /** CLK frequencies in Hz, lowest first (default 4 MHz only). */
  clocksHz?: number[];
  /** Whether CLK can be stopped (default true). */
  clockStop?: boolean;
  /** A card inserted at time 0. */
  card?: SimCard;
  /**
   * What the board's card UART can hold (static `capabilities` of `uart`). With `closestBaud` the
   * reader's UART really runs at the rounded rate. Default: any rate, exactly.
   */
  uartCapabilities?: CardUartCapabilities;
  /** Presence-switch debounce (default 10 ms). */
  debounceNs?: number;
  /** Whether `line.record` gets the I/O edges (default true; false for long untraced runs). */
  recordIo?: boolean;
  /** Whether the line keeps its record and character events at all (default true; false for `serve`). */
  recording?: boolean;
  /** Whether characters may go out in bursts (default true; false runs the single-character reference path). */
  bursts?: boolean;
  trace?: Trace;
}

export interface SimBoard {
  readonly scheduler: VirtualScheduler;
  readonly random: SimRandom;
  readonly seed: number;
  readonly line: SimLine;
  readonly socket: SimSocket;
  readonly contacts: CardContactsConstructor;
  readonly uart: CardUartConstructor;
  readonly trace: Trace;
  /** The card in the socket, if any. */
  readonly card: SimCard | null;
  insert(card: SimCard): void;
  remove(): void;
  fault(kind: ContactFault): void;
}

export const DEFAULT_DEBOUNCE_NS = 10_000_000;

export function createSimBoard(options: SimBoardOptions = {}): SimBoard {
  const seed = (options.seed ?? 1) >>> 0;
  const trace = options.trace ?? silentTrace;
  const scheduler = options.scheduler ?? new VirtualScheduler();
  const line = new SimLine(scheduler, { recordIo: options.recordIo, recording: options.recording, bursts: options.bursts });
  const socket = new SimSocket(line, Object.freeze({
    classes: Object.freeze([...(options.classes ?? ['C', 'B', 'A'])]),
    clocksHz: Object.freeze([...(options.clocksHz ?? [4_000_000])]),
    clockStop: options.clockStop ?? true,
  }), options.debounceNs ?? DEFAULT_DEBOUNCE_NS, trace);

  const contacts: CardContactsConstructor = boardConstructor((o: CardContactsOptions) => new SimContacts(socket, o));
  const uartCapabilities = options.uartCapabilities;
  const uart: CardUartConstructor = Object.assign(
    boardConstructor((o: CardUartOptions) => new SimCardUart(line, o, uartCapabilities)),
    { capabilities: uartCapabilities },
  );
  if (options.card) socket.insert(options.card);

  return {
    scheduler,
    random: new SimRandom(seed),
    seed,
    line,
    socket,
    contacts,
    uart,
    trace,
    get card() {
      return socket.card;
    },
    insert: (card) => socket.insert(card),
    remove: () => socket.remove(),
    fault: (kind) => socket.fault(kind),
  };
}

/**
 * A constructor for one board's objects (`new board.uart(options)`, as firmware calls it) that
 * makes instances of the shared class itself, bound to this board, rather than a class per board:
 * every board's UARTs (contacts, devices) then share one hidden class, and a process that makes
 * many boards (tests, benches) keeps the simulator's per-character paths monomorphic.
 */
export function boardConstructor<O, T extends object>(make: (options: O) => T): new (options: O) => T {
  // `new` on a function that returns an object gives that object.
  return function construct(options: O): T {
    return make(options);
  } as unknown as new (options: O) => T;
}
