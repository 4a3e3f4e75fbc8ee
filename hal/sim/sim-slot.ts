/**
 * A simulated slot: the whole ISO 7816-3 stack replaced at the Slot seam, in
 * virtual time, for CCID tests. The real interface plus a test backdoor (`insert`, `remove`,
 * `fault`, scripted replies and delays, counters). Every callback comes from the scheduler, never
 * inside the call that caused it. No Node APIs: CCID scenarios run it inside XS.
 */
import type { ContactFault, VoltageClass } from '../interfaces/card-contacts.js';
import type { Scheduler, TimerHandle } from '../interfaces/scheduler.js';
import type {
  PowerOnOptions,
  PowerOnResult,
  Slot,
  SlotAttributes,
  SlotClockStop,
  SlotError,
  SlotParameters,
  TransmitResult,
} from '../interfaces/slot.js';
import { DI_TABLE, FI_TABLE } from './cards/atr.js';

/** How the simulated card answers one exchange. */
export interface SimSlotReply {
  response?: Uint8Array;
  error?: SlotError;
  /** Virtual time the exchange takes (default 1 ms). */
  delayNs?: number;
  /** Time-extension requests (multipliers) reported at equal intervals during the delay. */
  waiting?: readonly number[];
}

export interface SimSlotOptions {
  scheduler: Scheduler;
  /** ATR the card answers (default: DEFAULT_ATR). */
  atr?: Uint8Array;
  /** Protocol the card runs after power-on (default 1). */
  protocol?: 0 | 1;
  /** Card inserted at start (default true). */
  present?: boolean;
  /** Clock stop indicator of the ATR (default null: none). */
  clockStop?: SlotClockStop | null;
  /** Board clock in Hz (default 4 MHz). */
  clockHz?: number;
  /** Activation time (default 10 ms). */
  powerOnDelayNs?: number;
  /** Time setParameters takes (default 2 ms). */
  parametersDelayNs?: number;
  /** The answer to each APDU or TPDU; default: echo the command followed by SW 90 00. */
  respond?(command: Uint8Array): SimSlotReply;
  /** Leave out the optional Slot members, to test a reader without them. */
  without?: readonly ('setParameters' | 'transmitTpdu' | 'setClock' | 'setClassBytes')[];
}

/** A T=1 ATR: TD1 = T=1, TD2 = T=1 with TA3 = IFSC 254, TB3 = BWI 4 / CWI 5, then TCK. */
export const DEFAULT_ATR = Uint8Array.of(0x3b, 0x80, 0x81, 0x31, 0xfe, 0x45, 0x8b);

type MutableAttributes = {
  -readonly [K in keyof SlotAttributes]: SlotAttributes[K];
};

export class SimSlot implements Slot {
  onPresence: ((present: boolean) => void) | null = null;
  onFault: ((fault: ContactFault) => void) | null = null;
  setParameters?: Slot['setParameters'];
  transmitTpdu?: Slot['transmitTpdu'];
  setClock?: Slot['setClock'];
  setClassBytes?: Slot['setClassBytes'];

  /** Backdoor: what the CCID class asked for. */
  readonly log = {
    powerOns: [] as ('auto' | VoltageClass)[],
    /** Who negotiates, as each powerOn asked (slot.ts PowerOnOptions; 'reader' when not given). */
    negotiations: [] as ('reader' | 'host')[],
    powerOffs: 0,
    commands: [] as Uint8Array[],
    aborts: 0,
    parameters: [] as SlotParameters[],
    classBytes: [] as [number, number][],
  };
  /** Backdoor: the next power-on fails with this error (once). */
  nextPowerOnError: SlotError | null = null;
  /** Backdoor: the next setParameters fails with this error (once). */
  nextParametersError: SlotError | null = null;

  readonly #scheduler: Scheduler;
  readonly #options: SimSlotOptions;
  readonly #attributes: MutableAttributes;
  #present: boolean;
  #timer: TimerHandle | null = null;
  #waitTimers: TimerHandle[] = [];
  #cancel: ((error: SlotError) => void) | null = null;

  constructor(options: SimSlotOptions) {
    this.#scheduler = options.scheduler;
    this.#options = options;
    this.#present = options.present ?? true;
    this.#attributes = {
      state: this.#present ? 'PRESENT' : 'ABSENT', voltage: null, atr: null, protocol: null,
      fiIndex: 1, diIndex: 1, F: 372, D: 1, waitFi: 372, N: 0, WI: 10, clockHz: 0, clockStopped: false,
      ifsc: 32, ifsd: 254, bwi: 4, cwi: 13, edc: 'lrc', nad: 0, convention: 'direct', clockStop: null,
    };
    const without = options.without ?? [];
    if (!without.includes('setParameters')) this.setParameters = (p, done) => this.#setParameters(p, done);
    if (!without.includes('transmitTpdu')) {
      this.transmitTpdu = (tpdu, _bwi, done, onWaiting) => this.#transmitTpdu(tpdu, done, onWaiting);
    }
    if (!without.includes('setClock')) this.setClock = (stopped, done) => this.#setClock(stopped, done);
    if (!without.includes('setClassBytes')) this.setClassBytes = (g, e) => this.log.classBytes.push([g, e]);
  }

  get attributes(): SlotAttributes {
    return this.#attributes;
  }

  get present(): boolean {
    return this.#present;
  }

  /** True while an operation is in progress. */
  get busy(): boolean {
    return this.#cancel !== null;
  }

  /**
   * With `negotiation: 'host'` the card rests in NEGOTIABLE (ISO 7816-3 §9) until the first TPDU or
   * setParameters; a TPDU starting with PPSS 0xFF is then a PPS request, answered by echoing it.
   */
  powerOn(voltage: 'auto' | VoltageClass, done: (result: PowerOnResult) => void, options?: PowerOnOptions): void {
    if (this.busy) return this.#schedule(() => done({ error: 'CMD_SLOT_BUSY', atr: null }));
    this.log.powerOns.push(voltage);
    const negotiation = options?.negotiation ?? 'reader';
    this.log.negotiations.push(negotiation);
    this.#begin((error) => done({ error, atr: null }));
    if (this.#present) this.#attributes.state = 'POWERED';
    this.#after(this.#options.powerOnDelayNs ?? 10e6, () => {
      if (!this.#present) return this.#end(() => done({ error: 'ICC_MUTE', atr: null }));
      const error = this.nextPowerOnError;
      this.nextPowerOnError = null;
      if (error !== null) {
        this.#deactivate();
        return this.#end(() => done({ error, atr: null }));
      }
      const a = this.#attributes;
      const atr = this.#options.atr ?? DEFAULT_ATR;
      a.state = negotiation === 'host' ? 'NEGOTIABLE' : 'SPECIFIC';
      a.voltage = voltage === 'auto' ? 'B' : voltage;
      a.atr = atr;
      a.protocol = this.#options.protocol ?? 1;
      a.clockHz = this.#options.clockHz ?? 4e6;
      a.clockStopped = false;
      a.clockStop = this.#options.clockStop ?? null;
      a.convention = atr[0] === 0x3f ? 'inverse' : 'direct';
      this.#end(() => done({ error: null, atr }));
    });
  }

  powerOff(): void {
    this.log.powerOffs++;
    this.#abandon('CMD_ABORTED');
    if (this.#present) this.#deactivate();
  }

  transmitApdu(apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    const refused = this.#refusal();
    if (refused !== null) return this.#schedule(() => done({ error: refused, response: null }));
    const command = apdu.slice();
    this.log.commands.push(command);
    this.#begin((error) => done({ error, response: null }));
    const reply = this.#options.respond?.(command) ?? { response: concat(command, Uint8Array.of(0x90, 0x00)) };
    const delay = reply.delayNs ?? 1e6;
    const waiting = reply.waiting ?? [];
    waiting.forEach((multiplier, i) => {
      const handle = this.#scheduler.at(this.#scheduler.now() + (delay * (i + 1)) / (waiting.length + 1), () => onWaiting?.(multiplier));
      this.#waitTimers.push(handle);
    });
    this.#after(delay, () => {
      const error = reply.error ?? null;
      this.#end(() => done({ error, response: error === null ? (reply.response ?? new Uint8Array(0)) : null }));
    });
  }

  #transmitTpdu(tpdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    const refused = this.#refusal();
    if (refused !== null) return this.#schedule(() => done({ error: refused, response: null }));
    const a = this.#attributes;
    if (a.state !== 'NEGOTIABLE' || tpdu.length < 3 || tpdu[0] !== 0xff) {
      if (a.state === 'NEGOTIABLE') a.state = 'SPECIFIC';
      return this.transmitApdu(tpdu, done, onWaiting);
    }
    // PPS0 names the protocol, PPS1 (when b5 of PPS0 says it is there) FI and DI.
    const pps = tpdu.slice();
    this.log.commands.push(pps);
    this.#begin((error) => done({ error, response: null }));
    this.#after(1e6, () => {
      a.state = 'SPECIFIC';
      a.protocol = (pps[1] & 0x0f) === 1 ? 1 : 0;
      if (pps[1] & 0x10) {
        a.fiIndex = pps[2] >> 4;
        a.diIndex = pps[2] & 0x0f;
        a.F = FI_TABLE[a.fiIndex & 0xf] || 372;
        a.waitFi = a.F; // the simulated card's Fi is the rate it was given (it has no TA1 of its own)
        a.D = DI_TABLE[a.diIndex & 0xf] || 1;
      }
      this.#end(() => done({ error: null, response: pps }));
    });
  }

  abort(): void {
    this.log.aborts++;
    this.#abandon('CMD_ABORTED');
  }

  /** Backdoor: insert the card. */
  insert(): void {
    if (this.#present) return;
    this.#present = true;
    this.#attributes.state = 'PRESENT';
    this.#schedule(() => this.onPresence?.(true));
  }

  /** Backdoor: pull the card out; an operation in progress ends with ICC_MUTE after presence is reported. */
  remove(): void {
    if (!this.#present) return;
    this.#present = false;
    const cancel = this.#cancel;
    this.#clearTimers();
    this.#cancel = null;
    this.#deactivate();
    this.#attributes.state = 'ABSENT';
    this.#schedule(() => this.onPresence?.(false));
    if (cancel !== null) this.#schedule(() => cancel('ICC_MUTE'));
  }

  /** Backdoor: a supply fault; power is already off (as the contacts report it). */
  fault(fault: ContactFault = 'overcurrent'): void {
    const cancel = this.#cancel;
    this.#clearTimers();
    this.#cancel = null;
    this.#deactivate();
    this.#schedule(() => this.onFault?.(fault));
    if (cancel !== null) this.#schedule(() => cancel('HW_ERROR'));
  }

  #setParameters(p: SlotParameters, done: (error: SlotError | null) => void): void {
    const refused = this.#refusal();
    if (refused !== null) return this.#schedule(() => done(refused));
    this.log.parameters.push(p);
    this.#begin(done);
    this.#after(this.#options.parametersDelayNs ?? 2e6, () => {
      const error = this.nextParametersError;
      this.nextParametersError = null;
      if (error !== null) return this.#end(() => done(error));
      const a = this.#attributes;
      a.protocol = p.protocol;
      a.fiIndex = p.fiIndex;
      a.diIndex = p.diIndex;
      a.F = FI_TABLE[p.fiIndex & 0xf] || 372;
      a.waitFi = a.F;
      a.D = DI_TABLE[p.diIndex & 0xf] || 1;
      a.N = p.N;
      a.WI = p.WI;
      a.bwi = p.bwi;
      a.cwi = p.cwi;
      a.ifsc = p.ifsc;
      a.edc = p.edc;
      a.nad = p.nad;
      a.convention = p.convention;
      a.state = 'SPECIFIC';
      this.#end(() => done(null));
    });
  }

  #setClock(stopped: boolean, done: (error: SlotError | null) => void): void {
    const refused = this.#refusal();
    if (refused !== null) return this.#schedule(() => done(refused));
    this.#begin(done);
    this.#after(1e3, () => {
      this.#attributes.clockStopped = stopped;
      this.#end(() => done(null));
    });
  }

  /** Why a command cannot start now (slot.ts): no powered card, or another operation in progress. */
  #refusal(): SlotError | null {
    if (this.busy) return 'CMD_SLOT_BUSY';
    return this.#present && this.#attributes.voltage !== null ? null : 'ICC_MUTE';
  }

  #deactivate(): void {
    const a = this.#attributes;
    a.state = this.#present ? 'PRESENT' : 'ABSENT';
    a.voltage = null;
    a.protocol = null;
    a.clockHz = 0;
    a.clockStopped = false;
  }

  #begin(cancel: (error: SlotError) => void): void {
    if (this.#cancel !== null) throw new Error('SimSlot: operation started while another is in progress');
    this.#cancel = cancel;
  }

  #end(report: () => void): void {
    this.#cancel = null;
    this.#clearTimers();
    report();
  }

  #abandon(error: SlotError): void {
    const cancel = this.#cancel;
    if (cancel === null) return;
    this.#clearTimers();
    this.#cancel = null;
    this.#schedule(() => cancel(error));
  }

  #after(delayNs: number, callback: () => void): void {
    this.#timer = this.#scheduler.at(this.#scheduler.now() + delayNs, () => {
      this.#timer = null;
      callback();
    });
  }

  #schedule(callback: () => void): void {
    this.#scheduler.at(this.#scheduler.now(), callback);
  }

  #clearTimers(): void {
    if (this.#timer !== null) this.#scheduler.cancel(this.#timer);
    this.#timer = null;
    for (const handle of this.#waitTimers) this.#scheduler.cancel(handle);
    this.#waitTimers = [];
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
