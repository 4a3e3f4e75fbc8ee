/**
 * The card's I/O line as a UART (ISO 7816-3 §7): one open-drain line, 8 data bits + even parity,
 * at 1 etu = F / (D · f). ECMA-419 shape: options are fixed at construction (a change of F, D,
 * convention or guard time closes the UART and opens a new one), `read()` returns `undefined` when
 * empty, `write()` throws when full and `onWritable` says when to go on, `onReadable` only notifies,
 * `close()` is idempotent and silences callbacks.
 *
 * Two levels of access:
 * - Byte level ("number" format: one byte per call), for the ATR and PPS and for characters outside
 *   any transfer (strays).
 * - Block level, for the exchanges: the reader hands over a whole T=1 block (`writeBlock`) or a whole
 *   T=0 command TPDU (`writeTpdu`) from one buffer, and gets back the card's whole block or the
 *   TPDU's response data and status (`readBlock`) with one `onReadable`. Everything per character
 *   happens below: guard times and BGT, the T=1 framing by LEN and the EDC, the T=0 procedure
 *   bytes, BWT, CWT and WT. So the code above does no work per byte, and how fast it runs never
 *   shows on the line: a block leaves without gaps even when the caller is slow.
 *
 * Everything finer than a millisecond lives below this interface: character framing, guard time,
 * error signal and repetition (T=0), and the receive deadlines, all counted in etu.
 */

/**
 * The closed set of character-level errors (ISO 7816-3 §7.3, §10.2 character repetition). During a
 * T=0 transfer any of them ends it; during a T=1 block reception only 'timeout' does (a character
 * error makes the block invalid, §11.6.3, but the block still ends where its LEN says).
 */
export type CardCharError =
  /** A character kept failing parity after the allowed repetitions (T=0), or failed it once (T=1). */
  | 'parity'
  /** The receive buffer was full; a character was lost. */
  | 'overrun'
  /** Bad start or stop condition, or noise. */
  | 'framing'
  /** A receive deadline (of `setDeadlines`, or of a transfer: BWT, CWT, WT) passed without a character. */
  | 'timeout';

export type Convention = 'direct' | 'inverse';

/**
 * The T=1 epilogue (ISO 7816-3 §11.4.4): the LRC (1 byte, exclusive-or of the block), or the 2-byte
 * CRC of ISO/IEC 13239 (reflected CCITT polynomial, register preset to FFFF) either as the deployed
 * host stack sends it ('crc': the register, most significant byte first; libccid) or as ISO/IEC 13239
 * frames it ('crc-13239': the register's complement, least significant byte first).
 */
export type BlockEdc = 'lrc' | 'crc' | 'crc-13239';

/**
 * How the block or TPDU response that `readBlock` returns ended.
 * - 'complete': T=1: LEN bytes of INF and an EDC that checks; T=0: SW1 SW2, the last two bytes.
 * - 'bad-edc': T=1: framed by its LEN, but the EDC does not check (§11.6.3: an invalid block).
 * - 'conflict': T=0: in the place of a procedure byte came one that is neither NULL, INS, INS ⊕ FF
 *   nor SW1 (§10.3.3); it is the last byte.
 * - 'cut': an error or a deadline ended the transfer early; what came before it.
 */
export type BlockEnd = 'complete' | 'bad-edc' | 'conflict' | 'cut';

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
  /** T=1: the epilogue `writeBlock` appends and `readBlock` checks (default 'lrc'). */
  edc?: BlockEdc;
  /** Bytes are waiting to be read. */
  onReadable?(count: number): void;
  /** Room for `count` more bytes to write. */
  onWritable?(count: number): void;
  /** A character-level error (see CardCharError). Reception goes on after it. */
  onError?(error: CardCharError): void;
  /**
   * T=0: the card sent NULL (60) during a TPDU (§10.3.3), asking for more time; WT restarted and the
   * transfer goes on. A notice only, for the layers above (a CCID time extension).
   */
  onWaiting?(): void;
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
  /**
   * T=1 (§11): send `block[0 … length)` as one transmission, then receive the card's block.
   * - With `addEdc` the UART appends the epilogue (`options.edc`); without, the block carries its own.
   * - The first character waits for BGT, 22 etu after the leading edge of the card's last character
   *   (§11.2); the others follow at the character guard time (12 + N etu, 11 with N = 255).
   * - Once its last character is on the line, the card's block: its first character within `waitEtu`
   *   of the leading edge of our last one (BWT, times a WTX), each next within `characterEtu` of the
   *   previous one (CWT), its length 3 + LEN + EDC from the prologue (§11.3). One `onReadable` when it
   *   is complete, with `blockEnd` 'complete' or 'bad-edc'; character errors come first, through
   *   `onError` (a parity error makes the block invalid, §11.6.3, but it still ends by its LEN). A
   *   deadline that passes ends the transfer with `onError('timeout')` ('cut': `readBlock` gives what
   *   came, nothing after BWT). The deadlines end with the transfer.
   * - `waitEtu` 0: the block goes out and nothing is awaited (the card's characters stay bytes).
   * Characters received outside a transfer stay byte-level (`read()`). Starting a transfer abandons
   * the one in progress, and its unread block. Throws when closed or when the block does not fit.
   */
  writeBlock(block: Uint8Array, length: number, addEdc: boolean, waitEtu: number, characterEtu: number): void;
  /**
   * T=0 (§10.3): one command TPDU. `command[0 … 5)` is the header CLA INS P1 P2 P3 and
   * `command[5 … length)` the data to send (P3 bytes; none when `length` is 5); `expected` is the
   * number of data bytes to receive (0 … 256). The card's procedure bytes are handled below (§10.3.3):
   * NULL restarts WT (`onWaiting`); INS moves all the remaining data, INS ⊕ FF one byte, each time
   * in the TPDU's direction, and another procedure byte follows; SW1 (6X but 60, 9X) and SW2 end it.
   * Every character of the card is due within `waitEtu` of the previous one on the line (WT, §10.2).
   * The reader's characters keep the guard time, and its first one after the card's waits 16 etu
   * from that character's leading edge (§7.2). One `onReadable` at the end: `readBlock` gives the
   * data received then SW1 SW2 ('complete'), or then the byte that was no procedure byte
   * ('conflict'). A character error (after the repetitions of §7.3) or a deadline ends it through
   * `onError` ('cut'); a byte from the card while the reader still has its part to send is a
   * 'conflict'. Starting a transfer abandons the one in progress. Throws when closed or too long.
   */
  writeTpdu(command: Uint8Array, length: number, expected: number, waitEtu: number): void;
  /**
   * The card's block (T=1) or the TPDU's response (T=0) of the last transfer, copied into `into` from
   * `offset` (as much as fits); returns its whole length, 0 when there is none (yet). Reading it
   * consumes it; `blockEnd` then says how it ended.
   */
  readBlock(into: Uint8Array, offset: number): number;
  /** How the block or response last returned by `readBlock` ended. */
  readonly blockEnd: BlockEnd;
  /** Drop received bytes not yet read and bytes not yet sent, and abandon any transfer. */
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
