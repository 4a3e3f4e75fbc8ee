/**
 * One exchange at a time on a T=1 link, ISO/IEC 7816-3 §11.6: the reader's S(IFS request) (rule 4)
 * or a command APDU as a chain of I-blocks and its response chain (rules 1, 2, 5), the card's
 * S(requests) (rules 3, 4, 9), and the recovery — retransmission (rules 7.1–7.3, 7.4.2) and
 * resynchronisation (rule 6). block-line.ts holds the line, sender.ts builds the reader's blocks,
 * rules.ts judges the card's; link.ts is the Transport the session sees.
 */
import type { CardUart } from '../../../hal/interfaces/card-uart.js';
import type { Scheduler } from '../../../hal/interfaces/scheduler.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import type { SlotError, TransmitResult } from '../../../hal/interfaces/slot.js';
import { BLOCK_MAX, describePcb, type RError, type SType, type T1Block } from './block.js';
import { T1BlockLine, type Failure } from './block-line.js';
import type { CrcVariant, EdcKind } from './edc.js';
import { judgeBlock } from './rules.js';
import { T1Sender } from './sender.js';
import { T1_PHASE_ALLOWED, type T1LineState, type T1Phase } from './states.js';

/** §11.4.2: IFSC and IFSD default to 32 until an ATR or S(IFS) says otherwise. */
export const IFS_DEFAULT = 32;
/** Where the response starts in its buffer: the first block's prologue goes before it (T1BlockLine.infAt). */
const RESPONSE_AT = 3;

/** The link's parameters, checked and with their defaults (link.ts T1LinkOptions). */
export interface T1ExchangeConfig {
  readonly uart: CardUart;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  /** BWT and CWT in etu of the rate in force (timing.ts). */
  readonly bwtEtu: number;
  readonly cwtEtu: number;
  readonly ifsc: number;
  /** The IFSD negotiateIfsd() asks for. */
  readonly ifsd: number;
  readonly edc: EdcKind;
  readonly crcVariant: CrcVariant;
  readonly nad: number;
  readonly retries: number;
  readonly resynchs: number;
  readonly maxResponseLength: number;
  readonly onFatal: ((error: SlotError) => void) | undefined;
}

export class T1Exchange {
  readonly #c: T1ExchangeConfig;
  readonly #trace: Trace;
  /** The line, whose UART events the link forwards. */
  readonly line: T1BlockLine;
  readonly #send: T1Sender;
  /** The card answers with SAD and DAD exchanged (§11.3.2.1). */
  readonly #cardNad: number;
  readonly #response: Uint8Array;

  #phase: T1Phase = 'none';
  /** IFSD as the card knows it (32 until an S(IFS) exchange succeeds, and again after resynch). */
  #ifsd = IFS_DEFAULT;
  /** IFSD to restore after a resynchronisation, once negotiateIfsd() has been asked for. */
  #ifsdTarget: number | null = null;
  /** S(IFS request) failed into a resynchronisation: give up on IFSD (it stays 32). */
  #ifsRefused = false;

  #apdu: Uint8Array | null = null;
  #responseLen = 0;
  #overrun = false;
  /** After S(ABORT response) is on the line, the exchange ends with this error (rule 9). */
  #endAfterSend: SlotError | null = null;

  #retries = 0;
  #resynchsLeft = 0;
  #wtx = 1;
  #failure: Failure = 'other';
  #needResynch = false;
  /** Some block of the current exchange reached the UART (an abort then needs resynch). */
  #sentAny = false;

  #done: ((result: TransmitResult) => void) | null = null;
  #onWaiting: ((multiplier: number) => void) | undefined = undefined;
  #ifsDone: ((error: SlotError | null) => void) | null = null;

  constructor(c: T1ExchangeConfig) {
    this.#c = c;
    this.#trace = c.trace;
    this.#response = new Uint8Array(RESPONSE_AT + c.maxResponseLength + BLOCK_MAX + 1); // + the last block's prologue and EDC
    this.line = new T1BlockLine({
      uart: c.uart, trace: c.trace, edc: c.edc, cwtEtu: c.cwtEtu, rx: this.#response,
      events: {
        sent: this.#sent,
        received: this.#received,
        failed: (failure, error, why) => this.#failed(failure, error, why),
      },
    });
    this.#send = new T1Sender(this.line, c.nad, c.ifsc, this.#queue); // arrows: one call per block
    this.#cardNad = ((c.nad >> 4) & 0x0f) | ((c.nad & 0x0f) << 4);
  }

  /** Current IFSC (card's receive size) and IFSD (reader's, as the card knows it). */
  get ifsc(): number {
    return this.#send.ifsc;
  }
  get ifsd(): number {
    return this.#ifsd;
  }
  get state(): T1LineState {
    return this.line.state;
  }

  /**
   * Rule 1 and rule 4: send S(IFS request) with the IFSD from the options; `done(null)` once the card
   * echoed it. On failure after retransmissions and resynchronisation, the error (see the header).
   */
  negotiateIfsd(done: (error: SlotError | null) => void): void {
    const refused = this.#refusal();
    if (refused !== null) return this.#later(() => done(refused));
    this.#ifsdTarget = this.#c.ifsd;
    this.#ifsDone = done;
    this.#beginExchange();
    if (this.#needResynch) this.#startResynch('pending after abort');
    else this.#startIfs();
  }

  readonly transmitApdu = (apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void => {
    const refused = this.#refusal();
    if (refused !== null) return this.#later(() => done({ error: refused, response: null }));
    this.#apdu = apdu;
    this.#done = done;
    this.#onWaiting = onWaiting;
    this.#beginExchange();
    if (this.#needResynch) this.#startResynch('pending after abort');
    else this.#startSend();
  };

  abort(): void {
    const line = this.line.state;
    if (line === 'closed' || line === 'dead' || this.#phase === 'none') return;
    this.line.silence();
    this.#c.uart.flush();
    if (this.#sentAny) this.#needResynch = true;
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'T=1 exchange aborted by the reader');
    this.line.idle();
    const done = this.#done;
    const ifsDone = this.#ifsDone;
    this.#clearExchange();
    this.#c.scheduler.at(this.#c.scheduler.now(), () => {
      done?.({ error: 'CMD_ABORTED', response: null });
      ifsDone?.('CMD_ABORTED');
    });
  }

  close(): void {
    if (this.line.state === 'closed') return;
    this.line.silence();
    this.#clearExchange();
    this.line.close();
  }

  // ---- exchange control ----

  /** Why no exchange can start now (null: one can); checked before anything is allocated for the call. */
  #refusal(): SlotError | null {
    const line = this.line.state;
    if (line === 'dead' || line === 'closed') return 'DEACTIVATED_PROTOCOL';
    return this.#phase !== 'none' ? 'CMD_SLOT_BUSY' : null;
  }

  /** A refusal is delivered from the scheduler's loop, never inside the call. */
  #later(callback: () => void): void { this.#c.scheduler.at(this.#c.scheduler.now(), callback); }

  #beginExchange(): void {
    this.#retries = this.#c.retries;
    this.#resynchsLeft = this.#c.resynchs;
    this.#sentAny = false;
    this.#failure = 'other';
    this.#ifsRefused = false;
    this.#wtx = 1;
    this.#endAfterSend = null;
  }

  #clearExchange(): void {
    this.#phase = 'none';
    this.#apdu = null;
    this.#send.clear();
    this.#done = null;
    this.#onWaiting = undefined;
    this.#ifsDone = null;
    this.#endAfterSend = null;
  }

  #setPhase(phase: T1Phase): void {
    const from = this.#phase;
    if (from !== phase && T1_PHASE_ALLOWED[from][phase] !== true) throw new Error(`T1Link: phase ${from} → ${phase} is not in the table`);
    if (from !== phase && this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 phase ${from} → ${phase}`);
    this.#phase = phase;
  }

  #startIfs(): void {
    this.#setPhase('ifs');
    this.#send.sendS('IFS', false, this.#ifsdTarget ?? this.#c.ifsd);
  }

  #startSend(): void {
    this.#setPhase('send');
    this.#responseLen = 0;
    this.#overrun = false;
    this.line.infAt = RESPONSE_AT;
    this.#send.startCommand(this.#apdu!);
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
    this.#send.sendS('RESYNCH', false, null);
  }

  /** Rule 6.4: resynchronisation failed; the link is dead until the session deactivates. */
  #fatal(): void {
    const error: SlotError = this.#failure === 'mute' ? 'ICC_MUTE' : this.#failure === 'edc' ? 'XFR_PARITY_ERROR' : 'DEACTIVATED_PROTOCOL';
    if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 resynchronisation failed (rule 6.4): ${error}`);
    this.line.silence();
    const done = this.#done;
    const ifsDone = this.#ifsDone;
    this.#clearExchange();
    this.line.dead();
    done?.({ error, response: null });
    ifsDone?.(error);
    this.#c.onFatal?.(error);
  }

  #finish(error: SlotError | null): void {
    const done = this.#done;
    const ifsDone = this.#ifsDone;
    const response = error === null && done ? this.#response.subarray(RESPONSE_AT, RESPONSE_AT + this.#responseLen) : null;
    this.#clearExchange();
    this.line.idle();
    done?.({ error, response });
    ifsDone?.(error);
  }

  // ---- sending ----

  /**
   * The block encoded in the line's buffer goes out; rule 3: a granted WTX multiplies the next BWT
   * only. Our S(ABORT response) ends the exchange (rule 9): nothing is awaited after it.
   */
  readonly #queue = (length: number): void => {
    this.#sentAny = true;
    this.line.send(length, this.#endAfterSend === null ? this.#c.bwtEtu * this.#wtx : 0);
    this.#wtx = 1;
  };

  /** The reader's block is on the line: wait for the answer, unless it was our S(ABORT response) (rule 9). */
  readonly #sent = (): boolean => {
    if (this.#endAfterSend === null) return true;
    // Rule 9: our S(ABORT response) is on its way; the aborted exchange ends here.
    this.#needResynch = true;
    this.#finish(this.#endAfterSend);
    return false;
  };

  // ---- receiving ----

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
      this.#startResynch(`${why} after ${this.#c.retries} retransmissions`);
      return;
    }
    const rule = this.#phase === 'ifs' ? '7.3' : this.#send.last === 'R' ? '7.2' : '7.1';
    if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 ${why}: rule ${rule}`);
    if (rule === '7.3') this.#send.sendS('IFS', false, this.#ifsdTarget ?? this.#c.ifsd); // Rule 7.3: S(request) again
    else if (rule === '7.2') this.#send.sendR(this.#send.lastR); // Rule 7.2: the same R-block again
    else this.#send.sendR(error); // Rule 7.1: R-block with N(R) = expected N(S) and the error
  }

  /** A block that passed EDC, LEN and PCB checks: rule 7.1 on its address, then the verdict of rules.ts. */
  readonly #received = (block: T1Block): void => {
    if (block.nad !== this.#cardNad) {
      // Rule 7.1 (libccid's reading): a block for another address is an invalid block, "other error".
      this.#failed('other', 'other', `NAD ${block.nad}`);
      return;
    }
    const send = this.#send;
    const verdict = judgeBlock(block, this.line.receivedPcb, this.#phase, send, this.#ifsdTarget ?? this.#c.ifsd);
    switch (verdict.kind) {
      case 's-request':
        return this.#onSRequest(verdict.type, verdict.value);
      case 'resynchronised':
        return this.#resynchronised();
      case 'ifs-accepted':
        this.#ifsd = this.#ifsdTarget ?? this.#c.ifsd;
        this.#retries = this.#c.retries;
        if (this.#apdu !== null) this.#startSend();
        else this.#finish(null);
        return;
      case 'next-chunk':
        send.acknowledged();
        this.#retries = this.#c.retries;
        return send.sendI();
      case 'resend':
        this.#failure = verdict.failure;
        if (--this.#retries < 0) return this.#startResynch('card keeps asking for retransmission (rule 7.4.2)');
        if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `T=1 card asks for retransmission: ${describePcb(this.line.receivedPcb)}`);
        if (this.#phase === 'send') send.sendI();
        else send.resendLast();
        return;
      case 'invalid':
        return this.#failed('other', 'other', verdict.why);
      case 'i-block':
        break;
    }
    if (block.kind !== 'I') return;
    if (verdict.acknowledges) {
      send.acknowledged();
      this.#setPhase('receive');
    }
    if (!verdict.inSequence) return this.#failed('other', 'other', `I-block N(S)=${block.ns}, expected ${send.nr}`);
    send.nr ^= 1;
    this.#retries = this.#c.retries;
    const inf = block.inf;
    if (this.#responseLen + inf.length > this.#c.maxResponseLength) this.#overrun = true;
    else this.#responseLen += inf.length; // read in place (line.infAt): no copy
    if (block.more) {
      this.line.infAt = RESPONSE_AT + this.#responseLen;
      return send.sendR('none'); // Rule 5: acknowledge the card's chained block.
    }
    this.#finish(this.#overrun ? 'XFR_OVERRUN' : null);
  };

  #onSRequest(type: SType, value: number | null): void {
    switch (type) {
      case 'WTX': {
        // Rule 3: grant the multiplier for the next BWT only and tell the host.
        const m = value! > 0 ? value! : 1;
        this.#wtx = m;
        if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 WTX ×${m}`);
        this.#onWaiting?.(m);
        this.#send.sendS('WTX', true, value);
        return;
      }
      case 'IFS':
        // Rule 4: the card announces a new IFSC (1…254, checked by the decoder).
        this.#send.ifsc = value!;
        if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, `T=1 IFSC ${value}`);
        this.#send.sendS('IFS', true, value);
        return;
      case 'ABORT':
        if (this.#phase === 'send' || this.#phase === 'receive') {
          // Rule 9: the card aborts the chain; answer and end the exchange.
          if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, 'T=1 chain aborted by the card (rule 9)');
          this.#endAfterSend = 'CMD_ABORTED';
          this.#send.sendS('ABORT', true, null);
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
    this.#send.ns = 0;
    this.#send.nr = 0;
    this.#send.ifsc = this.#c.ifsc;
    this.#ifsd = IFS_DEFAULT;
    this.#needResynch = false;
    this.#retries = this.#c.retries;
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
