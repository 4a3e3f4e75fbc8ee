/**
 * CardUart on an ESP32-S3 UART (ISO/IEC 7816-3 §7): the TypeScript half of the native modules
 * `card-uart.c` (characters) and `card-block.c` (whole T=1 blocks and T=0 TPDUs). Options are
 * checked and converted here, once per open: etu to a baud rate and to nanoseconds, TC1's N to stop
 * bits and idle bits, the convention and the T=1 epilogue to codes. Everything per byte happens in
 * C — echo, guard time and BGT, the T=0 error signal and repetition, the procedure bytes, the T=1
 * framing and EDC, the deadlines —, so each method here is one native call: a block-level transfer
 * costs XS two calls and one delivery whatever its length. See the comments at the top of the C files
 * for what the hardware can and cannot do.
 *
 * Inverse convention (§8.1): data bits are sent inverted and most significant bit first, while the
 * start bit, stop bits and idle level are not inverted. Inverting the UART's line signals would
 * invert those too (the idle line would be driven low), so the UART keeps normal levels, the C codes
 * each byte as reverse(~b) — its own inverse — and the parity is odd: the line parity bit of the
 * inverse convention is the inverted even parity of the logical byte, which is the odd parity of the
 * coded one.
 */
import type {
  BlockEdc, BlockEnd, CardCharError, CardUart, CardUartCapabilities, CardUartConstructor, CardUartOptions, Convention,
} from '../interfaces/card-uart.js';
import { TraceCategory } from '../common/trace.js';
import type { Trace } from '../interfaces/trace.js';
import type { CardUartLine, CardUartPins } from './board.js';
import { cardUartCapabilities, errorSignalWanted, framing, MAX_BAUD, uartBaud } from './card-line.js';

/** card-uart.c counts deadline etu in 32 bits; longer ones (none in ISO 7816-3) are clamped. */
const MAX_DEADLINE_ETU = 0xffff_ffff;

/** card-uart.h kError*: the errors of a delivery, in the order they are reported. */
const ERROR_BITS: readonly (readonly [number, CardCharError])[] = Object.freeze([
  Object.freeze([0x01, 'parity'] as const),
  Object.freeze([0x02, 'overrun'] as const),
  Object.freeze([0x04, 'framing'] as const),
  Object.freeze([0x08, 'timeout'] as const),
]);
const ERRORS = 0x0f;
/** card-uart.h kNoticeSignalOff: the T=0 error signal is off, the interrupt latency being too long for the rate. */
const NOTICE_SIGNAL_OFF = 0x10;
/** card-uart.h kNoticeWaiting: the card sent NULL during a T=0 TPDU. */
const NOTICE_WAITING = 0x20;

const CONVENTION_CODE = Object.freeze({ detect: 0, direct: 1, inverse: 2 } as const);
const CONVENTIONS: readonly (Convention | 'detect')[] = Object.freeze(['detect', 'direct', 'inverse'] as const);
/** card-uart.h kEdc* and kEnd*. */
const EDC_CODE: Readonly<Record<BlockEdc, number>> = Object.freeze({ lrc: 0, crc: 1, 'crc-13239': 2 });
const BLOCK_ENDS: readonly BlockEnd[] = Object.freeze(['complete', 'bad-edc', 'conflict', 'cut'] as const);

type DeliverCallback = (readable: number, writable: number, errors: number) => void;

/**
 * The native UART record; methods map one to one onto the functions of card-uart.c. The block level
 * (card-block.c: xs_carduart_write_block, _write_tpdu, _read_block, _get_block_end) is called from
 * Esp32CardUart directly, one call fewer per block.
 */
class CardUartPort extends Native('xs_carduart_destructor') {
  constructor(
    port: number, pin: number, baud: number, etuNs: number, stopBits: 1 | 2, extraGuardEtu: number,
    protocol: 0 | 1, repetitions: number, errorSignal: boolean, convention: number, edc: number, deliver: DeliverCallback,
  ) {
    super();
    native('xs_carduart').call(
      this, port, pin, baud, etuNs, stopBits, extraGuardEtu, protocol, repetitions, errorSignal, convention, edc, deliver,
    );
  }
  close(): void {
    native('xs_carduart_close').call(this);
  }
  read(): number | undefined {
    return native('xs_carduart_read').call(this) as number | undefined;
  }
  write(byte: number): boolean {
    return native('xs_carduart_write').call(this, byte) as boolean;
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

/** A deadline in whole etu as card-uart.c counts them (32 bits; longer ones, none in ISO 7816-3, are clamped). */
function deadline(etu: number): number {
  if (!(etu >= 0)) throw new RangeError('invalid deadline');
  return etu < MAX_DEADLINE_ETU ? Math.ceil(etu) : MAX_DEADLINE_ETU;
}

export class Esp32CardUart implements CardUart {
  static readonly capabilities: CardUartCapabilities = cardUartCapabilities;

  readonly #port: CardUartPort;
  readonly #options: CardUartOptions;
  readonly #trace: Trace | undefined;
  readonly #etuNs: number;
  #closed = false;

  constructor(options: CardUartOptions, line: CardUartPins, trace?: Trace) {
    const { clockHz, F, D, N, protocol, repetitions, convention } = options;
    if (!(clockHz > 0) || !(F > 0) || !(D > 0)) throw new RangeError('invalid rate');
    checkInteger('N', N, 0, 255);
    checkInteger('repetitions', repetitions, 0, 7);
    if (protocol !== 0 && protocol !== 1) throw new RangeError('invalid protocol');
    const baud = (D * clockHz) / F;
    if (baud > MAX_BAUD * (1 + 1e-9)) throw new RangeError('rate above the UART limit');
    const etuNs = (F * 1e9) / (D * clockHz);
    const { stopBits, extraGuardEtu } = framing(N, protocol);
    const errorSignal = errorSignalWanted(protocol, repetitions);

    const edc = options.edc ?? 'lrc';
    if (!(edc in EDC_CODE)) throw new RangeError('invalid edc');
    this.#options = options;
    this.#trace = trace;
    this.#etuNs = etuNs;
    this.#port = new CardUartPort(
      line.port, line.data, uartBaud(baud), etuNs, stopBits, extraGuardEtu, protocol, repetitions, errorSignal,
      CONVENTION_CODE[convention], EDC_CODE[edc], this.#deliver,
    );
  }

  /**
   * Called by card-uart.c from the XS task, once for everything pending: errors go first so a T=1
   * block is known bad before it is read, then a T=0 NULL, then what can be read and written. The
   * native calls it directly: one call per delivery.
   */
  readonly #deliver = (readable: number, writable: number, errors: number): void => {
    const options = this.#options;
    if (errors !== 0) {
      if (errors & NOTICE_SIGNAL_OFF) this.#signalOff();
      if (errors & ERRORS) {
        for (let i = 0; i < ERROR_BITS.length; i++) {
          if (this.#closed) return;
          if (errors & ERROR_BITS[i][0]) options.onError?.(ERROR_BITS[i][1]);
        }
      }
      if (!this.#closed && errors & NOTICE_WAITING) options.onWaiting?.();
    }
    if (!this.#closed && readable > 0) options.onReadable?.(readable);
    if (!this.#closed && writable > 0) options.onWritable?.(writable);
  };

  /** ISO 7816-3 §7.3 asks for the signal at 10.5 ± 0.2 etu; past that, none is better than a late one. */
  #signalOff(): void {
    const trace = this.#trace;
    if (trace === undefined || this.#closed || (trace.mask & TraceCategory.DRIVER) === 0) return;
    const etuUs = Math.round(this.#etuNs / 100) / 10;
    trace.log(TraceCategory.DRIVER, `T=0 error signal off at ${etuUs} µs/etu: interrupt latency ${this.#port.latency} µs exceeds 0.2 etu (ISO 7816-3 §7.3), parity errors are reported without repetition`);
  }

  get convention(): Convention | 'detect' {
    if (this.#closed) return this.#lastConvention;
    const code = this.#port.convention;
    this.#lastConvention = code === CONVENTION_CODE.inverse ? 'inverse' : 'direct';
    return CONVENTIONS[code];
  }
  #lastConvention: Convention = 'direct';

  read(): number | undefined {
    return this.#closed ? undefined : this.#port.read();
  }

  write(byte: number): void {
    if (this.#closed) throw new Error('closed');
    if (!this.#port.write(byte & 0xff)) throw new Error('output full');
  }

  writeBlock(block: Uint8Array, length: number, addEdc: boolean, waitEtu: number, characterEtu: number): void {
    if (this.#closed) throw new Error('closed');
    // deadline() written out for the usual whole etu: this runs for every T=1 block.
    const wait = waitEtu >= 0 && waitEtu < MAX_DEADLINE_ETU && waitEtu === Math.floor(waitEtu) ? waitEtu : deadline(waitEtu);
    const character = characterEtu >= 0 && characterEtu < MAX_DEADLINE_ETU && characterEtu === Math.floor(characterEtu) ? characterEtu : deadline(characterEtu);
    native('xs_carduart_write_block').call(this.#port, block, length, addEdc, wait, character);
  }

  writeTpdu(command: Uint8Array, length: number, expected: number, waitEtu: number): void {
    if (this.#closed) throw new Error('closed');
    native('xs_carduart_write_tpdu').call(this.#port, command, length, expected, deadline(waitEtu));
  }

  readBlock(into: Uint8Array, offset: number): number {
    return this.#closed ? 0 : native('xs_carduart_read_block').call(this.#port, into, offset) as number;
  }

  get blockEnd(): BlockEnd {
    return this.#closed ? 'cut' : BLOCK_ENDS[native('xs_carduart_get_block_end').call(this.#port) as number];
  }

  get writable(): number {
    return this.#closed ? 0 : this.#port.writable;
  }

  setDeadlines(firstEtu: number, nextEtu: number): void {
    if (this.#closed) return;
    this.#port.setDeadlines(deadline(firstEtu), deadline(nextEtu));
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
