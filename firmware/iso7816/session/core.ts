/**
 * What the parts of a card session share: the contacts, the one open UART and the routing of its
 * events by state (states.ts), the state and its checked transitions, the attributes, the one timer,
 * the pending operation (pending.ts), deactivation. The parts — activation.ts (activation and ATR
 * reception), negotiation.ts (class, specific mode, PPS), protocol-setup.ts (the link in force),
 * clock.ts (clock stop), exchange.ts (commands) — each keep their own job's data and reach each other
 * through here; session.ts is the Slot the CCID layer sees.
 */
import type { CardContacts, CardContactsConstructor } from '../../../hal/interfaces/card-contacts.js';
import type { CardCharError, CardUart, CardUartConstructor, CardUartOptions, Convention } from '../../../hal/interfaces/card-uart.js';
import type { Scheduler, TimerHandle } from '../../../hal/interfaces/scheduler.js';
import type { SlotAttributes, SlotError } from '../../../hal/interfaces/slot.js';
import { silentTrace, TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import { TIMING_PROFILES, type TimingProfile, type TimingProfileName } from '../timing.js';
import type { Activation } from './activation.js';
import { atrClock, offAttributes, sameAttributes, type MutableAttributes } from './attributes.js';
import type { ClockControl } from './clock.js';
import type { Exchange } from './exchange.js';
import type { Negotiation } from './negotiation.js';
import { complete, fail, type PendingOperation } from './pending.js';
import type { ProtocolSetup } from './protocol-setup.js';
import { SESSION_ALLOWED, SESSION_TABLE, type SessionState } from './states.js';

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

/** The parts of the session, wired once at construction. */
export interface SessionParts {
  readonly activation: Activation;
  readonly negotiation: Negotiation;
  readonly protocol: ProtocolSetup;
  readonly clock: ClockControl;
  readonly exchange: Exchange;
}

export class SessionCore {
  readonly contacts: CardContacts;
  readonly Uart: CardUartConstructor;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly options: CardSlotOptions;
  /** §6.2.2: the clock the ATR is read at (1–5 MHz). */
  readonly atrClockHz: number;
  readonly profile: TimingProfile;

  state: SessionState;
  attrs: MutableAttributes;
  /** The open UART (ECMA-419: its callbacks are fixed when it opens), or null. */
  uart: CardUart | null = null;
  /** VCC is on. */
  powered = false;
  /** The card's bit convention, from TS (or the host's SetParameters). */
  convention: Convention = 'direct';
  /** The one operation in progress, or null. */
  pending: PendingOperation | null = null;
  parts!: SessionParts;

  #snapshot: SlotAttributes | null = null;
  #timer: TimerHandle | null = null;

  constructor(options: CardSlotOptions, contacts: CardContacts) {
    this.options = options;
    this.Uart = options.uart;
    this.scheduler = options.scheduler;
    this.trace = options.trace ?? silentTrace;
    this.contacts = contacts;
    this.atrClockHz = atrClock(this.contacts.capabilities.clocksHz);
    this.profile = TIMING_PROFILES[options.profile ?? 'iso'];
    this.state = this.contacts.present ? 'unpowered' : 'absent';
    this.attrs = offAttributes(SESSION_TABLE[this.state].reader);
  }

  /**
   * A frozen snapshot. The CCID layer reads it for every reply (bStatus) and time extension, so a
   * new one is made only when a value has changed since the last.
   */
  get attributes(): SlotAttributes {
    const snapshot = this.#snapshot;
    if (snapshot !== null && sameAttributes(snapshot, this.attrs)) return snapshot;
    return (this.#snapshot = Object.freeze({ ...this.attrs }));
  }

  /** Move to `to`, which the table must allow from the current state. */
  go(to: SessionState): void {
    const from = this.state;
    if (from === to) return;
    if (SESSION_ALLOWED[from][to] !== true) throw new Error(`session state ${from} → ${to} not in the table`);
    this.state = to;
    this.attrs.state = SESSION_TABLE[to].reader;
    // Every APDU passes here twice: no string is built unless the trace wants it.
    if (this.trace.mask & TraceCategory.DRIVER) this.trace.log(TraceCategory.DRIVER, `${from} → ${to}`);
  }

  // ——— The pending operation ————————————————————————————————————————————————————

  /** Start `op`; the session runs one operation at a time. */
  begin(op: PendingOperation): void {
    this.pending = op;
  }

  /** The operation in progress ends (`error` null: success); nothing happens when none is. */
  complete(error: SlotError | null): void {
    const op = this.pending;
    this.pending = null;
    if (op !== null) complete(op, error, this.attrs.atr);
  }

  /**
   * The operation in progress ends as `outcome` says, as the negotiation judges it (a host's
   * parameters PPS could not set end in an error though the card is usable).
   */
  finish(outcome: SlotError | null): void {
    this.complete(this.parts.negotiation.outcome(outcome));
  }

  /** End whatever is in progress with `error`: from the scheduler's loop when `deferred` (a call is returning). */
  failPending(error: SlotError, deferred: boolean): void {
    const op = this.pending;
    this.pending = null;
    if (op === null) return;
    if (deferred) this.later(() => fail(op, error));
    else fail(op, error);
  }

  // ——— Time ————————————————————————————————————————————————————————————————————

  /** Run `callback` after `delayNs` on the session's one timer (replacing what it held). */
  after(delayNs: number, callback: () => void): void {
    this.cancelTimer();
    this.#timer = this.scheduler.at(this.scheduler.now() + delayNs, () => {
      this.#timer = null;
      callback();
    });
  }

  cancelTimer(): void {
    if (this.#timer !== null) this.scheduler.cancel(this.#timer);
    this.#timer = null;
  }

  /** Results that arise inside a call are delivered from the scheduler's loop (slot.ts contract). */
  later(callback: () => void): void {
    this.scheduler.at(this.scheduler.now(), callback);
  }

  log(category: number, text: string): void {
    if (this.trace.mask & category) this.trace.log(category as TraceCategory, text);
  }

  // ——— The I/O line ————————————————————————————————————————————————————————————

  openUart(options: Omit<CardUartOptions, 'onReadable' | 'onWritable' | 'onError' | 'onWaiting'>): CardUart {
    const uart: CardUart = new this.Uart({
      ...options,
      onReadable: () => {
        if (this.uart !== uart) return;
        // An exchange's block or TPDU (every one comes this way) without the dispatch's call.
        if (SESSION_TABLE[this.state].line === 'transport') this.parts.protocol.transport?.handleReadable();
        else this.#readable(uart);
      },
      onWritable: () => {
        if (this.uart === uart) this.#writable(uart);
      },
      onError: (error) => {
        if (this.uart === uart) this.#lineError(error);
      },
      onWaiting: () => {
        if (this.uart === uart && SESSION_TABLE[this.state].line === 'transport') this.parts.protocol.transport?.handleWaiting?.();
      },
    });
    this.uart = uart;
    return uart;
  }

  closeUart(): void {
    this.uart?.close();
    this.uart = null;
  }

  /** Each state's line handler (states.ts), for the three UART events. */
  #readable(uart: CardUart): void {
    // Only the part the state names is read: this runs for every block-level delivery.
    switch (SESSION_TABLE[this.state].line) {
      case 'atr': return this.parts.activation.atrReadable(uart);
      case 'atr-quiet': return this.parts.activation.strayReadable(uart);
      case 'pps': return this.parts.negotiation.ppsReadable(uart);
      case 'transport': return this.parts.protocol.transport?.handleReadable();
      case 'raw-block': return this.parts.protocol.block!.handleReadable();
      case 'none':
        // Before RST rises (§6.2.2: the card must not answer yet), in negotiable mode, or after the session moved on.
        while (uart.read() !== undefined);
    }
  }

  #writable(uart: CardUart): void {
    const { negotiation, protocol } = this.parts;
    switch (SESSION_TABLE[this.state].line) {
      case 'pps': return negotiation.ppsWritable(uart);
      case 'transport': return protocol.transport?.handleWritable?.();
      default:
    }
  }

  #lineError(error: CardCharError): void {
    const { activation, negotiation, protocol } = this.parts;
    switch (SESSION_TABLE[this.state].line) {
      case 'atr': return activation.atrError(error);
      case 'atr-quiet': return activation.quietError(error);
      case 'pps': return negotiation.ppsError(error);
      case 'transport': return protocol.transport?.handleError(error);
      case 'raw-block': return protocol.block!.handleError(error);
      case 'none':
        this.log(TraceCategory.ERROR, `${error} on I/O while ${this.state}`);
    }
  }

  // ——— Contacts ————————————————————————————————————————————————————————————————

  /** §6.4 deactivation: RST low, CLK stopped low, I/O released low (UART closed), VCC off. */
  deactivate(): void {
    this.parts.protocol.close();
    if (this.powered) {
      const contacts = this.contacts;
      contacts.setReset(0);
      contacts.setClock(0, 0);
      this.closeUart();
      contacts.setSupply(null);
      this.powered = false;
      this.log(TraceCategory.PROTOCOL, 'deactivated');
    } else {
      this.closeUart();
    }
    this.attrs = offAttributes(this.attrs.state);
  }

  /** Deactivate and rest unpowered (the card stays in the socket). */
  deactivateToUnpowered(): void {
    this.deactivate();
    this.go('unpowered');
  }

  /** The attributes of a card being reset: the defaults, but the voltage and clock it is at. */
  resetLinkAttributes(): void {
    const { voltage, clockHz, state } = this.attrs;
    this.attrs = offAttributes(state);
    this.attrs.voltage = voltage;
    this.attrs.clockHz = clockHz;
  }
}
