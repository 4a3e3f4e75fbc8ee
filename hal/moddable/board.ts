/**
 * What an ESP32-S3 reader board provides, as the firmware reads it from `embedded:provider/builtin`
 * (the board's host/provider.js). Boards are data: every role names its pins and the IO constructor
 * that drives them. The IO shapes below are the part of ECMA-419 this HAL uses, written
 * structurally so the HAL depends on behaviour, not on one SDK's declaration files.
 */
import type { VoltageClass } from '../interfaces/card-contacts.js';
import type { CardUart, CardUartCapabilities, CardUartOptions } from '../interfaces/card-uart.js';
import type { Trace } from '../interfaces/trace.js';
import type { UsbDeviceConstructor } from '../interfaces/usb-device.js';

/** ECMA-419 Digital, as used here: one pin, `read()` / `write()`, `close()`. */
export interface DigitalIO {
  read(): number;
  write(value: 0 | 1): void;
  close(): void;
}

export interface DigitalOptions {
  pin: number;
  mode: number;
  /**
   * An output's level from the start (Moddable's Digital sets it before it enables the output;
   * without it the pin is driven low first).
   */
  initialValue?: 0 | 1;
  edge?: number;
  onReadable?(this: DigitalIO): void;
}

export interface DigitalConstructor {
  new (options: DigitalOptions): DigitalIO;
  readonly Input: number;
  readonly InputPullUp: number;
  readonly InputPullDown: number;
  readonly Output: number;
  readonly Rising: number;
  readonly Falling: number;
}

/** ECMA-419 PWM as implemented on ESP32 (LEDC): `resolution` bits, `write(duty)`, `close()`. */
export interface PwmIO {
  write(value: number): void;
  close(): void;
}

export interface PwmOptions {
  pin: number;
  hz: number;
  resolution: number;
}

export interface PwmConstructor {
  new (options: PwmOptions): PwmIO;
}

/** Where the I/O line is: a UART other than UART0 (console and debugger) and one pad. */
export interface CardUartPins {
  readonly port: number;
  readonly data: number;
}

/** The board's I/O line, paired with its IO constructor. */
export interface CardUartLine extends CardUartPins {
  readonly io: CardUartBase;
}

/** A CardUart class that takes the line (and a trace) next to the options (Esp32CardUart or a board's own). */
export interface CardUartBase {
  new (options: CardUartOptions, line: CardUartPins, trace?: Trace): CardUart;
  readonly capabilities?: CardUartCapabilities;
}

/** One digital pin and its constructor. `active` is the level that means "on" / "present". */
export interface DigitalRole {
  readonly io: DigitalConstructor;
  readonly pin: number;
  readonly active: 0 | 1;
}

/** The card contacts of a board: through an interface chip (TDA8035, NCN8025) or discrete parts. */
export interface CardContactsBoard {
  /**
   * CLK: an LEDC channel (`io`) and the frequencies it offers, lowest first (the first is the
   * default); `stop` drives the same pin as a plain output while the clock is stopped.
   */
  readonly clock: {
    readonly io: PwmConstructor;
    readonly stop: DigitalConstructor;
    readonly pin: number;
    readonly hz: readonly number[];
  };
  /** Whether CLK may be stopped (the chip passes a static level through). */
  readonly clockStop: boolean;
  readonly reset: DigitalRole;
  /** VCC on/off (TDA8035 CMDVCCN: active low; a discrete high-side switch: its gate). */
  readonly supply: DigitalRole;
  /** Voltage classes the board can supply, lowest voltage first. */
  readonly classes: readonly VoltageClass[];
  /** Class select pins and, per class, the levels to drive (TDA8035: 5V/3VN, 1V8N). */
  readonly classSelect?: {
    readonly io: DigitalConstructor;
    readonly pins: readonly number[];
    readonly levels: Readonly<Partial<Record<VoltageClass, readonly (0 | 1)[]>>>;
  };
  /** The socket's card-present switch, debounced in software. */
  readonly detect: DigitalRole & { readonly pull: 'up' | 'down' | 'none'; readonly debounceMs: number };
  /** The interface chip's fault output (TDA8035 OFFN low while powered = overcurrent/overheat). */
  readonly fault?: DigitalRole;
  /** An LED lit while the card is powered. */
  readonly led?: DigitalRole;
}

/** One card socket: its contacts and its I/O line. */
export type CardSocketBoard = CardContactsBoard & { readonly uart: CardUartLine };

export interface ReaderBoard {
  readonly name: string;
  /** The card socket (socket 0 of a board with several). */
  readonly card: CardSocketBoard;
  /** A board with several sockets lists them all, in CCID slot order (`card` is the first). */
  readonly cards?: readonly CardSocketBoard[];
  /** The USB-OTG port and the identity the reader announces (defaults: ReaderConfig's). */
  readonly usb: {
    readonly io: UsbDeviceConstructor;
    readonly vendorId?: number;
    readonly productId?: number;
    readonly manufacturer?: string;
    readonly product?: string;
  };
}

function fail(what: string): never {
  throw new Error(`board: ${what}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function checkPin(value: unknown, what: string, used: Set<number>): void {
  if (!isObject(value) || typeof value.io !== 'function') fail(`${what}.io`);
  const pin = value.pin;
  if (typeof pin !== 'number' || !Number.isInteger(pin) || pin < 0 || pin > 48) fail(`${what}.pin`);
  if (used.has(pin)) fail(`${what}.pin ${pin} used twice`);
  used.add(pin);
}

/** CCID's limit (bMaxSlotIndex 7 here, firmware/ccid/descriptors.ts). */
const MAX_SOCKETS = 8;

function checkSocket(card: unknown, what: string, used: Set<number>, ports: Set<number>): void {
  if (!isObject(card)) fail(`${what} is required`);
  for (const role of ['clock', 'reset', 'supply', 'detect'] as const) checkPin(card[role], `${what}.${role}`, used);
  for (const role of ['fault', 'led'] as const) if (card[role] !== undefined) checkPin(card[role], `${what}.${role}`, used);
  const uart = card.uart;
  if (!isObject(uart) || typeof uart.io !== 'function' || typeof uart.port !== 'number') fail(`${what}.uart`);
  if (ports.has(uart.port)) fail(`${what}.uart.port ${uart.port} used twice`);
  ports.add(uart.port);
  checkPin({ io: uart.io, pin: uart.data }, `${what}.uart.data`, used);
  if (isObject(card.classSelect)) {
    const pins = card.classSelect.pins;
    if (!Array.isArray(pins)) fail(`${what}.classSelect.pins`);
    for (const pin of pins) checkPin({ io: card.classSelect.io, pin }, `${what}.classSelect`, used);
  }
  if (!Array.isArray(card.classes) || card.classes.length === 0) fail(`${what}.classes`);
}

/**
 * The provider object checked once at start-up: a board with a missing role, a pin or a UART used
 * twice (also across sockets) is a configuration error, reported before anything is driven.
 */
export function readerBoard(device: unknown): ReaderBoard {
  if (!isObject(device) || !isObject(device.card) || !isObject(device.usb)) fail('card and usb are required');
  const used = new Set<number>();
  const ports = new Set<number>();
  const cards = device.cards;
  if (cards === undefined) checkSocket(device.card, 'card', used, ports);
  else {
    if (!Array.isArray(cards) || cards.length < 1 || cards.length > MAX_SOCKETS) fail(`cards: 1 to ${MAX_SOCKETS} sockets`);
    if (cards[0] !== device.card) fail('card must be cards[0]');
    cards.forEach((card, i) => checkSocket(card, `cards[${i}]`, used, ports));
  }
  if (typeof device.usb.io !== 'function') fail('usb.io');
  if (typeof device.name !== 'string') fail('name');
  return device as unknown as ReaderBoard;
}

/** The board's card sockets in CCID slot order: `cards`, or the one `card`. */
export function cardSockets(board: ReaderBoard): readonly CardSocketBoard[] {
  return board.cards ?? [board.card];
}
