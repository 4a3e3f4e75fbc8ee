/**
 * The ISO/IEC 7816-3 card session behind one Slot: activation and cold/warm reset (§6.2), voltage
 * class selection (§6.2.4), ATR reception (§8), PPS (§9), the transmission protocol (T=0 §10, T=1
 * §11), clock stop (§6.3.2) and deactivation (§6.4). Callback-driven in virtual or real time: every
 * wait goes through the Scheduler, every character deadline through the CardUart.
 *
 * This is the parent machine: it takes the Slot's calls and the events valid in every state (card
 * removed, supply fault, power off, abort) once, and leaves each job to its part (core.ts lists
 * them). What each state accepts is in the state table (states.ts); the operation in progress is
 * one record (pending.ts).
 */
import type { ContactFault, VoltageClass } from '../../../hal/interfaces/card-contacts.js';
import type { PowerOnOptions, PowerOnResult, ReaderState, Slot, SlotAttributes, SlotError, SlotParameters, TransmitResult } from '../../../hal/interfaces/slot.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import { hostRate } from '../pps/rate.js';
import { waitingTimeNs } from '../timing.js';
import { Activation } from './activation.js';
import { applyHostParameters, sameLink } from './atr-plan.js';
import { ClockControl } from './clock.js';
import { SessionCore, type CardSlotOptions } from './core.js';
import { Exchange } from './exchange.js';
import { Negotiation } from './negotiation.js';
import { abortDeactivates } from './pending.js';
import { ProtocolSetup } from './protocol-setup.js';
import { commandRefusal, SESSION_TABLE } from './states.js';

export type { CardSlotOptions } from './core.js';

export class CardSession implements Slot {
  onPresence: ((present: boolean) => void) | null = null;
  onFault: ((fault: ContactFault) => void) | null = null;

  readonly #s: SessionCore;

  constructor(options: CardSlotOptions) {
    const contacts = new options.contacts({
      onPresence: (present) => this.#presence(present),
      onFault: (fault) => this.#fault(fault),
    });
    const core = new SessionCore(options, contacts);
    core.parts = Object.freeze({
      activation: new Activation(core),
      negotiation: new Negotiation(core),
      protocol: new ProtocolSetup(core),
      clock: new ClockControl(core),
      exchange: new Exchange(core),
    });
    this.#s = core;
  }

  get attributes(): SlotAttributes {
    return this.#s.attributes;
  }

  get present(): boolean {
    return this.#s.contacts.present;
  }

  get readerState(): ReaderState {
    return this.#s.attrs.state;
  }

  get waitingTimeNs(): number {
    // Derived again only when one of the values it depends on has changed (read at every command).
    const a = this.#s.attrs;
    const w = this.#waiting;
    if (a.protocol !== w.protocol || a.clockHz !== w.clockHz || a.F !== w.F || a.D !== w.D || a.bwi !== w.bwi || a.WI !== w.WI || a.waitFi !== w.waitFi) {
      w.protocol = a.protocol;
      w.clockHz = a.clockHz;
      w.F = a.F;
      w.D = a.D;
      w.bwi = a.bwi;
      w.WI = a.WI;
      w.waitFi = a.waitFi;
      w.ns = waitingTimeNs(a);
    }
    return w.ns;
  }

  /** The attributes waitingTimeNs was derived from, and its value. */
  readonly #waiting = { protocol: null as 0 | 1 | null, clockHz: NaN, F: NaN, D: NaN, bwi: NaN, WI: NaN, waitFi: NaN, ns: 0 };

  powerOn(voltage: 'auto' | VoltageClass, done: (result: PowerOnResult) => void, options?: PowerOnOptions): void {
    const s = this.#s;
    const effect = SESSION_TABLE[s.state].powerOn;
    if (effect !== 'cold-reset' && effect !== 'reset') return s.later(() => done({ error: effect, atr: null }));
    const board = s.contacts.capabilities.classes;
    if (voltage !== 'auto' && board.indexOf(voltage) < 0) {
      return s.later(() => done({ error: 'ICC_CLASS_NOT_SUPPORTED', atr: null }));
    }
    s.begin({ kind: 'power-on', done });
    s.parts.negotiation.begin(options?.negotiation ?? 'reader');
    // A card resting in negotiable mode is powered and idle: like 'ready', it gets a reset.
    s.parts.activation.start(voltage === 'auto' ? board : Object.freeze([voltage]), effect === 'reset');
  }

  powerOff(): void {
    const s = this.#s;
    if (!s.powered && s.state !== 'power-gap') return;
    s.log(TraceCategory.PROTOCOL, 'power off requested');
    s.cancelTimer();
    s.deactivateToUnpowered();
    s.failPending('CMD_ABORTED', true);
  }

  transmitApdu(apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    this.#s.parts.exchange.transmitApdu(apdu, done, onWaiting);
  }

  transmitTpdu(tpdu: Uint8Array, bwiMultiplier: number, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    this.#s.parts.exchange.transmitTpdu(tpdu, bwiMultiplier, done, onWaiting);
  }

  setClassBytes(getResponse: number, envelope: number): void {
    this.#s.parts.protocol.setClassBytes(getResponse, envelope);
  }

  /**
   * CCID SetParameters / ResetParameters. Same protocol and Fi/Di: the UART and transport are rebuilt
   * with the host's N, WI and T=1 values. Another protocol or Fi/Di needs PPS, which §9 allows only
   * right after an ATR: a warm reset (§6.2.3), then PPS with exactly the host's values (never a rate
   * the board cannot produce). A card in specific mode cannot change (ICC_PROTOCOL_NOT_SUPPORTED).
   */
  setParameters(parameters: SlotParameters, done: (error: SlotError | null) => void): void {
    const s = this.#s;
    const { negotiation, protocol } = s.parts;
    const attrs = s.attrs;
    if (s.state === 'negotiable') {
      // libccid's SetParameters when it found no PPS needed: §9 defaults with the host's other values.
      if (parameters.protocol === attrs.protocol && parameters.fiIndex === 1 && parameters.diIndex === 1) {
        attrs.nad = parameters.nad;
        s.convention = parameters.convention;
        return negotiation.settle(parameters, done, () => done(null));
      }
      return negotiation.settle(null, done, () => this.setParameters(parameters, done));
    }
    const refused = commandRefusal(s.state);
    if (refused) return s.later(() => done(refused));
    if (attrs.clockStopped) {
      // The new link may talk at once (T=1 S(IFS)): CLK runs again first (§6.3.2).
      s.begin({ kind: 'set-parameters', done });
      return s.parts.clock.change(false, () => {
        s.pending = null;
        this.setParameters(parameters, done);
      });
    }
    const link = protocol.link!;
    attrs.nad = parameters.nad;
    if (parameters.protocol === attrs.protocol && parameters.fiIndex === attrs.fiIndex && parameters.diIndex === attrs.diIndex) {
      const next = applyHostParameters(link, parameters);
      if (sameLink(next, link) && parameters.convention === s.convention) return s.later(() => done(null));
      s.begin({ kind: 'set-parameters', done });
      s.convention = parameters.convention;
      return protocol.reopen(next, link);
    }
    if (link.mode === 'specific') return s.later(() => done('ICC_PROTOCOL_NOT_SUPPORTED'));
    const rate = hostRate(parameters.fiIndex, parameters.diIndex, s.contacts.capabilities.clocksHz, s.Uart.capabilities);
    if (rate === null) return s.later(() => done('ICC_PROTOCOL_NOT_SUPPORTED'));
    s.begin({ kind: 'set-parameters', done });
    negotiation.request({ parameters, rate });
    s.parts.activation.start(Object.freeze([attrs.voltage!]), true);
  }

  /** CCID IccClock (clock.ts): only with a protocol in force, and only where the card's indicator allows it. */
  setClock(stopped: boolean, done: (error: SlotError | null) => void): void {
    const s = this.#s;
    if (s.state === 'negotiable') return s.parts.negotiation.settle(null, done, () => this.setClock(stopped, done));
    const refused = commandRefusal(s.state);
    if (refused) return s.later(() => done(refused));
    if (stopped === s.attrs.clockStopped) return s.later(() => done(null));
    if (stopped && (!s.contacts.capabilities.clockStop || s.attrs.clockStop === null || s.attrs.clockStop === 'not-supported')) {
      return s.later(() => done('ICC_PROTOCOL_NOT_SUPPORTED'));
    }
    s.begin({ kind: 'clock', done });
    s.parts.clock.change(stopped, () => s.finish(null));
  }

  /** Ends the operation in progress, as its record says it can end (pending.ts abortDeactivates). */
  abort(): void {
    const s = this.#s;
    const op = s.pending;
    // A clock stop or restart takes ~2000 cycles and cannot be undone halfway: let it finish.
    if (op === null || s.state === 'clock-change') return;
    if (op.kind === 'exchange') return s.parts.exchange.abort();
    if (!abortDeactivates(op)) return;
    s.log(TraceCategory.PROTOCOL, 'activation aborted');
    s.cancelTimer();
    s.deactivateToUnpowered();
    s.failPending('CMD_ABORTED', true);
  }

  // ——— Events valid in every state ——————————————————————————————————————————————

  #presence(present: boolean): void {
    const s = this.#s;
    if (present) {
      if (s.state === 'absent') s.go('unpowered');
    } else if (s.state !== 'absent') {
      // §6.4: on removal the contacts are released at once; what was pending ends as "card absent".
      s.log(TraceCategory.PROTOCOL, 'card removed');
      s.cancelTimer();
      s.deactivate();
      s.go('absent');
      s.failPending('ICC_MUTE', false);
    }
    this.onPresence?.(present);
  }

  #fault(fault: ContactFault): void {
    const s = this.#s;
    s.log(TraceCategory.ERROR, `contact fault: ${fault}`);
    s.cancelTimer();
    s.deactivate();
    if (s.state !== 'absent' && s.state !== 'unpowered') s.go('unpowered');
    s.failPending('HW_ERROR', false);
    this.onFault?.(fault);
  }
}

/** The factory the CCID layer and the host CLI use: one Slot per card socket. */
export function createCardSlot(options: CardSlotOptions): Slot {
  return new CardSession(options);
}
