/**
 * Negotiation after an ATR: the voltage class (§6.2.4), a specific mode (§8.3 TA2), PPS (§9) — the
 * reader's own, or the host's at the CCID TPDU level — and negotiable mode kept for the host, which
 * the host's first other command ends (§9: the default protocol at Fd/Dd). What to do is planned by
 * atr-plan.ts (pure); this part carries the plan out and hands the chosen link to the protocol set-up.
 */
import type { CardCharError, CardUart } from '../../../hal/interfaces/card-uart.js';
import type { SlotError, SlotParameters, TransmitResult } from '../../../hal/interfaces/slot.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import { decodeAtr, type AtrInfo } from '../atr/decode.js';
import { PpsExchange } from '../pps/exchange.js';
import type { RateChoice } from '../pps/rate.js';
import { CHAR_ERRORS } from '../t1/block-exchange.js';
import { INITIAL_WAITING_ETU } from '../timing.js';
import type { AfterQuiet } from './activation.js';
import {
  applyHostParameters, defaultLink, linkAfterPps, planAfterAtr, planForHost, planHostPps, type AtrPlan, type AtrSituation,
} from './atr-plan.js';
import type { SessionCore } from './core.js';

/** A host's SetParameters that needs a warm reset and PPS, and the rate it asked for. */
export interface ParametersRequest {
  readonly parameters: SlotParameters;
  readonly rate: RateChoice;
}

export class Negotiation {
  readonly #s: SessionCore;
  readonly #pps = new PpsExchange();
  /** Who negotiates with a card in negotiable mode, as the last powerOn asked (slot.ts PowerOnOptions). */
  #mode: 'reader' | 'host' = 'reader';
  /** False after a PPS failed: §9.3 the reader continues at Fd/Dd without PPS. */
  #ppsAllowed = true;
  /** A warm reset was already made to leave specific mode (or for a host's parameters). */
  #warmResetTried = false;
  #requested: ParametersRequest | null = null;
  #ppsPlan: Extract<AtrPlan, { kind: 'pps' }> | null = null;
  /** The ATR and situation a card resting in negotiable mode answered with, for the host's PPS or §9 defaults. */
  #atrInfo: AtrInfo | null = null;
  #situation: AtrSituation | null = null;

  constructor(core: SessionCore) {
    this.#s = core;
  }

  get mode(): 'reader' | 'host' {
    return this.#mode;
  }

  /** The host's parameters being set by a warm reset and PPS, or null. */
  get requested(): ParametersRequest | null {
    return this.#requested;
  }

  /** A powerOn begins: PPS allowed again, and who negotiates until the next one. */
  begin(mode: 'reader' | 'host'): void {
    this.#mode = mode;
    this.#ppsAllowed = true;
    this.#warmResetTried = false;
  }

  /** A host's SetParameters with another protocol or Fi/Di: the next ATR is followed by PPS with exactly these. */
  request(request: ParametersRequest): void {
    this.#requested = request;
    this.#ppsAllowed = true;
    this.#warmResetTried = true;
  }

  /**
   * How the operation in progress ends, given `outcome`: a host's parameters that PPS could not set
   * mean the card went on at its defaults, and the host hears of it. Clears this activation's plan.
   */
  outcome(outcome: SlotError | null): SlotError | null {
    const error = outcome === null && this.#requested !== null && !this.#ppsAllowed ? 'ICC_PROTOCOL_NOT_SUPPORTED' : outcome;
    this.#ppsPlan = null;
    this.#requested = null;
    return error;
  }

  /** A complete ATR (activation.ts): decode it and carry out the plan. */
  atrComplete(uart: CardUart, atr: Uint8Array): void {
    const s = this.#s;
    s.cancelTimer();
    uart.setDeadlines(0, 0);
    s.convention = uart.convention === 'inverse' ? 'inverse' : 'direct';
    const info = decodeAtr(atr);
    if (s.trace.mask & TraceCategory.ATR) s.trace.log(TraceCategory.ATR, `ATR (${s.convention})`, info.atr);
    const activation = s.parts.activation;
    if (info.errors.indexOf('bad-tck') >= 0) return activation.atrFailed('BAD_ATR_TCK', 'TCK does not check', true);
    s.attrs.atr = info.atr;
    s.attrs.convention = s.convention;
    s.attrs.clockStop = info.clockStop;
    const situation: AtrSituation = {
      voltage: activation.voltage,
      higherClasses: activation.higherClasses,
      clocksHz: s.contacts.capabilities.clocksHz,
      atrClockHz: s.atrClockHz,
      limits: s.Uart.capabilities,
      ppsAllowed: this.#ppsAllowed,
      warmResetTried: this.#warmResetTried,
    };
    const requested = this.#requested;
    const plan = requested ? planForHost(info, situation, requested.parameters, requested.rate) : planAfterAtr(info, situation);
    if (this.#mode === 'host' && requested === null && info.specificMode === null && (plan.kind === 'pps' || plan.kind === 'use')) {
      return this.#restNegotiable(info, situation);
    }
    switch (plan.kind) {
      case 'fail':
        s.log(TraceCategory.ERROR, `${plan.error}: ${plan.why}`);
        s.deactivateToUnpowered();
        return s.finish(plan.error);
      case 'warm-reset':
        s.log(TraceCategory.PROTOCOL, `specific mode unusable (${plan.why}): warm reset for negotiable mode`);
        this.#warmResetTried = true;
        return activation.warmReset();
      case 'change-class':
        s.log(TraceCategory.PROTOCOL, `class ${plan.voltage} next: ${plan.why}`);
        return activation.changeClass(plan.voltage);
      default:
        return activation.waitQuiet(uart, plan);
    }
  }

  /** The line is quiet after the ATR: PPS, or the protocol (its turnaround counted from the ATR's end). */
  proceed(plan: AfterQuiet): void {
    if (plan.kind === 'pps') return this.#startPps(plan);
    this.#s.parts.protocol.openAfterTurnaround(plan.link, undefined, this.#s.parts.activation.completeNs);
  }

  #startPps(plan: Extract<AtrPlan, { kind: 'pps' }>): void {
    const s = this.#s;
    s.go('pps');
    this.#ppsPlan = plan;
    const uart = s.uart!;
    // §9.1: the reply follows within the initial waiting time (9600 etu), characters likewise.
    uart.setDeadlines(INITIAL_WAITING_ETU, INITIAL_WAITING_ETU);
    const request = this.#pps.start(uart, plan.protocol, plan.rate);
    if (s.trace.mask & TraceCategory.PROTOCOL) s.trace.log(TraceCategory.PROTOCOL, 'PPS request', request);
  }

  /** The host's own PPS request in negotiable mode (slot.ts transmitTpdu): checked, then sent as is. */
  hostPps(request: Uint8Array, done: (result: TransmitResult) => void): void {
    const s = this.#s;
    const plan = planHostPps(this.#atrInfo!, this.#situation!, request);
    if (plan.kind === 'fail') {
      s.log(TraceCategory.ERROR, `host PPS not sent: ${plan.why}`);
      return s.later(() => done({ error: plan.error, response: null }));
    }
    s.go('host-pps');
    this.#ppsPlan = plan;
    s.begin({ kind: 'host-pps', done, response: null });
    const uart = s.uart!;
    uart.setDeadlines(INITIAL_WAITING_ETU, INITIAL_WAITING_ETU);
    this.#pps.startRaw(uart, request);
    if (s.trace.mask & TraceCategory.PROTOCOL) s.trace.log(TraceCategory.PROTOCOL, 'PPS request (host)', request);
  }

  /** States 'pps' and 'host-pps': the reply, framed by PPS0 and judged by §9.3. */
  ppsReadable(uart: CardUart): void {
    const s = this.#s;
    const outcome = this.#pps.read(uart);
    if (outcome === null) return;
    uart.setDeadlines(0, 0);
    if (s.trace.mask & TraceCategory.PROTOCOL) s.trace.log(TraceCategory.PROTOCOL, 'PPS response', this.#pps.response);
    if (outcome.kind === 'rejected') return this.#ppsFailed(outcome.reason, 'ICC_PROTOCOL_NOT_SUPPORTED');
    // The host gets the card's response once the new link is in force (its next TPDU may follow at once).
    const op = s.pending;
    if (s.state === 'host-pps' && op !== null && op.kind === 'host-pps') op.response = this.#pps.response.slice();
    s.parts.protocol.openAfterTurnaround(linkAfterPps(this.#ppsPlan!, outcome.fiIndex, outcome.diIndex));
  }

  ppsWritable(uart: CardUart): void {
    this.#pps.pump(uart);
  }

  ppsError(error: CardCharError): void {
    this.#ppsFailed(error, CHAR_ERRORS[error]);
  }

  /**
   * §9.3: an unsuccessful exchange → deactivate. The reader's own PPS: cold reset and go on at Fd/Dd
   * without PPS. The host's: the host hears `error` and decides (libccid fails the connection).
   */
  #ppsFailed(why: string, error: SlotError): void {
    const s = this.#s;
    if (s.state !== 'host-pps') {
      s.log(TraceCategory.ERROR, `PPS failed (${why}): cold reset, no PPS`);
      this.#ppsAllowed = false;
      return s.parts.activation.powerGap();
    }
    s.log(TraceCategory.ERROR, `host PPS failed (${why}): deactivating`);
    s.deactivateToUnpowered();
    s.failPending(error, false);
  }

  /**
   * powerOn ends in NEGOTIABLE: the ATR UART stays open at Fd/Dd for the host's PPS request. The
   * attributes show what §9 gives without PPS (default protocol, Fd/Dd), the host's starting point.
   */
  #restNegotiable(info: AtrInfo, situation: AtrSituation): void {
    const s = this.#s;
    this.#atrInfo = info;
    this.#situation = situation;
    s.go('negotiable');
    const link = defaultLink(info, situation);
    if (link) s.parts.protocol.show(link);
    s.log(TraceCategory.PROTOCOL, 'negotiable mode kept for the host');
    s.finish(null);
  }

  /**
   * §9: anything but a PPS request sent in negotiable mode makes the card use its default protocol
   * at Fd/Dd, so the reader opens that link (with the host's `parameters` when given) before the
   * exchange; `then` runs with the slot SPECIFIC and idle, `fail` if the card goes away meanwhile.
   */
  settle(parameters: SlotParameters | null, fail: (error: SlotError) => void, then: () => void): void {
    const s = this.#s;
    const link = defaultLink(this.#atrInfo!, this.#situation!);
    if (link === null) return s.later(() => fail('ICC_PROTOCOL_NOT_SUPPORTED'));
    s.log(TraceCategory.PROTOCOL, 'no PPS: the default protocol at Fd/Dd');
    s.begin({ kind: 'settle', then, fail });
    s.parts.protocol.openAfterTurnaround(parameters ? applyHostParameters(link, parameters) : link);
  }
}
