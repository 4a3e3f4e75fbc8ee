/**
 * The card's I/O line as a UART (ISO 7816-3 §7): one open-drain line, 8 data bits + even parity,
 * at 1 etu = F / (D · f). ECMA-419 shape: options are fixed at construction (a change of F, D,
 * convention or guard time closes the UART and opens a new one), `read()` returns `undefined` when
 * empty, `write()` throws when full and `onWritable` says when to go on, `onReadable` only notifies,
 * `close()` is idempotent and silences callbacks. Format is "number": one byte per call.
 *
 * Everything finer than a millisecond lives below this interface: character framing, guard time,
 * error signal and repetition (T=0), and the receive deadlines, all counted in etu.
 */

/** The closed set of character-level errors (ISO 7816-3 §7.3, §10.2 character repetition). */
export type CardCharError =
  /** A character kept failing parity after the allowed repetitions (T=0), or failed it once (T=1). */
  | 'parity'
  /** The receive buffer was full; a character was lost. */
  | 'overrun'
  /** Bad start or stop condition, or noise. */
  | 'framing'
  /** A receive deadline armed with `setDeadlines` passed without a character. */
  | 'timeout';

export type Convention = 'direct' | 'inverse';

export interface CardUartOptions {
  /** CLK frequency in Hz that the card is driven at (etu = F / (D · clockHz)). */
  clockHz: number;
  /** Clock rate conversion factor F (372 until PPS). */
  F: number;
  /** Baud rate adjustment factor D (1 until PPS). */
  D: number;
  /**
   * Bit convention. 'detect' is for the ATR: the first character received (TS) chooses; 0x3B is read
   * as direct, and the inverse-convention TS is delivered as 0x3F and switches the UART to inverse.
   */
  convention: Convention | 'detect';
  /** Extra guard time N from TC1 (0–255). Characters sent are spaced by 12 etu + N etu (N = 255: 11 etu in T=1, 12 in T=0). */
  N: number;
  /** 0: T=0 character repetition (error signal on parity error, resend on error signal). 1: none. */
  protocol: 0 | 1;
  /** How many times a character is repeated (T=0) before 'parity' is reported. 0 disables repetition. */
  repetitions: number;
  /** Bytes are waiting to be read. */
  onReadable?(count: number): void;
  /** Room for `count` more bytes to write. */
  onWritable?(count: number): void;
  /** A character-level error (see CardCharError). Reception goes on after it. */
  onError?(error: CardCharError): void;
}

export interface CardUart {
  /** Next received byte (already decoded to direct logic), or undefined when none is waiting. */
  read(): number | undefined;
  /** Queue one byte for sending; throws when the transmit buffer is full. */
  write(byte: number): void;
  /** Bytes that can be written now without throwing. */
  readonly writable: number;
  /** The convention in force ('detect' resolves when TS arrives). */
  readonly convention: Convention | 'detect';
  /**
   * Arm the receive deadlines, in etu of the current F and D (ISO 7816-3 WT, CWT, BWT):
   * the next character must start within `firstEtu` of the leading edge of the last character on the
   * line (sent or received, whichever came last) or of this call if the line has been idle, and each
   * following character within `nextEtu` of the previous one. Expiry reports 'timeout' once and
   * disarms. 0 for both disarms. Writing a byte restarts the first-character deadline after it.
   */
  setDeadlines(firstEtu: number, nextEtu: number): void;
  /** Drop received bytes not yet read and bytes not yet sent. */
  flush(): void;
  close(): void;
}

export interface CardUartConstructor {
  new (options: CardUartOptions): CardUart;
  /** Static: the rates this UART can hold (see CardUartCapabilities); absent means any. */
  readonly capabilities?: CardUartCapabilities;
}

/**
 * What a board's card UART can hold, for choosing a rate before proposing it in PPS (ISO 7816-3
 * §9: never propose a rate the reader cannot produce). Optional: without it any rate is assumed.
 */
export interface CardUartCapabilities {
  /** Highest bit rate (bit/s) the UART can send and receive. */
  readonly maxBaud: number;
  /** The bit rate really produced when `baud` is asked (divider rounding); absent: exactly `baud`. */
  closestBaud?(baud: number): number;
}
