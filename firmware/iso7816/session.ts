/**
 * The ISO/IEC 7816-3 card session behind one Slot: activation and cold/warm reset (§6.2), voltage
 * class selection (§6.2.4), ATR reception (§8), PPS (§9), the transmission protocol (T=0 §10 via
 * T0Transport, T=1 §11 via the T=1 link) and deactivation (§6.4). Callback-driven in virtual or
 * real time: every wait goes through the Scheduler, every character deadline through the CardUart.
 */
import type { CardContacts, CardContactsConstructor, ContactFault, VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { CardCharError, CardUart, CardUartConstructor, CardUartOptions, Convention } from '../../hal/interfaces/card-uart.js';
import type { Scheduler, TimerHandle } from '../../hal/interfaces/scheduler.js';
import { silentTrace, TraceCategory, type Trace } from '../../hal/interfaces/trace.js';
import { atrRemaining, decodeAtr, type AtrInfo } from './atr.js';
import { linkAfterPps, planAfterAtr, T1_DEFAULTS, type AtrPlan, type LinkParameters } from './negotiation.js';
import { checkPpsResponse, encodePpsRequest, PPS_MAX_LENGTH, ppsRemaining } from './pps.js';
import { READER_STATE, sessionAllows, type SessionState } from './session-states.js';
import type { PowerOnResult, ReaderState, Slot, SlotAttributes, SlotError, TransmitResult } from './slot.js';
import { T0Transport } from './t0.js';
import { T1Link } from './t1/link.js';
import {
  ATR_WINDOW_CYCLES, CLASS_CHANGE_OFF_NS, cyclesToEtu, cyclesToNs, Dd, DEFAULT_WI, Fd, INITIAL_WAITING_ETU,
  RESET_LOW_CYCLES, etuToNs, TURNAROUND_ETU_T0, TURNAROUND_ETU_T1, workWaitingEtu,
} from './timing.js';
import type { Transport } from './transport.js';

/** §8.2: TS and at most 32 further characters. */
const ATR_MAX = 33;
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
}

type Pending<T> = ((result: T) => void) | null;

type MutableAttributes = { -readonly [K in keyof SlotAttributes]: SlotAttributes[K] };

function offAttributes(state: ReaderState): MutableAttributes {
  return {
    state, voltage: null, atr: null, protocol: null, fiIndex: 1, diIndex: 1, F: Fd, D: Dd, N: 0, WI: DEFAULT_WI,
    clockHz: 0, clockStopped: false, ifsc: T1_DEFAULTS.ifsc, ifsd: 32, bwi: T1_DEFAULTS.bwi, cwi: T1_DEFAULTS.cwi,
    edc: T1_DEFAULTS.edc, nad: 0, convention: 'direct', clockStop: null,
  };
}

export class CardSession implements Slot {
  onPresence: ((present: boolean) => void) | null = null;

  readonly #contacts: CardContacts;
  readonly #Uart: CardUartConstructor;
  readonly #scheduler: Scheduler;
  readonly #trace: Trace;
  readonly #options: CardSlotOptions;
  readonly #atrClockHz: number;

  #state: SessionState;
  #attrs: MutableAttributes;
  #uart: CardUart | null = null;
  #transport: Transport | null = null;
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
  readonly #atr = new Uint8Array(ATR_MAX);
  #atrLength = 0;
  #info: AtrInfo | null = null;

  // PPS exchange (§9).
  readonly #ppsRequest = new Uint8Array(PPS_MAX_LENGTH);
  readonly #ppsResponse = new Uint8Array(PPS_MAX_LENGTH);
  #ppsRequestLength = 0;
  #ppsSent = 0;
  #ppsResponseLength = 0;
  #ppsPlan: Extract<AtrPlan, { kind: 'pps' }> | null = null;

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
    this.#state = this.#contacts.present ? 'unpowered' : 'absent';
    this.#attrs = offAttributes(READER_STATE[this.#state]);
  }

  get attributes(): SlotAttributes {
    return Object.freeze({ ...this.#attrs });
  }

  get present(): boolean {
    return this.#contacts.present;
  }

  powerOn(voltage: 'auto' | VoltageClass, done: (result: PowerOnResult) => void): void {
    const state = this.#state;
    if (state === 'absent') return this.#later(() => done({ error: 'ICC_MUTE', atr: null }));
    if (state !== 'unpowered' && state !== 'ready') return this.#later(() => done({ error: 'CMD_SLOT_BUSY', atr: null }));
    const board = this.#contacts.capabilities.classes;
    if (voltage !== 'auto' && board.indexOf(voltage) < 0) {
      return this.#later(() => done({ error: 'ICC_CLASS_NOT_SUPPORTED', atr: null }));
    }
    this.#classes = voltage === 'auto' ? board : Object.freeze([voltage]);
    this.#powerDone = done;
    this.#ppsAllowed = true;
    this.#warmResetTried = false;
    const current = this.#attrs.voltage;
    if (state === 'ready' && current !== null && this.#classes.indexOf(current) >= 0) {
      // §6.2.3: a powered card gets a warm reset at the class it is at.
      this.#classIndex = this.#classes.indexOf(current);
      this.#warmReset();
    } else {
      this.#classIndex = 0;
      if (state === 'ready') this.#powerGap();
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
    const state = this.#state;
    if (state !== 'ready') {
      const error: SlotError = state === 'absent' || state === 'unpowered' ? 'ICC_MUTE' : 'CMD_SLOT_BUSY';
      return this.#later(() => done({ error, response: null }));
    }
    this.#go('busy');
    this.#transmitDone = done;
    const transport = this.#transport!;
    transport.transmitApdu(apdu, (result) => {
      if (this.#transport !== transport || this.#transmitDone !== done) return;
      this.#transmitDone = null;
      this.#go('ready');
      if (result.error === 'ICC_MUTE') {
        // §10.2 (T=0: WT exceeded) and §11.6 (T=1: recovery exhausted): the reader deactivates.
        this.#log(TraceCategory.ERROR, 'card mute during a command: deactivating');
        this.#deactivate();
        this.#go('unpowered');
      }
      done(result);
    }, onWaiting);
  }

  abort(): void {
    if (this.#state === 'busy') {
      this.#transport!.abort();
      return;
    }
    if (this.#powerDone === null) return;
    this.#log(TraceCategory.PROTOCOL, 'activation aborted');
    this.#cancelTimer();
    this.#deactivate();
    this.#go('unpowered');
    this.#failPending('CMD_ABORTED', true);
  }

  // ——— Activation ———————————————————————————————————————————————————————————————

  /** §6.2.2 cold reset: RST low, VCC at the class, I/O in reception, CLK; RST rises after RESET_LOW_CYCLES. */
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
    this.#after(cyclesToNs(RESET_LOW_CYCLES, this.#atrClockHz), () => this.#raiseReset());
  }

  /** §6.2.3 warm reset: VCC and CLK stay, RST low for RESET_LOW_CYCLES, then high. */
  #warmReset(): void {
    this.#go('resetting');
    this.#attempt = 'warm';
    this.#log(TraceCategory.PROTOCOL, `warm reset at class ${this.#attrs.voltage}`);
    this.#closeTransport();
    this.#contacts.setReset(0);
    // The ATR comes at Fd/Dd with f in the ATR range, whatever the previous PPS set.
    if (this.#attrs.clockHz !== this.#atrClockHz) {
      this.#contacts.setClock(this.#atrClockHz);
      this.#attrs.clockHz = this.#atrClockHz;
    }
    this.#openAtrUart();
    this.#after(cyclesToNs(RESET_LOW_CYCLES, this.#atrClockHz), () => this.#raiseReset());
  }

  #raiseReset(): void {
    this.#go('atr');
    this.#atrLength = 0;
    this.#contacts.setReset(1);
    // §6.2.2: the first character within 40 000 cycles of the RST edge; §8.1: then 9600 etu between characters.
    this.#uart!.setDeadlines(cyclesToEtu(ATR_WINDOW_CYCLES, Fd, Dd), INITIAL_WAITING_ETU);
  }

  #openAtrUart(): void {
    this.#closeUart();
    this.#resetLinkAttributes();
    this.#openUart({ clockHz: this.#atrClockHz, F: Fd, D: Dd, convention: 'detect', N: 0, protocol: 0, repetitions: 0 });
  }

  #atrReadable(uart: CardUart): void {
    for (;;) {
      const byte = uart.read();
      if (byte === undefined) return;
      if (this.#atrLength === ATR_MAX) return this.#atrFailed('ICC_MUTE', 'ATR longer than 33 characters');
      this.#atr[this.#atrLength++] = byte;
      const remaining = atrRemaining(this.#atr, this.#atrLength);
      if (remaining < 0) return this.#atrFailed('BAD_ATR_TS', `TS ${byte}`);
      if (remaining === 0) return this.#atrComplete(uart);
    }
  }

  /** No usable ATR: §6.2.2 a warm reset first, then (§6.2.4) the next class, then the error. */
  #atrFailed(error: SlotError, why: string): void {
    this.#uart?.setDeadlines(0, 0);
    this.#log(TraceCategory.ATR | TraceCategory.ERROR, `no usable ATR (${error}): ${why}`);
    if (this.#attempt === 'cold') return this.#warmReset();
    this.#classIndex++;
    if (this.#classIndex < this.#classes.length) return this.#powerGap();
    this.#deactivate();
    this.#go('unpowered');
    this.#finishPowerOn(error);
  }

  #atrComplete(uart: CardUart): void {
    uart.setDeadlines(0, 0);
    const convention = uart.convention;
    this.#convention = convention === 'inverse' ? 'inverse' : 'direct';
    const info = decodeAtr(this.#atr.subarray(0, this.#atrLength));
    if (this.#trace.mask & TraceCategory.ATR) this.#trace.log(TraceCategory.ATR, `ATR (${this.#convention})`, info.atr);
    if (info.errors.indexOf('bad-tck') >= 0) return this.#atrFailed('BAD_ATR_TCK', 'TCK does not check');
    this.#info = info;
    this.#attrs.atr = info.atr;
    this.#attrs.convention = this.#convention;
    this.#attrs.clockStop = info.clockStop;
    const plan = planAfterAtr(info, {
      voltage: this.#classes[this.#classIndex],
      higherClasses: this.#classes.slice(this.#classIndex + 1),
      clocksHz: this.#contacts.capabilities.clocksHz,
      atrClockHz: this.#atrClockHz,
      limits: this.#Uart.capabilities,
      ppsAllowed: this.#ppsAllowed,
      warmResetTried: this.#warmResetTried,
    });
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
        return this.#startPps(plan);
      case 'use':
        return this.#openLinkAfterTurnaround(plan.link);
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
    this.#ppsRequestLength = encodePpsRequest(this.#ppsRequest, plan.protocol, plan.rate);
    this.#ppsSent = 0;
    this.#ppsResponseLength = 0;
    if (this.#trace.mask & TraceCategory.PROTOCOL) {
      this.#trace.log(TraceCategory.PROTOCOL, 'PPS request', this.#ppsRequest.subarray(0, this.#ppsRequestLength));
    }
    // §9.1: the reply follows within the initial waiting time (9600 etu), characters likewise.
    this.#uart!.setDeadlines(INITIAL_WAITING_ETU, INITIAL_WAITING_ETU);
    this.#ppsPump();
  }

  #ppsPump(): void {
    const uart = this.#uart!;
    while (this.#ppsSent < this.#ppsRequestLength && uart.writable > 0) uart.write(this.#ppsRequest[this.#ppsSent++]);
  }

  #ppsReadable(uart: CardUart): void {
    for (;;) {
      const byte = uart.read();
      if (byte === undefined) return;
      this.#ppsResponse[this.#ppsResponseLength++] = byte;
      const remaining = ppsRemaining(this.#ppsResponse, this.#ppsResponseLength);
      if (remaining < 0) return this.#ppsFailed('PPSS is not FF');
      if (remaining > 0) continue;
      uart.setDeadlines(0, 0);
      const response = this.#ppsResponse.subarray(0, this.#ppsResponseLength);
      if (this.#trace.mask & TraceCategory.PROTOCOL) this.#trace.log(TraceCategory.PROTOCOL, 'PPS response', response);
      const outcome = checkPpsResponse(this.#ppsRequest, this.#ppsRequestLength, response, this.#ppsResponseLength);
      if (outcome.kind === 'rejected') return this.#ppsFailed(outcome.reason);
      return this.#openLinkAfterTurnaround(linkAfterPps(this.#ppsPlan!, outcome.fiIndex, outcome.diIndex));
    }
  }

  /** §9.3: an unsuccessful exchange → deactivate; cold reset and go on at Fd/Dd without PPS. */
  #ppsFailed(why: string): void {
    this.#log(TraceCategory.ERROR, `PPS failed (${why}): cold reset, no PPS`);
    this.#ppsAllowed = false;
    this.#powerGap();
  }

  // ——— Protocol in force ————————————————————————————————————————————————————————

  /**
   * The last ATR or PPS character may still be inside its error-signal window when it is read, and a
   * new UART cannot know when it started: release the line, let the turnaround pass at the old rate
   * (Fd/Dd), then open the link.
   */
  #openLinkAfterTurnaround(link: LinkParameters): void {
    this.#closeUart();
    const etu = link.protocol === 1 ? TURNAROUND_ETU_T1 : TURNAROUND_ETU_T0;
    this.#after(etuToNs(etu, Fd, Dd, this.#atrClockHz), () => this.#openLink(link));
  }

  #openLink(link: LinkParameters): void {
    const attrs = this.#attrs;
    attrs.protocol = link.protocol;
    attrs.fiIndex = link.fiIndex;
    attrs.diIndex = link.diIndex;
    attrs.F = link.F;
    attrs.D = link.D;
    attrs.N = link.N;
    attrs.WI = link.WI;
    attrs.ifsc = link.ifsc;
    attrs.bwi = link.bwi;
    attrs.cwi = link.cwi;
    attrs.edc = link.edc;
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
      this.#transport = new T0Transport({
        uart, scheduler: this.#scheduler, trace: this.#trace,
        waitingEtu: workWaitingEtu(link.WI, link.waitFi, link.F, link.D),
        classGetResponse: this.#options.classGetResponse, classEnvelope: this.#options.classEnvelope,
        maxResponseLength: this.#options.maxResponseLength,
      });
      this.#go('ready');
      return this.#finishPowerOn(null);
    }
    this.#go('protocol-setup');
    const t1: T1Link = new T1Link({
      uart, scheduler: this.#scheduler, trace: this.#trace, clockHz: link.clockHz, F: link.F, D: link.D,
      ifsc: link.ifsc, cwi: link.cwi, bwi: link.bwi, edc: link.edc, ifsd: this.#options.ifsd ?? DEFAULT_IFSD,
      maxResponseLength: this.#options.maxResponseLength,
      onFatal: (error) => {
        if (this.#transport !== t1) return;
        // §11.6 rule 6.4: resynchronisation failed; the link is dead.
        this.#log(TraceCategory.ERROR, `T=1 link lost (${error}): deactivating`);
        this.#deactivate();
        this.#go('unpowered');
      },
    });
    this.#transport = t1;
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
        return this.#transport!.handleReadable();
      default:
        // Before RST rises (§6.2.2: the card must not answer yet) or after the session moved on.
        while (uart.read() !== undefined);
    }
  }

  #writable(): void {
    if (this.#state === 'pps') this.#ppsPump();
    else this.#transport?.handleWritable?.();
  }

  #charError(error: CardCharError): void {
    switch (this.#state) {
      case 'atr':
        return this.#atrFailed(error === 'timeout' ? 'ICC_MUTE' : 'XFR_PARITY_ERROR', `${error} after ${this.#atrLength} characters`);
      case 'pps':
        return this.#ppsFailed(error);
      case 'protocol-setup':
      case 'ready':
      case 'busy':
        return this.#transport!.handleError(error);
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
    this.#info = null;
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
    this.#transport = null;
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

  #finishPowerOn(error: SlotError | null): void {
    const done = this.#powerDone;
    this.#powerDone = null;
    this.#ppsPlan = null;
    done?.({ error, atr: error === null ? this.#attrs.atr : null });
  }

  // ——— Plumbing ————————————————————————————————————————————————————————————————

  #go(to: SessionState): void {
    const from = this.#state;
    if (from === to) return;
    if (!sessionAllows(from, to)) throw new Error(`session state ${from} → ${to} not in the table`);
    this.#state = to;
    this.#attrs.state = READER_STATE[to];
    this.#log(TraceCategory.DRIVER, `${from} → ${to}`);
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

/**
 * §6.2.2: during the ATR f is within 1–5 MHz. The board's default clock (its first) when it is in
 * that range, else the highest clock in range, else the default.
 */
function atrClock(clocksHz: readonly number[]): number {
  const first = clocksHz[0];
  if (first >= 1e6 && first <= 5e6) return first;
  let chosen = first;
  for (let i = 0; i < clocksHz.length; i++) if (clocksHz[i] >= 1e6 && clocksHz[i] <= 5e6) chosen = clocksHz[i];
  return chosen;
}

/** The factory the CCID layer and the host CLI use: one Slot per card socket. */
export function createCardSlot(options: CardSlotOptions): Slot {
  return new CardSession(options);
}
