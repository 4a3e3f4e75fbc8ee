/**
 * The reader side of the T=1 block transmission protocol, ISO/IEC 7816-3:2006 §11, as a Transport.
 *
 * The session builds it once the ATR/PPS chose T=1, with the UART already opened for protocol 1
 * at the F and D in force, and keeps forwarding the UART's callbacks; negotiateIfsd() sends the
 * reader's S(IFS request) first (rules 1, 4), then transmitApdu() runs one command at a time. The
 * parts: exchange.ts runs each exchange and its recovery, block-line.ts holds the line (BGT, BWT,
 * CWT, framing), sender.ts builds the reader's blocks, rules.ts judges the card's; this file checks
 * the parameters and converts the waiting times once (timing.ts). A card's S(WTX request) multiplies
 * the next BWT only (rule 3).
 *
 * Outcomes: a response only when every block of it passed its EDC, PCB, LEN and sequence checks;
 * otherwise a SlotError: CMD_ABORTED (abort(), or S(ABORT) from the card, rule 9), CMD_SLOT_BUSY,
 * XFR_OVERRUN (response longer than maxResponseLength), and when resynchronisation fails (rule 6.4:
 * the link is dead and `onFatal` asks the session to deactivate) ICC_MUTE if the card stopped
 * answering, XFR_PARITY_ERROR if its last blocks failed EDC/parity, DEACTIVATED_PROTOCOL otherwise.
 *
 * Sequence numbers: N(S) of the reader's next I-block (`ns`) and N(S) expected from the card (`nr`)
 * both start at 0 (rule 1) and are reset by S(RESYNCH) (rule 6.3). After an abort (ours or the
 * card's) the next exchange starts with S(RESYNCH), because the card's view of the aborted block
 * cannot be known.
 *
 * After a successful S(RESYNCH) (rule 6.3: the card's N(S), N(R), IFSC and IFSD are back to their
 * initial values) the reader announces its IFSD again and sends the whole command again: the card
 * dropped what it had received. A card that never accepts S(IFS request) ends in resynchronisation
 * once; the link then keeps IFSD 32 and goes on (libccid likewise ignores a failed IFSD negotiation).
 */
import type { CardCharError, CardUart } from '../../../hal/interfaces/card-uart.js';
import type { Scheduler } from '../../../hal/interfaces/scheduler.js';
import { silentTrace } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import type { SlotError, TransmitResult } from '../../../hal/interfaces/slot.js';
import type { Transport } from '../transport.js';
import { blockWaitingEtu, characterWaitingEtu } from '../timing.js';
import { INF_MAX } from './block.js';
import type { CrcVariant, EdcKind } from './edc.js';
import { IFS_DEFAULT, T1Exchange } from './exchange.js';
import type { T1LineState } from './states.js';

export { IFS_DEFAULT } from './exchange.js';

export interface T1LinkOptions {
  /** Opened for protocol 1 at the rate in force, with the EDC below (CardUartOptions.edc, see blockEdc). */
  uart: CardUart;
  scheduler: Scheduler;
  trace?: Trace;
  /** The rate in force: etu = F / (D · f); BWT and CWT are converted once with them (timing.ts). */
  clockHz: number;
  F: number;
  D: number;
  /** IFSC from the ATR (1…254), default 32. */
  ifsc?: number;
  /** CWI and BWI from the ATR, defaults 13 and 4. */
  cwi?: number;
  bwi?: number;
  /** The first TC for T=1, bit 1: 'crc' (default 'lrc'). */
  edc?: EdcKind;
  crcVariant?: CrcVariant;
  /** NAD of the reader's blocks (b7–b5 DAD, b3–b1 SAD; default 0); the card answers SAD/DAD swapped. */
  nad?: number;
  /** IFSD asked for by negotiateIfsd() (1…254, default 254). */
  ifsd?: number;
  /** Retransmissions of one block before S(RESYNCH) (rule 7.4.2), default 3. */
  retries?: number;
  /** S(RESYNCH) attempts per exchange before deactivation (rule 6.4), default 3. */
  resynchs?: number;
  /** Largest response kept (data + SW1 SW2), default 65 538. */
  maxResponseLength?: number;
  /** Resynchronisation failed: the session must deactivate (rule 6.4). Called once, after `done`. */
  onFatal?(error: SlotError): void;
}

export class T1Link implements Transport {
  readonly #exchange: T1Exchange;
  /** The exchange's and the line's own (arrows): no call in between for every APDU and block. */
  readonly transmitApdu: (apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void) => void;
  readonly handleReadable: () => void;
  /** BWT and CWT in etu of the rate in force. */
  readonly bwtEtu: number;
  readonly cwtEtu: number;

  constructor(options: T1LinkOptions) {
    const { uart, scheduler, clockHz, F, D } = options;
    if (!(clockHz > 0 && F > 0 && D > 0)) throw new RangeError('T1Link: clockHz, F and D must be positive');
    const ifsc = options.ifsc ?? IFS_DEFAULT;
    const ifsd = options.ifsd ?? INF_MAX;
    if (!(ifsc >= 1 && ifsc <= INF_MAX) || !(ifsd >= 1 && ifsd <= INF_MAX)) throw new RangeError('T1Link: IFSC and IFSD are 1…254');
    const cwi = options.cwi ?? 13;
    const bwi = options.bwi ?? 4;
    if (!(cwi >= 0 && cwi <= 15) || !(bwi >= 0 && bwi <= 9)) throw new RangeError('T1Link: CWI 0…15, BWI 0…9');
    this.bwtEtu = blockWaitingEtu(bwi, F, D);
    this.cwtEtu = characterWaitingEtu(cwi);
    this.#exchange = new T1Exchange({
      uart, scheduler, trace: options.trace ?? silentTrace, bwtEtu: this.bwtEtu, cwtEtu: this.cwtEtu,
      ifsc, ifsd, edc: options.edc ?? 'lrc', crcVariant: options.crcVariant ?? 'libccid', nad: (options.nad ?? 0) & 0xff,
      retries: options.retries ?? 3, resynchs: options.resynchs ?? 3, maxResponseLength: options.maxResponseLength ?? 65_538,
      onFatal: options.onFatal,
    });
    this.transmitApdu = this.#exchange.transmitApdu;
    this.handleReadable = this.#exchange.line.handleReadable;
  }

  /** Current IFSC (card's receive size) and IFSD (reader's, as the card knows it). */
  get ifsc(): number {
    return this.#exchange.ifsc;
  }
  get ifsd(): number {
    return this.#exchange.ifsd;
  }
  get state(): T1LineState {
    return this.#exchange.state;
  }

  /**
   * Rule 1 and rule 4: send S(IFS request) with the IFSD from the options; `done(null)` once the card
   * echoed it. On failure after retransmissions and resynchronisation, the error (see the header).
   */
  negotiateIfsd(done: (error: SlotError | null) => void): void {
    this.#exchange.negotiateIfsd(done);
  }



  handleError(error: CardCharError): void {
    this.#exchange.line.handleError(error);
  }

  abort(): void {
    this.#exchange.abort();
  }

  close(): void {
    this.#exchange.close();
  }
}
