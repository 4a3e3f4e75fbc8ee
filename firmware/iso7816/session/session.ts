/**
 * The ISO/IEC 7816-3 card session behind one Slot: activation and cold/warm reset (§6.2), voltage
 * class selection (§6.2.4), ATR reception (§8), PPS (§9), the transmission protocol (T=0 §10 via
 * T0Transport, T=1 §11 via the T=1 link) and deactivation (§6.4). Callback-driven in virtual or
 * real time: every wait goes through the Scheduler, every character deadline through the CardUart.
 */
import type { CardContacts, CardContactsConstructor, ContactFault, VoltageClass } from '../../../hal/interfaces/card-contacts.js';
import type { CardCharError, CardUart, CardUartConstructor, CardUartOptions, Convention } from '../../../hal/interfaces/card-uart.js';
import type { Scheduler, TimerHandle } from '../../../hal/interfaces/scheduler.js';
import { silentTrace, TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import { decodeAtr, type AtrInfo } from '../atr/decode.js';
import { parseApdu } from '../apdu.js';
import { ATR_MAX, AtrReceiver } from '../atr/receiver.js';
import {
  applyHostParameters, defaultLink, linkAfterPps, planAfterAtr, planForHost, planHostPps, sameLink, type AtrPlan,
  type AtrSituation, type LinkParameters,
} from './atr-plan.js';
import { PPSS } from '../pps/codec.js';
import { hostRate, type RateChoice } from '../pps/rate.js';
import { PpsExchange } from '../pps/exchange.js';
import { atrClock, offAttributes, sameAttributes, type MutableAttributes } from './attributes.js';
import { READER_STATE, sessionAllows, type SessionState } from './states.js';
import type { PowerOnOptions, PowerOnResult, Slot, SlotAttributes, SlotError, SlotParameters, TransmitResult } from '../../../hal/interfaces/slot.js';
import { ECHO_CLASS, T0Transport } from '../t0/transport.js';
import { CHAR_ERRORS, T1BlockExchange } from '../t1/block-exchange.js';
import { T1Link } from '../t1/link.js';
import {
  ATR_QUIET_ETU, CLASS_CHANGE_OFF_NS, CLOCK_RESTART_CYCLES, CLOCK_STOP_CYCLES, cyclesToEtu, cyclesToNs, Dd, etuToNs, Fd, INITIAL_WAITING_ETU,
  TIMING_PROFILES, TURNAROUND_ETU_T0, TURNAROUND_ETU_T1, workWaitingEtu, type TimingProfile, type TimingProfileName,
} from '../timing.js';
import type { Transport } from '../transport.js';

/** T=0 character repetitions before a parity error is reported (hardware readers use 3–7). */
const DEFAULT_REPETITIONS = 4;
/** §11.4.2: the largest IFSD, announced by S(IFS request) as the first T=1 block. */
const DEFAULT_IFSD = 254;

export interface CardSlotOptions {
  contacts: CardContactsConstructor;
  uart: CardUartConstructor;
  scheduler: Scheduler;
  trace?: Trace;
  /** T=0 character repetitions (default 4). */
  repetitions?: number;
  /** CCID bClassGetResponse / bClassEnvelope (0xFF, the default: echo the command's class). */
  classGetResponse?: number;
  classEnvelope?: number;
  /** Largest T=0 response kept, data + SW (default 65 538). */
  maxResponseLength?: number;
  /** IFSD announced in T=1 (default 254). */
  ifsd?: number;
  /**
   * Activation and ATR timing (timing.ts TIMING_PROFILES): 'iso' (default) keeps ISO/IEC 7816-3;
   * 'emv' keeps EMV Book 1 (RST low 40 000–45 000 cycles, no ATR → deactivation no earlier than
   * 42 001 cycles without a warm reset, the whole ATR within 20 160 etu).
   */
  profile?: TimingProfileName;
}

type Pending<T> = ((result: T) => void) | null;

export class CardSession implements Slot {
  onPresence: ((present: boolean) => void) | null = null;
  onFault: ((fault: ContactFault) => void) | null = null;

  readonly #contacts: CardContacts;
  readonly #Uart: CardUartConstructor;
  readonly #scheduler: Scheduler;
  readonly #trace: Trace;
  readonly #options: CardSlotOptions;
  readonly #atrClockHz: number;
  readonly #profile: TimingProfile;

  #state: SessionState;
  #attrs: MutableAttributes;
  #snapshot: SlotAttributes | null = null;
  #uart: CardUart | null = null;
  #transport: Transport | null = null;
  /** The transport in force, by protocol (the TPDU level and class bytes need the concrete one). */
  #t0: T0Transport | null = null;
  #t1: T1Link | null = null;
  /** TPDU level under T=1: raw blocks, bypassing the T=1 link. */
  #block: T1BlockExchange | null = null;
  #link: LinkParameters | null = null;
  #classGetResponse: number;
  #classEnvelope: number;
  /** A host's SetParameters that needs a warm reset and PPS, and the rate it asked for. */
  #requested: { parameters: SlotParameters; rate: RateChoice } | null = null;
  #timer: TimerHandle | null = null;
  #powered = false;

  // Activation in progress (one powerOn call).
  #powerDone: Pending<PowerOnResult> = null;
  #classes: readonly VoltageClass[] = [];
  #classIndex = 0;
  #attempt: 'cold' | 'warm' = 'cold';
  #ppsAllowed = true;
  #warmResetTried = false;
  #convention: Convention = 'direct';
  readonly #atrReceiver = new AtrReceiver();
  /** What follows a complete ATR (PPS, or the protocol) once the line is quiet (ATR_QUIET_ETU), or null. */
  #atrSettling: (() => void) | null = null;
  /** Stray characters discarded after the complete ATR, and when it was complete (turnaround counts from then). */
  #atrStrays = 0;
  #atrCompleteNs = 0;
  /** Who negotiates with a card in negotiable mode, as the last powerOn asked (slot.ts PowerOnOptions). */
  #negotiation: 'reader' | 'host' = 'reader';
  /** The ATR and situation a card resting in negotiable mode answered with, for the host's PPS or §9 defaults. */
  #atrInfo: AtrInfo | null = null;
  #situation: AtrSituation | null = null;

  // PPS exchange (§9).
  readonly #pps = new PpsExchange();
  #ppsPlan: Extract<AtrPlan, { kind: 'pps' }> | null = null;
  /** The PPS in progress is the host's (its result goes to #transmitDone), not the reader's own. */
  #ppsByHost = false;

  #transmitDone: Pending<TransmitResult> = null;

  constructor(options: CardSlotOptions) {
    this.#options = options;
    this.#Uart = options.uart;
    this.#scheduler = options.scheduler;
    this.#trace = options.trace ?? silentTrace;
    this.#contacts = new options.contacts({
      onPresence: (present) => this.#presence(present),
      onFault: (fault) => this.#fault(fault),
    });
    this.#atrClockHz = atrClock(this.#contacts.capabilities.clocksHz);
    this.#profile = TIMING_PROFILES[options.profile ?? 'iso'];
    this.#classGetResponse = options.classGetResponse ?? ECHO_CLASS;
    this.#classEnvelope = options.classEnvelope ?? ECHO_CLASS;
    this.#state = this.#contacts.present ? 'unpowered' : 'absent';
    this.#attrs = offAttributes(READER_STATE[this.#state]);
  }

  /**
   * A frozen snapshot. The CCID layer reads it for every reply (bStatus) and time extension, so a
   * new one is made only when a value has changed since the last.
   */
  get attributes(): SlotAttributes {
    const snapshot = this.#snapshot;
    if (snapshot !== null && sameAttributes(snapshot, this.#attrs)) return snapshot;
    return (this.#snapshot = Object.freeze({ ...this.#attrs }));
  }

  get present(): boolean {
    return this.#contacts.present;
  }

  powerOn(voltage: 'auto' | VoltageClass, done: (result: PowerOnResult) => void, options?: PowerOnOptions): void {
    const state = this.#state;
    if (state === 'absent') return this.#later(() => done({ error: 'ICC_MUTE', atr: null }));
    // A card resting in negotiable mode is powered and idle: like 'ready', it gets a warm reset.
    const idle = state === 'ready' || state === 'negotiable';
    if (state !== 'unpowered' && !idle) return this.#later(() => done({ error: 'CMD_SLOT_BUSY', atr: null }));
    const board = this.#contacts.capabilities.classes;
    if (voltage !== 'auto' && board.indexOf(voltage) < 0) {
      return this.#later(() => done({ error: 'ICC_CLASS_NOT_SUPPORTED', atr: null }));
    }
    this.#classes = voltage === 'auto' ? board : Object.freeze([voltage]);
    this.#powerDone = done;
    this.#negotiation = options?.negotiation ?? 'reader';
    this.#ppsAllowed = true;
    this.#warmResetTried = false;
    const current = this.#attrs.voltage;
    if (idle && current !== null && this.#classes.indexOf(current) >= 0) {
      // §6.2.3: a powered card gets a warm reset at the class it is at.
      this.#classIndex = this.#classes.indexOf(current);
      this.#warmReset();
    } else {
      this.#classIndex = 0;
      if (idle) this.#powerGap();
      else this.#coldReset();
    }
  }

  powerOff(): void {
    if (!this.#powered && this.#state !== 'power-gap') return;
    this.#log(TraceCategory.PROTOCOL, 'power off requested');
    this.#cancelTimer();
    this.#deactivate();
    this.#go('unpowered');
    this.#failPending('CMD_ABORTED', true);
  }

  transmitApdu(apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    if (this.#state === 'negotiable') {
      return this.#settle(null, (error) => done({ error, response: null }), () => this.transmitApdu(apdu, done, onWaiting));
    }
    // Bytes that are no command APDU (ISO 7816-4 §5.1) reach neither protocol: §12.1 cannot map them
    // onto T=0, and a T=1 card would only answer 6700; both refuse them alike, before the card.
    if (this.#refusal() === null && parseApdu(apdu).kind === 'malformed') {
      this.#log(TraceCategory.ERROR, 'malformed APDU, not sent');
      return this.#later(() => done({ error: 'BAD_APDU_LENGTH', response: null }));
    }
    this.#exchange(done, false, (transport, finish) => transport.transmitApdu(apdu, finish, onWaiting));
  }

  transmitTpdu(tpdu: Uint8Array, bwiMultiplier: number, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    if (this.#state === 'negotiable') {
      if (tpdu.length > 0 && tpdu[0] === PPSS) return this.#hostPps(tpdu, done);
      return this.#settle(null, (error) => done({ error, response: null }), () => this.transmitTpdu(tpdu, bwiMultiplier, done, onWaiting));
    }
    this.#exchange(done, this.#t1 !== null, (_transport, finish) => {
      if (this.#t0) return this.#t0.transmitTpdu(tpdu, bwiMultiplier, finish, onWaiting);
      const t1 = this.#t1!;
      const multiplier = bwiMultiplier >= 1 ? bwiMultiplier : 1;
      this.#block!.start(tpdu, t1.bwtEtu * multiplier, t1.cwtEtu, finish);
    });
  }

  /** CCID T0APDU: the class bytes of the GET RESPONSE and ENVELOPE that the T=0 mapping sends. */
  setClassBytes(getResponse: number, envelope: number): void {
    this.#classGetResponse = getResponse;
    this.#classEnvelope = envelope;
    this.#t0?.setClassBytes(getResponse, envelope);
  }

  /**
   * CCID SetParameters / ResetParameters. Same protocol and Fi/Di: the UART and transport are rebuilt
   * with the host's N, WI and T=1 values. Another protocol or Fi/Di needs PPS, which §9 allows only
   * right after an ATR: a warm reset (§6.2.3), then PPS with exactly the host's values (never a rate
   * the board cannot produce). A card in specific mode cannot change (ICC_PROTOCOL_NOT_SUPPORTED).
   */
  setParameters(parameters: SlotParameters, done: (error: SlotError | null) => void): void {
    if (this.#state === 'negotiable') {
      // libccid's SetParameters when it found no PPS needed: §9 defaults with the host's other values.
      if (parameters.protocol === this.#attrs.protocol && parameters.fiIndex === 1 && parameters.diIndex === 1) {
        this.#attrs.nad = parameters.nad;
        this.#convention = parameters.convention;
        return this.#settle(parameters, done, () => done(null));
      }
      return this.#settle(null, done, () => this.setParameters(parameters, done));
    }
    const refused = this.#refusal();
    if (refused) return this.#later(() => done(refused));
    if (this.#attrs.clockStopped) {
      // The new link may talk at once (T=1 S(IFS)): CLK runs again first (§6.3.2).
      this.#powerDone = (result) => done(result.error);
      return this.#changeClock(false, () => {
        this.#powerDone = null;
        this.setParameters(parameters, done);
      });
    }
    const link = this.#link!;
    const attrs = this.#attrs;
    attrs.nad = parameters.nad;
    if (parameters.protocol === attrs.protocol && parameters.fiIndex === attrs.fiIndex && parameters.diIndex === attrs.diIndex) {
      const next = applyHostParameters(link, parameters);
      if (sameLink(next, link) && parameters.convention === this.#convention) return this.#later(() => done(null));
      this.#powerDone = (result) => done(result.error);
      this.#convention = parameters.convention;
      this.#go('protocol-setup');
      this.#closeTransport();
      return this.#openLinkAfterTurnaround(next, link);
    }
    if (link.mode === 'specific') return this.#later(() => done('ICC_PROTOCOL_NOT_SUPPORTED'));
    const rate = hostRate(parameters.fiIndex, parameters.diIndex, this.#contacts.capabilities.clocksHz, this.#Uart.capabilities);
    if (rate === null) return this.#later(() => done('ICC_PROTOCOL_NOT_SUPPORTED'));
    this.#requested = { parameters, rate };
    this.#powerDone = (result) => done(result.error);
    this.#classes = Object.freeze([attrs.voltage!]);
    this.#classIndex = 0;
    this.#ppsAllowed = true;
    this.#warmResetTried = true;
    this.#warmReset();
  }

  /**
   * CCID IccClock, §6.3.2 clock stop: CLK stops no sooner than 1860 cycles after the last character
   * (at the level the ATR's clock stop indicator asks for; low when it has no preference), and runs
   * again at least 700 cycles before the next character.
   */
  setClock(stopped: boolean, done: (error: SlotError | null) => void): void {
    if (this.#state === 'negotiable') return this.#settle(null, done, () => this.setClock(stopped, done));
    const refused = this.#refusal();
    if (refused) return this.#later(() => done(refused));
    if (stopped === this.#attrs.clockStopped) return this.#later(() => done(null));
    if (stopped && (!this.#contacts.capabilities.clockStop || this.#attrs.clockStop === null || this.#attrs.clockStop === 'not-supported')) {
      return this.#later(() => done('ICC_PROTOCOL_NOT_SUPPORTED'));
    }
    this.#powerDone = (result) => done(result.error);
    this.#changeClock(stopped, () => this.#finishPowerOn(null));
  }

  #changeClock(stopped: boolean, then: () => void): void {
    this.#go('clock-change');
    const clockHz = this.#attrs.clockHz;
    if (stopped) {
      this.#after(cyclesToNs(CLOCK_STOP_CYCLES, clockHz), () => {
        this.#contacts.setClock(0, this.#attrs.clockStop === 'high' ? 1 : 0);
        this.#attrs.clockStopped = true;
        this.#go('ready');
        then();
      });
      return;
    }
    this.#contacts.setClock(clockHz);
    this.#after(cyclesToNs(CLOCK_RESTART_CYCLES, clockHz), () => {
      this.#attrs.clockStopped = false;
      this.#go('ready');
      then();
    });
  }

  /** Why a command cannot start now, or null: the card must be powered with a protocol in force and idle. */
  #refusal(): SlotError | null {
    const state = this.#state;
    if (state === 'ready') return null;
    return state === 'absent' || state === 'unpowered' ? 'ICC_MUTE' : 'CMD_SLOT_BUSY';
  }

  /**
   * One exchange with the card (APDU or TPDU level); a stopped clock is restarted first. A mute card
   * is deactivated (§10.2 T=0: WT exceeded; §11.6 T=1: the link's recovery exhausted) except for raw
   * T=1 blocks, whose recovery (R-blocks, resynchronisation) is the host's.
   */
  #exchange(done: (result: TransmitResult) => void, hostRecovers: boolean, start: (transport: Transport, finish: (result: TransmitResult) => void) => void): void {
    const refused = this.#refusal();
    if (refused) return this.#later(() => done({ error: refused, response: null }));
    if (this.#attrs.clockStopped) {
      this.#transmitDone = done;
      return this.#changeClock(false, () => {
        this.#transmitDone = null;
        this.#exchange(done, hostRecovers, start);
      });
    }
    this.#go('busy');
    this.#transmitDone = done;
    const transport = this.#transport!;
    start(transport, (result) => {
      if (this.#transport !== transport || this.#transmitDone !== done) return;
      this.#transmitDone = null;
      this.#go('ready');
      if (result.error === 'ICC_MUTE' && !hostRecovers) {
        this.#log(TraceCategory.ERROR, 'card mute during a command: deactivating');
        this.#deactivate();
        this.#go('unpowered');
      }
      done(result);
    });
  }

  abort(): void {
    // A clock stop or restart takes ~2000 cycles and cannot be undone halfway: let it finish.
    if (this.#state === 'clock-change') return;
    if (this.#state === 'busy' && this.#block?.active) {
      this.#block.cancel();
      const done = this.#transmitDone!;
      this.#transmitDone = null;
      this.#go('ready');
      return this.#later(() => done({ error: 'CMD_ABORTED', response: null }));
    }
    if (this.#state === 'busy') {
      this.#transport!.abort();
      return;
    }
    // The host's PPS cut short leaves the card's rate unknown (§9.3): it ends like an activation.
    const hostPps = this.#state === 'pps' && this.#ppsByHost;
    if (this.#powerDone === null && !hostPps) return;
    this.#log(TraceCategory.PROTOCOL, 'activation aborted');
    this.#cancelTimer();
    this.#deactivate();
    this.#go('unpowered');
    this.#failPending('CMD_ABORTED', true);
  }

  // ——— Activation ———————————————————————————————————————————————————————————————

  /** §6.2.2 cold reset: RST low, VCC at the class, I/O in reception, CLK; RST rises after the profile's reset time. */
  #coldReset(): void {
    const voltage = this.#classes[this.#classIndex];
    this.#go('resetting');
    this.#attempt = 'cold';
    this.#log(TraceCategory.PROTOCOL, `cold reset at class ${voltage}`);
    const contacts = this.#contacts;
    contacts.setReset(0);
    contacts.setSupply(voltage);
    this.#powered = true;
    this.#attrs.voltage = voltage;
    this.#openAtrUart();
    contacts.setClock(this.#atrClockHz);
    this.#attrs.clockHz = this.#atrClockHz;
    this.#after(cyclesToNs(this.#profile.resetLowCycles, this.#atrClockHz), () => this.#raiseReset());
  }

  /** §6.2.3 warm reset: VCC and CLK stay, RST low for the profile's reset time, then high. */
  #warmReset(): void {
    this.#go('resetting');
    this.#attempt = 'warm';
    this.#log(TraceCategory.PROTOCOL, `warm reset at class ${this.#attrs.voltage}`);
    this.#closeTransport();
    this.#contacts.setReset(0);
    // The ATR comes at Fd/Dd with f in the ATR range, whatever the previous PPS set.
    if (this.#attrs.clockStopped || this.#attrs.clockHz !== this.#atrClockHz) {
      this.#contacts.setClock(this.#atrClockHz);
      this.#attrs.clockHz = this.#atrClockHz;
    }
    this.#openAtrUart();
    this.#after(cyclesToNs(this.#profile.resetLowCycles, this.#atrClockHz), () => this.#raiseReset());
  }

  #raiseReset(): void {
    this.#go('atr');
    this.#atrReceiver.reset();
    this.#atrSettling = null;
    this.#contacts.setReset(1);
    // §6.2.2: the first character within 40 000 cycles of the RST edge; §8.1: then 9600 etu between characters.
    this.#uart!.setDeadlines(cyclesToEtu(this.#profile.atrWindowCycles, Fd, Dd), INITIAL_WAITING_ETU);
  }

  #openAtrUart(): void {
    this.#closeUart();
    this.#resetLinkAttributes();
    this.#openUart({ clockHz: this.#atrClockHz, F: Fd, D: Dd, convention: 'detect', N: 0, protocol: 0, repetitions: 0 });
  }

  #atrReadable(uart: CardUart): void {
    if (this.#atrSettling !== null) return this.#atrStray(uart);
    const started = this.#atrReceiver.length > 0;
    const reception = this.#atrReceiver.read(uart);
    const total = this.#profile.atrTotalEtu;
    if (!started && total > 0 && this.#atrReceiver.length > 0) {
      // Counted from TS's reception, a little after its leading edge: never earlier than the bound.
      this.#after(etuToNs(total, Fd, Dd, this.#atrClockHz), () => this.#atrFailed('ICC_MUTE', `ATR not complete within ${total} etu`, false));
    }
    if (reception === null) return;
    if (reception.kind === 'failed') return this.#atrFailed(reception.error, reception.why, true);
    this.#atrCompleteNs = this.#scheduler.now();
    this.#atrComplete(uart, reception.atr);
  }

  /**
   * Stray characters after the ATR would collide with the PPS or the first command: `next` runs once
   * no character has started for ATR_QUIET_ETU. (A reset or deactivation silences the card anyway.)
   */
  #afterQuiet(uart: CardUart, next: () => void): void {
    this.#atrSettling = next;
    this.#atrStrays = 0;
    uart.setDeadlines(ATR_QUIET_ETU, ATR_QUIET_ETU);
  }

  /** A character after the complete ATR: discarded and traced; more than an ATR's worth is a card that never stops. */
  #atrStray(uart: CardUart): void {
    let byte = uart.read();
    while (byte !== undefined) {
      this.#atrStrays++;
      if (this.#trace.mask & TraceCategory.ATR) this.#trace.log(TraceCategory.ATR, `stray character ${this.#atrStrays} after the ATR, discarded: 0x${byte.toString(16)}`);
      if (this.#atrStrays > ATR_MAX) return this.#atrFailed('ICC_MUTE', `more than ${ATR_MAX} characters after the ATR`, true);
      byte = uart.read();
    }
  }

  /** The line has been quiet for ATR_QUIET_ETU since the ATR (or its last stray character). */
  #atrQuiet(): void {
    const next = this.#atrSettling!;
    this.#atrSettling = null;
    this.#uart!.setDeadlines(0, 0);
    next();
  }

  /**
   * No usable ATR: §6.2.2 a warm reset first, then (§6.2.4) the next class, then the error. Without
   * `retry` (a mute card under a profile that does not retry) the card is deactivated at once.
   */
  #atrFailed(error: SlotError, why: string, retry: boolean): void {
    this.#cancelTimer();
    this.#atrSettling = null;
    this.#uart?.setDeadlines(0, 0);
    this.#log(TraceCategory.ATR | TraceCategory.ERROR, `no usable ATR (${error}): ${why}`);
    if (!retry) {
      this.#deactivate();
      this.#go('unpowered');
      return this.#finishPowerOn(error);
    }
    if (this.#attempt === 'cold') return this.#warmReset();
    this.#classIndex++;
    if (this.#classIndex < this.#classes.length) return this.#powerGap();
    this.#deactivate();
    this.#go('unpowered');
    this.#finishPowerOn(error);
  }

  #atrComplete(uart: CardUart, atr: Uint8Array): void {
    this.#cancelTimer();
    uart.setDeadlines(0, 0);
    const convention = uart.convention;
    this.#convention = convention === 'inverse' ? 'inverse' : 'direct';
    const info = decodeAtr(atr);
    if (this.#trace.mask & TraceCategory.ATR) this.#trace.log(TraceCategory.ATR, `ATR (${this.#convention})`, info.atr);
    if (info.errors.indexOf('bad-tck') >= 0) return this.#atrFailed('BAD_ATR_TCK', 'TCK does not check', true);
    this.#attrs.atr = info.atr;
    this.#attrs.convention = this.#convention;
    this.#attrs.clockStop = info.clockStop;
    const situation = {
      voltage: this.#classes[this.#classIndex],
      higherClasses: this.#classes.slice(this.#classIndex + 1),
      clocksHz: this.#contacts.capabilities.clocksHz,
      atrClockHz: this.#atrClockHz,
      limits: this.#Uart.capabilities,
      ppsAllowed: this.#ppsAllowed,
      warmResetTried: this.#warmResetTried,
    };
    const requested = this.#requested;
    const plan = requested ? planForHost(info, situation, requested.parameters, requested.rate) : planAfterAtr(info, situation);
    if (this.#negotiation === 'host' && requested === null && info.specificMode === null && (plan.kind === 'pps' || plan.kind === 'use')) {
      return this.#restNegotiable(info, situation);
    }
    switch (plan.kind) {
      case 'fail':
        this.#log(TraceCategory.ERROR, `${plan.error}: ${plan.why}`);
        this.#deactivate();
        this.#go('unpowered');
        return this.#finishPowerOn(plan.error);
      case 'warm-reset':
        this.#log(TraceCategory.PROTOCOL, `specific mode unusable (${plan.why}): warm reset for negotiable mode`);
        this.#warmResetTried = true;
        return this.#warmReset();
      case 'change-class':
        this.#log(TraceCategory.PROTOCOL, `class ${plan.voltage} next: ${plan.why}`);
        this.#classIndex = this.#classes.indexOf(plan.voltage);
        return this.#powerGap();
      case 'pps':
        return this.#afterQuiet(uart, () => this.#startPps(plan));
      case 'use':
        return this.#afterQuiet(uart, () => this.#openLinkAfterTurnaround(plan.link, undefined, this.#atrCompleteNs));
    }
  }

  /** Power off, wait CLASS_CHANGE_OFF_NS, cold reset at #classes[#classIndex] (§6.2.4, §9.3). */
  #powerGap(): void {
    this.#deactivate();
    this.#go('power-gap');
    this.#after(CLASS_CHANGE_OFF_NS, () => this.#coldReset());
  }

  // ——— PPS (§9) —————————————————————————————————————————————————————————————————

  #startPps(plan: Extract<AtrPlan, { kind: 'pps' }>): void {
    this.#go('pps');
    this.#ppsPlan = plan;
    this.#ppsByHost = false;
    const uart = this.#uart!;
    // §9.1: the reply follows within the initial waiting time (9600 etu), characters likewise.
    uart.setDeadlines(INITIAL_WAITING_ETU, INITIAL_WAITING_ETU);
    const request = this.#pps.start(uart, plan.protocol, plan.rate);
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'PPS request', request);
  }

  /** The host's own PPS request in negotiable mode (slot.ts transmitTpdu): checked, then sent as is. */
  #hostPps(request: Uint8Array, done: (result: TransmitResult) => void): void {
    const plan = planHostPps(this.#atrInfo!, this.#situation!, request);
    if (plan.kind === 'fail') {
      this.#log(TraceCategory.ERROR, `host PPS not sent: ${plan.why}`);
      return this.#later(() => done({ error: plan.error, response: null }));
    }
    this.#go('pps');
    this.#ppsPlan = plan;
    this.#ppsByHost = true;
    this.#transmitDone = done;
    const uart = this.#uart!;
    uart.setDeadlines(INITIAL_WAITING_ETU, INITIAL_WAITING_ETU);
    this.#pps.startRaw(uart, request);
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'PPS request (host)', request);
  }

  #ppsReadable(uart: CardUart): void {
    const outcome = this.#pps.read(uart);
    if (outcome === null) return;
    uart.setDeadlines(0, 0);
    if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'PPS response', this.#pps.response);
    if (outcome.kind === 'rejected') return this.#ppsFailed(outcome.reason, 'ICC_PROTOCOL_NOT_SUPPORTED');
    if (this.#ppsByHost) {
      // The host gets the card's response once the new link is in force (its next TPDU may follow at once).
      const response = this.#pps.response.slice();
      const done = this.#transmitDone!;
      this.#transmitDone = null;
      this.#powerDone = (result) => done(result.error === null ? { error: null, response } : { error: result.error, response: null });
    }
    this.#openLinkAfterTurnaround(linkAfterPps(this.#ppsPlan!, outcome.fiIndex, outcome.diIndex));
  }

  /**
   * §9.3: an unsuccessful exchange → deactivate. The reader's own PPS: cold reset and go on at Fd/Dd
   * without PPS. The host's: the host hears `error` and decides (libccid fails the connection).
   */
  #ppsFailed(why: string, error: SlotError): void {
    if (!this.#ppsByHost) {
      this.#log(TraceCategory.ERROR, `PPS failed (${why}): cold reset, no PPS`);
      this.#ppsAllowed = false;
      return this.#powerGap();
    }
    this.#log(TraceCategory.ERROR, `host PPS failed (${why}): deactivating`);
    this.#ppsByHost = false;
    this.#deactivate();
    this.#go('unpowered');
    const done = this.#transmitDone;
    this.#transmitDone = null;
    done?.({ error, response: null });
  }

  // ——— Negotiable mode kept for the host (§9) ———————————————————————————————————————

  /**
   * powerOn ends in NEGOTIABLE: the ATR UART stays open at Fd/Dd for the host's PPS request. The
   * attributes show what §9 gives without PPS (default protocol, Fd/Dd), the host's starting point.
   */
  #restNegotiable(info: AtrInfo, situation: AtrSituation): void {
    this.#atrInfo = info;
    this.#situation = situation;
    this.#go('negotiable');
    const link = defaultLink(info, situation);
    if (link) this.#showLink(link);
    this.#log(TraceCategory.PROTOCOL, 'negotiable mode kept for the host');
    this.#finishPowerOn(null);
  }

  /**
   * §9: anything but a PPS request sent in negotiable mode makes the card use its default protocol
   * at Fd/Dd, so the reader opens that link (with the host's `parameters` when given) before the
   * exchange; `then` runs with the slot SPECIFIC and idle, `fail` if the card goes away meanwhile.
   */
  #settle(parameters: SlotParameters | null, fail: (error: SlotError) => void, then: () => void): void {
    const link = defaultLink(this.#atrInfo!, this.#situation!);
    if (link === null) return this.#later(() => fail('ICC_PROTOCOL_NOT_SUPPORTED'));
    this.#log(TraceCategory.PROTOCOL, 'no PPS: the default protocol at Fd/Dd');
    this.#powerDone = (result) => (result.error === null ? then() : fail(result.error));
    this.#go('protocol-setup');
    this.#openLinkAfterTurnaround(parameters ? applyHostParameters(link, parameters) : link);
  }

  // ——— Protocol in force ————————————————————————————————————————————————————————

  /**
   * The last character received may still be inside its error-signal window when it is read, and a
   * new UART cannot know when it started: release the line, let the turnaround pass at the rate of
   * the old UART (`before`; absent: the ATR's Fd/Dd), then open the link. The turnaround counts from
   * `sinceNs`: after the ATR, from its completion, so the wait for quiet after it (ATR_QUIET_ETU)
   * overlaps the turnaround instead of adding to it.
   */
  #openLinkAfterTurnaround(link: LinkParameters, before?: LinkParameters, sinceNs = this.#scheduler.now()): void {
    this.#closeUart();
    const etu = link.protocol === 1 ? TURNAROUND_ETU_T1 : TURNAROUND_ETU_T0;
    const wait = before ? etuToNs(etu, before.F, before.D, before.clockHz) : etuToNs(etu, Fd, Dd, this.#atrClockHz);
    this.#after(Math.max(0, sinceNs + wait - this.#scheduler.now()), () => this.#openLink(link));
  }

  /** The attributes of `link` (slot.ts SlotAttributes), without touching the line. */
  #showLink(link: LinkParameters): void {
    const attrs = this.#attrs;
    attrs.protocol = link.protocol;
    attrs.fiIndex = link.fiIndex;
    attrs.diIndex = link.diIndex;
    attrs.F = link.F;
    attrs.D = link.D;
    attrs.waitFi = link.waitFi;
    attrs.N = link.N;
    attrs.WI = link.WI;
    attrs.ifsc = link.ifsc;
    attrs.bwi = link.bwi;
    attrs.cwi = link.cwi;
    attrs.edc = link.edc;
  }

  #openLink(link: LinkParameters): void {
    this.#link = link;
    const attrs = this.#attrs;
    if (this.#requested) attrs.nad = this.#requested.parameters.nad;
    this.#showLink(link);
    this.#closeUart();
    if (link.clockHz !== attrs.clockHz) {
      this.#contacts.setClock(link.clockHz);
      attrs.clockHz = link.clockHz;
    }
    const protocol = link.protocol;
    const uart = this.#openUart({
      clockHz: link.clockHz, F: link.F, D: link.D, convention: this.#convention, N: link.N, protocol,
      repetitions: protocol === 0 ? this.#options.repetitions ?? DEFAULT_REPETITIONS : 0,
    });
    this.#log(TraceCategory.PROTOCOL, `T=${protocol} at F ${link.F} D ${link.D} f ${link.clockHz} Hz (${link.mode} mode)`);
    if (protocol === 0) {
      this.#t0 = new T0Transport({
        uart, scheduler: this.#scheduler, trace: this.#trace,
        waitingEtu: workWaitingEtu(link.WI, link.waitFi, link.F, link.D),
        classGetResponse: this.#classGetResponse, classEnvelope: this.#classEnvelope,
        maxResponseLength: this.#options.maxResponseLength,
      });
      this.#transport = this.#t0;
      this.#go('ready');
      return this.#finishPowerOn(null);
    }
    this.#go('protocol-setup');
    const t1: T1Link = new T1Link({
      uart, scheduler: this.#scheduler, trace: this.#trace, clockHz: link.clockHz, F: link.F, D: link.D,
      ifsc: link.ifsc, cwi: link.cwi, bwi: link.bwi, edc: link.edc, nad: attrs.nad, ifsd: this.#options.ifsd ?? DEFAULT_IFSD,
      maxResponseLength: this.#options.maxResponseLength,
      onFatal: (error) => {
        if (this.#transport !== t1) return;
        // §11.6 rule 6.4: resynchronisation failed; the link is dead.
        this.#log(TraceCategory.ERROR, `T=1 link lost (${error}): deactivating`);
        this.#deactivate();
        this.#go('unpowered');
        // A command the host started from the failed one's callback ends with the same error.
        this.#failPending(error, true);
      },
    });
    this.#transport = t1;
    this.#t1 = t1;
    this.#block = new T1BlockExchange(uart, link.edc);
    if (this.#negotiation === 'host') {
      // The host runs T=1 itself, its own S(IFS request) included (slot.ts PowerOnOptions).
      this.#go('ready');
      return this.#finishPowerOn(null);
    }
    // §11.4.2: the reader announces its IFSD with S(IFS request) as its first block.
    t1.negotiateIfsd((error) => {
      if (this.#transport !== t1 || this.#state !== 'protocol-setup') return;
      if (error !== null) {
        this.#log(TraceCategory.ERROR, `T=1 S(IFS) exchange failed (${error})`);
        this.#deactivate();
        this.#go('unpowered');
        return this.#finishPowerOn(error);
      }
      this.#attrs.ifsd = t1.ifsd;
      this.#go('ready');
      this.#finishPowerOn(null);
    });
  }

  // ——— Contacts and UART ————————————————————————————————————————————————————————

  #openUart(options: Omit<CardUartOptions, 'onReadable' | 'onWritable' | 'onError'>): CardUart {
    const uart: CardUart = new this.#Uart({
      ...options,
      onReadable: () => {
        if (this.#uart === uart) this.#readable(uart);
      },
      onWritable: () => {
        if (this.#uart === uart) this.#writable();
      },
      onError: (error) => {
        if (this.#uart === uart) this.#charError(error);
      },
    });
    this.#uart = uart;
    return uart;
  }

  #readable(uart: CardUart): void {
    switch (this.#state) {
      case 'atr':
        return this.#atrReadable(uart);
      case 'pps':
        return this.#ppsReadable(uart);
      case 'protocol-setup':
      case 'ready':
      case 'busy':
        if (this.#block?.active) return this.#block.handleReadable();
        return this.#transport?.handleReadable();
      default:
        // Before RST rises (§6.2.2: the card must not answer yet) or after the session moved on.
        while (uart.read() !== undefined);
    }
  }

  #writable(): void {
    if (this.#state === 'pps') this.#pps.pump(this.#uart!);
    else if (this.#block?.active) this.#block.handleWritable();
    else this.#transport?.handleWritable?.();
  }

  #charError(error: CardCharError): void {
    switch (this.#state) {
      case 'atr':
        // While waiting for quiet after the ATR: a timeout is the quiet; a stray's own error is no matter.
        if (this.#atrSettling !== null) return error === 'timeout' ? this.#atrQuiet() : undefined;
        return this.#atrFailed(
          error === 'timeout' ? 'ICC_MUTE' : 'XFR_PARITY_ERROR', `${error} after ${this.#atrReceiver.length} characters`,
          error !== 'timeout' || this.#profile.muteRetries,
        );
      case 'pps':
        return this.#ppsFailed(error, CHAR_ERRORS[error]);
      case 'protocol-setup':
      case 'ready':
      case 'busy':
        if (this.#block?.active) return this.#block.handleError(error);
        return this.#transport?.handleError(error);
      default:
        this.#log(TraceCategory.ERROR, `${error} on I/O while ${this.#state}`);
    }
  }

  /** §6.4 deactivation: RST low, CLK stopped low, I/O released low (UART closed), VCC off. */
  #deactivate(): void {
    this.#closeTransport();
    if (this.#powered) {
      const contacts = this.#contacts;
      contacts.setReset(0);
      contacts.setClock(0, 0);
      this.#closeUart();
      contacts.setSupply(null);
      this.#powered = false;
      this.#log(TraceCategory.PROTOCOL, 'deactivated');
    } else {
      this.#closeUart();
    }
    const state = this.#attrs.state;
    this.#attrs = offAttributes(state);
  }

  #resetLinkAttributes(): void {
    const { voltage, clockHz, state } = this.#attrs;
    this.#attrs = offAttributes(state);
    this.#attrs.voltage = voltage;
    this.#attrs.clockHz = clockHz;
  }

  #closeUart(): void {
    this.#uart?.close();
    this.#uart = null;
  }

  #closeTransport(): void {
    this.#transport?.close();
    this.#block?.cancel();
    this.#transport = null;
    this.#t0 = null;
    this.#t1 = null;
    this.#block = null;
    this.#link = null;
  }

  // ——— Events valid in every state ——————————————————————————————————————————————

  #presence(present: boolean): void {
    if (present) {
      if (this.#state === 'absent') this.#go('unpowered');
    } else if (this.#state !== 'absent') {
      // §6.4: on removal the contacts are released at once; what was pending ends as "card absent".
      this.#log(TraceCategory.PROTOCOL, 'card removed');
      this.#cancelTimer();
      this.#deactivate();
      this.#go('absent');
      this.#failPending('ICC_MUTE', false);
    }
    this.onPresence?.(present);
  }

  #fault(fault: ContactFault): void {
    this.#log(TraceCategory.ERROR, `contact fault: ${fault}`);
    this.#cancelTimer();
    this.#deactivate();
    if (this.#state !== 'absent' && this.#state !== 'unpowered') this.#go('unpowered');
    this.#failPending('HW_ERROR', false);
    this.onFault?.(fault);
  }

  #failPending(error: SlotError, deferred: boolean): void {
    const power = this.#powerDone;
    const transmit = this.#transmitDone;
    this.#powerDone = null;
    this.#transmitDone = null;
    const deliver = (): void => {
      power?.({ error, atr: null });
      transmit?.({ error, response: null });
    };
    if (deferred) this.#later(deliver);
    else deliver();
  }

  #finishPowerOn(outcome: SlotError | null): void {
    // A host's parameters that PPS could not set: the card went on at its defaults; the host hears of it.
    const error = outcome === null && this.#requested !== null && !this.#ppsAllowed ? 'ICC_PROTOCOL_NOT_SUPPORTED' : outcome;
    const done = this.#powerDone;
    this.#powerDone = null;
    this.#ppsPlan = null;
    this.#requested = null;
    done?.({ error, atr: error === null ? this.#attrs.atr : null });
  }

  // ——— Plumbing ————————————————————————————————————————————————————————————————

  #go(to: SessionState): void {
    const from = this.#state;
    if (from === to) return;
    if (!sessionAllows(from, to)) throw new Error(`session state ${from} → ${to} not in the table`);
    this.#state = to;
    this.#attrs.state = READER_STATE[to];
    // Every APDU passes here twice: no string is built unless the trace wants it.
    if (this.#trace.mask & TraceCategory.DRIVER) this.#trace.log(TraceCategory.DRIVER, `${from} → ${to}`);
  }

  #after(delayNs: number, callback: () => void): void {
    this.#cancelTimer();
    this.#timer = this.#scheduler.at(this.#scheduler.now() + delayNs, () => {
      this.#timer = null;
      callback();
    });
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#scheduler.cancel(this.#timer);
    this.#timer = null;
  }

  /** Results that arise inside a call are delivered from the scheduler's loop (slot.ts contract). */
  #later(callback: () => void): void {
    this.#scheduler.at(this.#scheduler.now(), callback);
  }

  #log(category: number, text: string): void {
    if (this.#trace.mask & category) this.#trace.log(category as TraceCategory, text);
  }
}

/** The factory the CCID layer and the host CLI use: one Slot per card socket. */
export function createCardSlot(options: CardSlotOptions): Slot {
  return new CardSession(options);
}
