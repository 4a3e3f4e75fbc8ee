/**
 * The reader side of the T=1 block transmission protocol, ISO/IEC 7816-3:2006 §11, as a Transport.
 *
 * Construction (the session does this once the ATR/PPS chose T=1, with the UART already opened for
 * protocol 1 at the F and D in force; the session keeps forwarding the UART's callbacks):
 *
 *   const link = new T1Link({
 *     uart, scheduler, trace,
 *     clockHz, F, D,                 // rate in force: etu = F / (D · f); BWT is converted once with them
 *     ifsc: 32, cwi: 13, bwi: 4,     // from the ATR's first TA/TB after a TD announcing T=1 (defaults shown)
 *     edc: 'lrc',                    // first TC for T=1, bit 1: 'crc'
 *     nad: 0,                        // NAD the reader sends (b7–b5 DAD, b3–b1 SAD); the card answers SAD/DAD swapped
 *     ifsd: 254,                     // what negotiateIfsd() asks for
 *     onFatal: (error) => session.deactivate(error),  // resynchronisation failed (rule 6.4)
 *   });
 *   link.negotiateIfsd((error) => { ... });           // S(IFS request) first (rule 1, rule 4)
 *   link.transmitApdu(apdu, done, onWaiting);
 *
 * Other options: `retries` (3 retransmissions of one block before S(RESYNCH)), `resynchs` (3 S(RESYNCH)
 * per exchange before giving up), `maxResponseLength` (65 538), `crcVariant`, `rxLatencyEtu` (how long
 * after a character's leading edge the UART reports it; 10 = end of the parity bit).
 *
 * Timing (§11.4.3, from timing.ts, in etu of the rate in force): CWT and BWT are handed to the UART as
 * receive deadlines. A card's S(WTX request) multiplies the next BWT only (rule 3). BGT: the reader's
 * block starts at least 22 etu after the leading edge of the card's last character (§11.2), kept with
 * the Scheduler.
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
import type { Scheduler, TimerHandle } from '../../../hal/interfaces/scheduler.js';
import { silentTrace, TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import type { SlotError, TransmitResult } from '../../../hal/interfaces/slot.js';
import type { Transport } from '../transport.js';
import {
  BLOCK_MAX, INF_MAX, blockLength, decodeBlock, describePcb, encodeI, encodeR, encodeS,
  type BlockError, type RError, type SType, type T1Block,
} from './block.js';
import type { CrcVariant, EdcKind } from './edc.js';
import { t1LineAllows, t1PhaseAllows, type T1LineState, type T1Phase } from './states.js';
import { BLOCK_GUARD_ETU, blockWaitingEtu, characterWaitingEtu, etuNs, MIN_CHARACTER_ETU_T1 } from '../timing.js';

/** §11.4.2: IFSC and IFSD default to 32 until an ATR or S(IFS) says otherwise. */
export const IFS_DEFAULT = 32;

export interface T1LinkOptions {
  uart: CardUart;
  scheduler: Scheduler;
  trace?: Trace;
  clockHz: number;
  F: number;
  D: number;
  /** IFSC from the ATR (1…254), default 32. */
  ifsc?: number;
  /** CWI and BWI from the ATR, defaults 13 and 4. */
  cwi?: number;
  bwi?: number;
  edc?: EdcKind;
  crcVariant?: CrcVariant;
  /** NAD of the reader's blocks (default 0). */
  nad?: number;
  /** IFSD asked for by negotiateIfsd() (1…254, default 254). */
  ifsd?: number;
  /** Retransmissions of one block before S(RESYNCH) (rule 7.4.2), default 3. */
  retries?: number;
  /** S(RESYNCH) attempts per exchange before deactivation (rule 6.4), default 3. */
  resynchs?: number;
  /** Largest response kept (data + SW1 SW2), default 65 538. */
  maxResponseLength?: number;
  /** Etu between a character's leading edge and its onReadable (default 10). */
  rxLatencyEtu?: number;
  /** Resynchronisation failed: the session must deactivate (rule 6.4). Called once, after `done`. */
  onFatal?(error: SlotError): void;
}

/** The reader's last sent block, kept as its parameters so it can be rebuilt for a retransmission. */
type LastSent = 'I' | 'R' | 'S';

/** How the last failure looked, for the error named when resynchronisation gives up. */
type Failure = 'mute' | 'edc' | 'other';

export class T1Link implements Transport {
  readonly #uart: CardUart;
  readonly #scheduler: Scheduler;
  readonly #trace: Trace;
  readonly #etuNs: number;
  readonly #bwtEtu: number;
  readonly #cwtEtu: number;
  readonly #edc: EdcKind;
  readonly #variant: CrcVariant;
  readonly #nad: number;
  /** The card answers with SAD and DAD exchanged (§11.3.2.1). */
  readonly #cardNad: number;
  readonly #ifscInitial: number;
  readonly #ifsdWanted: number;
  readonly #retriesMax: number;
  readonly #resynchsMax: number;
  readonly #guardAfterRxEtu: number;
  readonly #onFatal: ((error: SlotError) => void) | undefined;

  readonly #tx = new Uint8Array(BLOCK_MAX);
  readonly #rx = new Uint8Array(BLOCK_MAX + 1);
  readonly #response: Uint8Array;

  #line: T1LineState = 'idle';
  #phase: T1Phase = 'none';
  #ifsc: number;
  /** IFSD as the card knows it (32 until an S(IFS) exchange succeeds, and again after resynch). */
  #ifsd = IFS_DEFAULT;
  /** IFSD to restore after a resynchronisation, once negotiateIfsd() has been asked for. */
  #ifsdTarget: number | null = null;
  /** S(IFS request) failed into a resynchronisation: give up on IFSD (it stays 32). */
  #ifsRefused = false;

  #ns: 0 | 1 = 0;
  #nr: 0 | 1 = 0;
  #apdu: Uint8Array | null = null;
  #txOffset = 0;
  #chunkLen = 0;
  #chunkMore = false;
  #responseLen = 0;
  #overrun = false;

  #last: LastSent = 'I';
  #lastR: RError = 'none';
  #lastSType: SType = 'IFS';
  #lastSResponse = false;
  #lastSValue: number | null = null;
  /** After S(ABORT response) is on the line, the exchange ends with this error (rule 9). */
  #endAfterSend: SlotError | null = null;

  #retries = 0;
  #resynchsLeft = 0;
  #wtx = 1;
  #failure: Failure = 'other';
  #needResynch = false;
  /** Some block of the current exchange reached the UART (an abort then needs resynch). */
  #sentAny = false;

  #txLen = 0;
  #txPos = 0;
  #rxCount = 0;
  #rxExpected = 0;
  #rxCharError = false;
  /** Why the block being drained is invalid. */
  #drainError: RError = 'other';
  /** Characters received while draining. */
  #drained = 0;
  #lastRxNs = -Infinity;
  /**
   * No answer can be complete before our block has left and BGT passed: (n − 1) · 11 etu + 22 etu after
   * we started writing, at the least. Earlier characters are strays from before our block.
   */
  #rxNotBefore = 0;
  #txStartNs = 0;
  #timer: TimerHandle | null = null;

  #done: ((result: TransmitResult) => void) | null = null;
  #onWaiting: ((multiplier: number) => void) | undefined = undefined;
  #ifsDone: ((error: SlotError | null) => void) | null = null;

  constructor(options: T1LinkOptions) {
    const { uart, scheduler, clockHz, F, D } = options;
    if (!(clockHz > 0 && F > 0 && D > 0)) throw new RangeError('T1Link: clockHz, F and D must be positive');
    const ifsc = options.ifsc ?? IFS_DEFAULT;
    const ifsd = options.ifsd ?? INF_MAX;
    if (!(ifsc >= 1 && ifsc <= INF_MAX) || !(ifsd >= 1 && ifsd <= INF_MAX)) throw new RangeError('T1Link: IFSC and IFSD are 1…254');
    const cwi = options.cwi ?? 13;
    const bwi = options.bwi ?? 4;
    if (!(cwi >= 0 && cwi <= 15) || !(bwi >= 0 && bwi <= 9)) throw new RangeError('T1Link: CWI 0…15, BWI 0…9');
    this.#uart = uart;
    this.#scheduler = scheduler;
    this.#trace = options.trace ?? silentTrace;
    this.#etuNs = etuNs(F, D, clockHz);
    this.#cwtEtu = characterWaitingEtu(cwi);
    this.#bwtEtu = blockWaitingEtu(bwi, F, D);
    this.#edc = options.edc ?? 'lrc';
    this.#variant = options.crcVariant ?? 'libccid';
    this.#nad = (options.nad ?? 0) & 0xff;
    this.#cardNad = ((this.#nad >> 4) & 0x0f) | ((this.#nad & 0x0f) << 4);
    this.#ifscInitial = ifsc;
    this.#ifsc = ifsc;
    this.#ifsdWanted = ifsd;
    this.#retriesMax = options.retries ?? 3;
    this.#resynchsMax = options.resynchs ?? 3;
    this.#guardAfterRxEtu = BLOCK_GUARD_ETU - (options.rxLatencyEtu ?? 10);
    this.#onFatal = options.onFatal;
    this.#response = new Uint8Array(options.maxResponseLength ?? 65_538);
  }

  /** Current IFSC (card's receive size) and IFSD (reader's, as the card knows it). */
  get ifsc(): number {
    return this.#ifsc;
  }
  get ifsd(): number {
    return this.#ifsd;
  }
  /** BWT and CWT in etu of the rate in force. */
  get bwtEtu(): number {
    return this.#bwtEtu;
  }
  get cwtEtu(): number {
    return this.#cwtEtu;
  }
  get state(): T1LineState {
    return this.#line;
  }
  /** N(S) of the reader's next I-block and the N(S) expected from the card. */
  get sequence(): { ns: 0 | 1; nr: 0 | 1 } {
    return { ns: this.#ns, nr: this.#nr };
  }

  /**
   * Rule 1 and rule 4: send S(IFS request) with the IFSD from the options; `done(null)` once the card
   * echoed it. On failure after retransmissions and resynchronisation, the error (see the header).
   */
  negotiateIfsd(done: (error: SlotError | null) => void): void {
    if (this.#rejectBusy((error) => done(error))) return;
    this.#ifsdTarget = this.#ifsdWanted;
    this.#ifsDone = done;
    this.#beginExchange();
    if (this.#needResynch) this.#startResynch('pending after abort');
    else this.#startIfs();
  }

  transmitApdu(apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    if (this.#rejectBusy((error) => done({ error, response: null }))) return;
    this.#apdu = apdu;
    this.#done = done;
    this.#onWaiting = onWaiting;
    this.#beginExchange();
    if (this.#needResynch) this.#startResynch('pending after abort');
    else this.#startSend();
  }

  handleReadable(): void {
    // Every byte waiting now arrived by now: one clock reading serves them all (per-byte path).
    const now = this.#scheduler.now();
    for (let byte = this.#uart.read(); byte !== undefined; byte = this.#uart.read()) {
      const line = this.#line;
      if (line === 'rx' && now >= this.#rxNotBefore) {
        if (this.#rxCount < this.#rx.length) this.#rx[this.#rxCount] = byte;
        this.#rxCount++;
        if (this.#rxCount === 3) this.#rxExpected = blockLength(this.#rx[2], this.#edc);
        if (this.#rxCount === this.#rxExpected) {
          this.#lastRxNs = now;
          this.#blockEnded();
          // Bytes still buffered after the block are strays: the loop drops them below.
        }
      } else {
        // A stray character (after a block, or before ours could have been answered): it still moves
        // the BGT reference, and while we wait to send it restarts the guard.
        this.#lastRxNs = now;
        if (line === 'guard') this.#armGuard();
        else if (line === 'drain' && ++this.#drained > 2 * BLOCK_MAX) {
          // A card that never falls silent: answer anyway rather than wait for ever.
          this.#uart.setDeadlines(0, 0);
          this.#failed('other', this.#drainError, 'no silence after an invalid block');
        }
      }
    }
  }

  handleError(error: CardCharError): void {
    const line = this.#line;
    if (error !== 'timeout') {
      if (line === 'rx') this.#rxCharError = true;
      return;
    }
    if (line === 'rx') {
      // §11.4.3: BWT passed without a character (nothing received) or CWT passed inside a block.
      if (this.#rxCount === 0) {
        if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, 'T=1 no block within BWT');
        this.#failed('mute', 'other', 'BWT timeout');
      } else {
        if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 block cut short after ${this.#rxCount} bytes (CWT)`);
        this.#failed(this.#rxCharError ? 'edc' : 'other', this.#rxCharError ? 'edc' : 'other', 'CWT timeout');
      }
    } else if (line === 'drain') {
      this.#failed(this.#drainError === 'edc' ? 'edc' : 'other', this.#drainError, 'invalid block');
    }
  }

  handleWritable(): void {
    if (this.#line === 'tx') this.#pump();
  }

  abort(): void {
    if (this.#line === 'closed' || this.#line === 'dead' || this.#phase === 'none') return;
    this.#silence();
    this.#uart.flush();
    if (this.#sentAny) this.#needResynch = true;
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'T=1 exchange aborted by the reader');
    this.#setLine('idle');
    const done = this.#done;
    const ifsDone = this.#ifsDone;
    this.#clearExchange();
    this.#scheduler.at(this.#scheduler.now(), () => {
      done?.({ error: 'CMD_ABORTED', response: null });
      ifsDone?.('CMD_ABORTED');
    });
  }

  close(): void {
    if (this.#line === 'closed') return;
    this.#silence();
    this.#clearExchange();
    this.#setLine('closed');
  }

  // ---- exchange control ----

  #rejectBusy(fail: (error: SlotError) => void): boolean {
    let error: SlotError | null = null;
    if (this.#line === 'dead' || this.#line === 'closed') error = 'DEACTIVATED_PROTOCOL';
    else if (this.#phase !== 'none') error = 'CMD_SLOT_BUSY';
    if (error === null) return false;
    const e = error;
    this.#scheduler.at(this.#scheduler.now(), () => fail(e));
    return true;
  }

  #beginExchange(): void {
    this.#retries = this.#retriesMax;
    this.#resynchsLeft = this.#resynchsMax;
    this.#sentAny = false;
    this.#failure = 'other';
    this.#ifsRefused = false;
    this.#wtx = 1;
    this.#endAfterSend = null;
  }

  #clearExchange(): void {
    this.#phase = 'none';
    this.#apdu = null;
    this.#done = null;
    this.#onWaiting = undefined;
    this.#ifsDone = null;
    this.#endAfterSend = null;
  }

  #setPhase(phase: T1Phase): void {
    const from = this.#phase;
    if (!t1PhaseAllows(from, phase)) throw new Error(`T1Link: phase ${from} → ${phase} is not in the table`);
    if (from !== phase && this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 phase ${from} → ${phase}`);
    this.#phase = phase;
  }

  #setLine(state: T1LineState): void {
    if (!t1LineAllows(this.#line, state)) throw new Error(`T1Link: line ${this.#line} → ${state} is not in the table`);
    this.#line = state;
  }

  #startIfs(): void {
    this.#setPhase('ifs');
    this.#sendS('IFS', false, this.#ifsdTarget ?? this.#ifsdWanted);
  }

  #startSend(): void {
    this.#setPhase('send');
    this.#txOffset = 0;
    this.#responseLen = 0;
    this.#overrun = false;
    this.#sendI();
  }

  /** Rule 6: S(RESYNCH request), at most `resynchs` times per exchange (rule 6.4), then dead. */
  #startResynch(why: string): void {
    if (this.#resynchsLeft <= 0) {
      this.#fatal();
      return;
    }
    this.#resynchsLeft--;
    // A card that cannot take S(IFS request) (some answer it with R-blocks) keeps IFSD 32 after resynch.
    if (this.#phase === 'ifs') this.#ifsRefused = true;
    if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 resynchronisation (rule 6): ${why}`);
    this.#setPhase('resynch');
    this.#sendS('RESYNCH', false, null);
  }

  /** Rule 6.4: resynchronisation failed; the link is dead until the session deactivates. */
  #fatal(): void {
    const error: SlotError = this.#failure === 'mute' ? 'ICC_MUTE' : this.#failure === 'edc' ? 'XFR_PARITY_ERROR' : 'DEACTIVATED_PROTOCOL';
    if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 resynchronisation failed (rule 6.4): ${error}`);
    this.#silence();
    const done = this.#done;
    const ifsDone = this.#ifsDone;
    this.#clearExchange();
    this.#setLine('dead');
    done?.({ error, response: null });
    ifsDone?.(error);
    this.#onFatal?.(error);
  }

  #finish(error: SlotError | null): void {
    const done = this.#done;
    const ifsDone = this.#ifsDone;
    const response = error === null && done ? this.#response.slice(0, this.#responseLen) : null;
    this.#clearExchange();
    if (this.#line !== 'idle') this.#setLine('idle');
    done?.({ error, response });
    ifsDone?.(error);
  }

  // ---- sending ----

  #sendI(): void {
    const apdu = this.#apdu!;
    const remaining = apdu.length - this.#txOffset;
    const size = this.#ifsc < INF_MAX ? this.#ifsc : INF_MAX;
    this.#chunkLen = remaining > size ? size : remaining;
    this.#chunkMore = remaining > size;
    this.#last = 'I';
    this.#queue(encodeI(this.#tx, this.#nad, this.#ns, this.#chunkMore, apdu, this.#txOffset, this.#chunkLen, this.#edc, this.#variant));
  }

  #sendR(error: RError): void {
    this.#last = 'R';
    this.#lastR = error;
    this.#queue(encodeR(this.#tx, this.#nad, this.#nr, error, this.#edc, this.#variant));
  }

  #sendS(type: SType, response: boolean, value: number | null): void {
    this.#last = 'S';
    this.#lastSType = type;
    this.#lastSResponse = response;
    this.#lastSValue = value;
    this.#queue(encodeS(this.#tx, this.#nad, type, response, value, this.#edc, this.#variant));
  }

  /** Rebuild and send the last block again (rules 7.2, 7.3; the card's R-block asking for it). */
  #resendLast(): void {
    if (this.#last === 'I') this.#sendI();
    else if (this.#last === 'R') this.#sendR(this.#lastR);
    else this.#sendS(this.#lastSType, this.#lastSResponse, this.#lastSValue);
  }

  #queue(length: number): void {
    this.#txLen = length;
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 → ${describePcb(this.#tx[1])}`, this.#tx.subarray(0, length));
    this.#armGuard();
  }

  /** §11.2 BGT: start no earlier than 22 etu after the leading edge of the card's last character. */
  #armGuard(): void {
    if (this.#timer !== null) this.#scheduler.cancel(this.#timer);
    if (this.#line !== 'guard') this.#setLine('guard');
    const now = this.#scheduler.now();
    const at = this.#lastRxNs + this.#guardAfterRxEtu * this.#etuNs;
    this.#timer = this.#scheduler.at(at > now ? at : now, this.#guardEnded);
  }

  /** BGT has passed: the queued block goes out. Made once: nothing is allocated per block. */
  readonly #guardEnded = (): void => {
    this.#timer = null;
    this.#setLine('tx');
    this.#txPos = 0;
    this.#txStartNs = this.#scheduler.now();
    this.#sentAny = true;
    this.#pump();
  };

  #pump(): void {
    const uart = this.#uart;
    // Room is read once, not per byte; what does not fit goes from handleWritable.
    const end = Math.min(this.#txLen, this.#txPos + uart.writable);
    while (this.#txPos < end) uart.write(this.#tx[this.#txPos++]);
    if (this.#txPos < this.#txLen) return; // the rest from handleWritable
    if (this.#endAfterSend !== null) {
      // Rule 9: our S(ABORT response) is on its way; the aborted exchange ends here.
      this.#needResynch = true;
      this.#finish(this.#endAfterSend);
      return;
    }
    this.#setLine('rx');
    this.#rxNotBefore = this.#txStartNs + ((this.#txLen - 1) * MIN_CHARACTER_ETU_T1 + BLOCK_GUARD_ETU) * this.#etuNs;
    this.#rxCount = 0;
    this.#rxExpected = 0;
    this.#rxCharError = false;
    // Rule 3: a granted WTX multiplies the next BWT only.
    uart.setDeadlines(this.#bwtEtu * this.#wtx, this.#cwtEtu);
    this.#wtx = 1;
  }

  #silence(): void {
    if (this.#timer !== null) this.#scheduler.cancel(this.#timer);
    this.#timer = null;
    this.#uart.setDeadlines(0, 0);
  }

  // ---- receiving ----

  #blockEnded(): void {
    this.#uart.setDeadlines(0, 0);
    if (this.#rxCharError) {
      // A character failed parity (or framing/overrun): the block is invalid whatever it says, and its
      // LEN may be wrong, so answer only once the line has been silent for CWT.
      this.#drain('edc');
      return;
    }
    const block = decodeBlock(this.#rx, this.#rxCount, this.#edc, this.#variant);
    if (this.#trace.mask & TraceCategory.PROTOCOL) {
      this.#trace.log(TraceCategory.PROTOCOL, `T=1 ← ${block.kind === 'invalid' ? `invalid (${block.error})` : describePcb(this.#rx[1])}`, this.#rx.subarray(0, Math.min(this.#rxCount, this.#rx.length)));
    }
    if (block.kind === 'invalid') {
      this.#drain(blockErrorKind(block.error));
      return;
    }
    if (block.nad !== this.#cardNad) {
      // Rule 7.1 (libccid's reading): a block for another address is an invalid block, "other error".
      this.#failed('other', 'other', `NAD ${block.nad}`);
      return;
    }
    this.#onBlock(block);
  }

  #drain(error: RError): void {
    this.#drainError = error;
    this.#drained = 0;
    this.#setLine('drain');
    this.#uart.setDeadlines(this.#cwtEtu, this.#cwtEtu);
  }

  /**
   * An invalid block or none (§11.6.3): rules 7.1–7.3 answer it, rule 7.4.2 escalates after
   * `retries` retransmissions, and in resynchronisation rule 6.4 counts the attempts.
   */
  #failed(failure: Failure, error: RError, why: string): void {
    this.#failure = failure;
    if (this.#phase === 'resynch') {
      // Rule 7.3 / 6.4: S(RESYNCH request) again, counted against the resynchronisation attempts.
      this.#startResynch(`no valid S(RESYNCH response): ${why}`);
      return;
    }
    if (--this.#retries < 0) {
      // Rule 7.4.2: no valid block after the retransmissions allowed.
      this.#startResynch(`${why} after ${this.#retriesMax} retransmissions`);
      return;
    }
    const rule = this.#phase === 'ifs' ? '7.3' : this.#last === 'R' ? '7.2' : '7.1';
    if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 ${why}: rule ${rule}`);
    if (rule === '7.3') this.#sendS('IFS', false, this.#ifsdTarget ?? this.#ifsdWanted); // Rule 7.3: S(request) again
    else if (rule === '7.2') this.#sendR(this.#lastR); // Rule 7.2: the same R-block again
    else this.#sendR(error); // Rule 7.1: R-block with N(R) = expected N(S) and the error
  }

  /** A block that passed EDC, LEN, PCB and NAD checks (rules 1–9 by phase and block type). */
  #onBlock(block: T1Block): void {
    if (block.kind === 'S') {
      if (!block.response) {
        this.#onSRequest(block.type, block.value);
        return;
      }
      if (this.#phase === 'resynch' && block.type === 'RESYNCH') {
        this.#resynchronised();
        return;
      }
      if (this.#phase === 'ifs' && block.type === 'IFS' && block.value === (this.#ifsdTarget ?? this.#ifsdWanted)) {
        // Rule 4: the card echoed IFSD.
        this.#ifsd = block.value;
        this.#retries = this.#retriesMax;
        if (this.#apdu !== null) this.#startSend();
        else this.#finish(null);
        return;
      }
      // Rule 7.1 / 7.2: an S(response) nobody asked for is an invalid block.
      this.#failed('other', 'other', `unexpected ${describePcb(this.#rx[1])}`);
      return;
    }
    const phase = this.#phase;
    if (phase === 'ifs' || phase === 'resynch') {
      // Rule 7.3: an I- or R-block does not answer our S(request); send it again.
      this.#failed('other', 'other', `${describePcb(this.#rx[1])} while waiting for an S(response)`);
      return;
    }
    if (block.kind === 'R') {
      if (phase === 'send' && block.nr !== this.#ns) {
        if (this.#chunkMore) {
          // Rule 5: the card acknowledged our chained I-block; send the next one.
          this.#ns ^= 1;
          this.#txOffset += this.#chunkLen;
          this.#retries = this.#retriesMax;
          this.#sendI();
        } else {
          // Rule 7.1: the last block of our chain must be answered by an I-block, not acknowledged.
          this.#failed('other', 'other', 'R-block acknowledging the last block of the chain');
        }
        return;
      }
      // The card did not get our last block (its rule 7.1 / 7.2 R-block): in our chain N(R) names the
      // I-block to send again (rule 7.1); while receiving, our last block (R or S response) goes again (rule 7.2).
      this.#failure = block.error === 'edc' ? 'edc' : 'other';
      if (--this.#retries < 0) {
        this.#startResynch('card keeps asking for retransmission (rule 7.4.2)');
        return;
      }
      if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 card asks for retransmission: ${describePcb(this.#rx[1])}`);
      if (phase === 'send') this.#sendI();
      else this.#resendLast();
      return;
    }
    // I-block.
    if (phase === 'send') {
      if (this.#chunkMore) {
        // Rule 5: while we chain, the card may only acknowledge with R-blocks.
        this.#failed('other', 'other', 'I-block inside our chain');
        return;
      }
      // Rule 2: the card's I-block acknowledges our last I-block.
      this.#ns ^= 1;
      this.#txOffset += this.#chunkLen;
      this.#setPhase('receive');
    }
    if (block.ns !== this.#nr) {
      // Rule 7.1: an I-block with the wrong N(S) is an invalid block (other error).
      this.#failed('other', 'other', `I-block N(S)=${block.ns}, expected ${this.#nr}`);
      return;
    }
    this.#nr ^= 1;
    this.#retries = this.#retriesMax;
    const inf = block.inf;
    if (this.#responseLen + inf.length > this.#response.length) this.#overrun = true;
    else {
      this.#response.set(inf, this.#responseLen);
      this.#responseLen += inf.length;
    }
    if (block.more) {
      this.#sendR('none'); // Rule 5: acknowledge the card's chained block.
      return;
    }
    if (this.#overrun) {
      this.#finish('XFR_OVERRUN');
      return;
    }
    this.#finish(null);
  }

  #onSRequest(type: SType, value: number | null): void {
    switch (type) {
      case 'WTX': {
        // Rule 3: grant the multiplier for the next BWT only and tell the host.
        const m = value! > 0 ? value! : 1;
        this.#wtx = m;
        if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 WTX ×${m}`);
        this.#onWaiting?.(m);
        this.#sendS('WTX', true, value);
        return;
      }
      case 'IFS':
        // Rule 4: the card announces a new IFSC (1…254, checked by the decoder).
        this.#ifsc = value!;
        if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 IFSC ${value}`);
        this.#sendS('IFS', true, value);
        return;
      case 'ABORT':
        if (this.#phase === 'send' || this.#phase === 'receive') {
          // Rule 9: the card aborts the chain; answer and end the exchange.
          if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, 'T=1 chain aborted by the card (rule 9)');
          this.#endAfterSend = 'CMD_ABORTED';
          this.#sendS('ABORT', true, null);
          return;
        }
        this.#failed('other', 'other', 'S(ABORT request) outside a chain');
        return;
      case 'RESYNCH':
        // Rule 6: only the interface device may ask for resynchronisation.
        this.#failed('other', 'other', 'S(RESYNCH request) from the card');
        return;
    }
  }

  /** Rule 6.3: S(RESYNCH response): N(S), N(R), IFSC and IFSD back to their initial values; start over. */
  #resynchronised(): void {
    this.#ns = 0;
    this.#nr = 0;
    this.#ifsc = this.#ifscInitial;
    this.#ifsd = IFS_DEFAULT;
    this.#needResynch = false;
    this.#retries = this.#retriesMax;
    if (this.#ifsRefused) {
      this.#ifsRefused = false;
      this.#ifsdTarget = null;
      if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, 'T=1 the card did not take S(IFS request): IFSD stays 32');
    }
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'T=1 resynchronised');
    if (this.#ifsdTarget !== null && this.#ifsdTarget !== IFS_DEFAULT) this.#startIfs();
    else if (this.#apdu !== null) this.#startSend();
    else this.#finish(null);
  }
}

function blockErrorKind(error: BlockError): RError {
  return error === 'bad-edc' ? 'edc' : 'other';
}
