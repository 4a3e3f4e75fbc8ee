/**
 * CardUart on an ESP32-S3 UART (ISO/IEC 7816-3 §7): the TypeScript half of the native module
 * `card-uart.c`. Options are checked and converted here, once per open: etu to a baud rate and to
 * nanoseconds, TC1's N to stop bits and idle bits, the convention to a parity and a byte coding.
 * What happens within a character (echo, guard time, T=0 error signal and repetition, deadlines)
 * happens in C; see the comment at the top of card-uart.c for what the hardware can and cannot do.
 *
 * Inverse convention (§8.1): data bits are sent inverted and most significant bit first, while the
 * start bit, stop bits and idle level are not inverted. Inverting the UART's line signals would
 * invert those too (the idle line would be driven low), so the UART keeps normal levels, the byte is
 * coded as reverse(~b) — its own inverse — and the parity is odd: the line parity bit of the inverse
 * convention is the inverted even parity of the logical byte, which is the odd parity of the coded one.
 */
import type {
  CardCharError, CardUart, CardUartCapabilities, CardUartConstructor, CardUartOptions, Convention,
} from '../interfaces/card-uart.js';
import { TraceCategory } from '../common/trace.js';
import type { Trace } from '../interfaces/trace.js';
import type { CardUartLine, CardUartPins } from './board.js';
import { cardUartCapabilities, errorSignalWanted, framing, inverseCoding, MAX_BAUD } from './card-line.js';

/** card-uart.c counts deadline etu in 32 bits; longer ones (none in ISO 7816-3) are clamped. */
const MAX_DEADLINE_ETU = 0xffff_ffff;

const ERROR_BITS: readonly (readonly [number, CardCharError])[] = Object.freeze([
  Object.freeze([0x01, 'parity'] as const),
  Object.freeze([0x02, 'overrun'] as const),
  Object.freeze([0x04, 'framing'] as const),
  Object.freeze([0x08, 'timeout'] as const),
]);
/** card-uart.c kNoticeSignalOff: the T=0 error signal is off, the interrupt latency being too long for the rate. */
const NOTICE_SIGNAL_OFF = 0x10;

const CONVENTION_CODE = Object.freeze({ detect: 0, direct: 1, inverse: 2 } as const);
const CONVENTIONS: readonly (Convention | 'detect')[] = Object.freeze(['detect', 'direct', 'inverse'] as const);

type DeliverCallback = (readable: number, writable: number, errors: number) => void;

/** The native UART record; methods map one to one onto the functions of card-uart.c. */
class CardUartPort extends Native('xs_carduart_destructor') {
  constructor(
    port: number, pin: number, baud: number, etuNs: number, stopBits: 1 | 2, extraGuardEtu: number,
    protocol: 0 | 1, repetitions: number, errorSignal: boolean, convention: number, deliver: DeliverCallback,
  ) {
    super();
    native('xs_carduart').call(
      this, port, pin, baud, etuNs, stopBits, extraGuardEtu, protocol, repetitions, errorSignal, convention, deliver,
    );
  }
  close(): void {
    native('xs_carduart_close').call(this);
  }
  read(): number | undefined {
    return native('xs_carduart_read').call(this) as number | undefined;
  }
  write(raw: number): boolean {
    return native('xs_carduart_write').call(this, raw) as boolean;
  }
  get writable(): number {
    return native('xs_carduart_get_writable').call(this) as number;
  }
  get convention(): number {
    return native('xs_carduart_get_convention').call(this) as number;
  }
  /** The longest interrupt latency measured since opening, µs (-1: none yet). */
  get latency(): number {
    return native('xs_carduart_get_latency').call(this) as number;
  }
  setDeadlines(firstEtu: number, nextEtu: number): void {
    native('xs_carduart_set_deadlines').call(this, firstEtu, nextEtu);
  }
  flush(): void {
    native('xs_carduart_flush').call(this);
  }
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`invalid ${name}`);
}

export class Esp32CardUart implements CardUart {
  static readonly capabilities: CardUartCapabilities = cardUartCapabilities;

  readonly #port: CardUartPort;
  readonly #options: CardUartOptions;
  readonly #trace: Trace | undefined;
  readonly #etuNs: number;
  #inverse: boolean;
  #closed = false;

  constructor(options: CardUartOptions, line: CardUartPins, trace?: Trace) {
    const { clockHz, F, D, N, protocol, repetitions, convention } = options;
    if (!(clockHz > 0) || !(F > 0) || !(D > 0)) throw new RangeError('invalid rate');
    checkInteger('N', N, 0, 255);
    checkInteger('repetitions', repetitions, 0, 7);
    if (protocol !== 0 && protocol !== 1) throw new RangeError('invalid protocol');
    const baud = (D * clockHz) / F;
    if (baud > MAX_BAUD) throw new RangeError('rate above the UART limit');
    const etuNs = (F * 1e9) / (D * clockHz);
    const { stopBits, extraGuardEtu } = framing(N, protocol);
    const errorSignal = errorSignalWanted(protocol, repetitions);

    this.#options = options;
    this.#trace = trace;
    this.#etuNs = etuNs;
    this.#inverse = convention === 'inverse';
    this.#port = new CardUartPort(
      line.port, line.data, Math.round(baud), etuNs, stopBits, extraGuardEtu, protocol, repetitions, errorSignal,
      CONVENTION_CODE[convention], (readable, writable, errors) => this.#deliver(readable, writable, errors),
    );
  }

  /** Called by card-uart.c from the XS task; errors go first so a T=1 block is known bad before it ends. */
  #deliver(readable: number, writable: number, errors: number): void {
    const { onError, onReadable, onWritable } = this.#options;
    if (errors & NOTICE_SIGNAL_OFF) this.#signalOff();
    for (let i = 0; i < ERROR_BITS.length; i++) {
      if (this.#closed) return;
      if (errors & ERROR_BITS[i][0]) onError?.(ERROR_BITS[i][1]);
    }
    if (!this.#closed && readable > 0) onReadable?.(readable);
    if (!this.#closed && writable > 0) onWritable?.(writable);
  }

  /** ISO 7816-3 §7.3 asks for the signal at 10.5 ± 0.2 etu; past that, none is better than a late one. */
  #signalOff(): void {
    const trace = this.#trace;
    if (trace === undefined || this.#closed || (trace.mask & TraceCategory.DRIVER) === 0) return;
    const etuUs = Math.round(this.#etuNs / 100) / 10;
    trace.log(TraceCategory.DRIVER, `T=0 error signal off at ${etuUs} µs/etu: interrupt latency ${this.#port.latency} µs exceeds 0.2 etu (ISO 7816-3 §7.3), parity errors are reported without repetition`);
  }

  get convention(): Convention | 'detect' {
    if (this.#closed) return this.#inverse ? 'inverse' : 'direct';
    const code = this.#port.convention;
    this.#inverse = code === CONVENTION_CODE.inverse;
    return CONVENTIONS[code];
  }

  read(): number | undefined {
    if (this.#closed) return undefined;
    const raw = this.#port.read();
    if (raw === undefined) return undefined;
    // TS resolves the convention before it is queued, so the first byte is already coded right.
    if (!this.#inverse && this.#port.convention === CONVENTION_CODE.inverse) this.#inverse = true;
    return this.#inverse ? inverseCoding(raw) : raw;
  }

  write(byte: number): void {
    if (this.#closed) throw new Error('closed');
    if (!this.#port.write(this.#inverse ? inverseCoding(byte & 0xff) : byte & 0xff)) throw new Error('output full');
  }

  get writable(): number {
    return this.#closed ? 0 : this.#port.writable;
  }

  setDeadlines(firstEtu: number, nextEtu: number): void {
    if (this.#closed) return;
    if (!(firstEtu >= 0) || !(nextEtu >= 0)) throw new RangeError('invalid deadline');
    this.#port.setDeadlines(Math.min(Math.ceil(firstEtu), MAX_DEADLINE_ETU), Math.min(Math.ceil(nextEtu), MAX_DEADLINE_ETU));
  }

  flush(): void {
    if (!this.#closed) this.#port.flush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.close();
  }
}

/**
 * The board's CardUart constructor: the session opens it with rates only, the board adds the line
 * (and the trace, where the driver says what it cannot do at a rate).
 */
export function cardUartFor(line: CardUartLine, trace?: Trace): CardUartConstructor {
  const pins: CardUartPins = Object.freeze({ port: line.port, data: line.data });
  const Base = line.io;
  return class BoardCardUart extends Base {
    static override readonly capabilities = Base.capabilities;
    constructor(options: CardUartOptions) {
      super(options, pins, trace);
    }
  };
}
