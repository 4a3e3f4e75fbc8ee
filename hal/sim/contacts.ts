/**
 * The simulated socket: supply, CLK, RST and the presence switch, with the card (a peer emulator)
 * plugged in. `SimSocket` is the board's side and the test backdoor (insert, remove, fault);
 * `SimContacts implements CardContacts` is what the firmware sees. Card calls and firmware callbacks
 * are delivered through the scheduler, never from inside the call that caused them.
 */
import type {
  CardContacts, CardContactsCapabilities, CardContactsOptions, ContactFault, VoltageClass,
} from '../interfaces/card-contacts.js';
import type { Trace } from '../interfaces/trace.js';
import { TraceCategory } from '../common/trace.js';
import type { SimCard } from './card.js';
import { SimCardIo } from './card-io.js';
import type { SimLine } from './line.js';

/** ISO 7816-3 §5.1.3 nominal supply voltages. */
export const CLASS_VOLTS: Readonly<Record<VoltageClass, number>> = Object.freeze({ A: 5, B: 3, C: 1.8 });

export class SimSocket {
  readonly line: SimLine;
  readonly capabilities: CardContactsCapabilities;
  readonly debounceNs: number;
  readonly #trace: Trace;
  #card: SimCard | null = null;
  #io: SimCardIo | null = null;
  #inserted = false;
  #present = false;
  #debounce: number | undefined;
  #voltage: VoltageClass | null = null;
  #coldPending = true;
  #contacts = new Set<SimContacts>();

  constructor(line: SimLine, capabilities: CardContactsCapabilities, debounceNs: number, trace: Trace) {
    this.line = line;
    this.capabilities = capabilities;
    this.debounceNs = debounceNs;
    this.#trace = trace;
  }

  /** Debounced presence, as the firmware sees it. */
  get present(): boolean {
    return this.#present;
  }
  get card(): SimCard | null {
    return this.#card;
  }
  get voltage(): VoltageClass | null {
    return this.#voltage;
  }

  /** Backdoor: put a card in the socket (a card already there is removed first). */
  insert(card: SimCard): void {
    if (this.#card) this.remove();
    this.#card = card;
    const io = new SimCardIo(this.line, card, () => this.#voltage);
    this.#io = io;
    this.#log(`card inserted: ${card.name}`);
    this.#post(() => {
      if (this.#card !== card) return;
      card.attach(io);
      if (this.#voltage !== null) card.power(this.#voltage);
      this.#updateIo(false);
    });
    this.#setInserted(true);
  }

  /** Backdoor: pull the card out. It is cut off the line at once; I/O floats (pulled high). */
  remove(): void {
    const card = this.#card;
    if (!card) return;
    this.#card = null;
    this.#io?.close();
    this.#io = null;
    this.#log(`card removed: ${card.name}`);
    this.#post(() => card.detach());
    this.#setInserted(false);
  }

  /** Backdoor: a supply fault. Power is removed, then every open contacts object hears of it. */
  fault(kind: ContactFault): void {
    this.#log(`supply fault: ${kind}`);
    this.setSupply(null);
    for (const c of this.#contacts) this.#post(() => c.fault(kind));
  }

  setSupply(voltage: VoltageClass | null): void {
    if (voltage === this.#voltage) return;
    if (this.#voltage !== null && voltage !== null) this.setSupply(null);
    this.#voltage = voltage;
    this.line.setVcc(voltage === null ? 0 : CLASS_VOLTS[voltage]);
    if (voltage === null) {
      this.#coldPending = true;
      this.#io?.halt();
    }
    this.#updateIo(false);
    const card = this.#card;
    if (card) this.#post(() => this.#card === card && card.power(voltage));
  }

  setClock(hz: number, stopLevel: 0 | 1): void {
    this.line.setClock(hz, stopLevel);
    this.#updateIo(false);
  }

  setReset(level: 0 | 1): void {
    if (level === this.line.rst) return;
    this.line.setRst(level);
    const card = this.#card;
    if (level === 0) {
      this.#io?.halt();
      this.#updateIo(false);
      if (card && this.#voltage !== null) this.#post(() => this.#card === card && card.resetAsserted());
      return;
    }
    // §6.2.2 / §6.2.3: a reset is the RST rising edge with VCC and CLK on; the first after power-up is cold.
    if (this.#voltage === null || this.line.clockHz === 0) return;
    const kind = this.#coldPending ? 'cold' : 'warm';
    this.#coldPending = false;
    this.#updateIo(true);
    if (card) this.#post(() => this.#card === card && card.reset(kind));
  }

  /** @internal SimContacts registration. */
  open(contacts: SimContacts): void {
    this.#contacts.add(contacts);
  }
  /** @internal */
  close(contacts: SimContacts): void {
    this.#contacts.delete(contacts);
  }

  #updateIo(resetDefaults: boolean): void {
    const active = this.#voltage !== null && this.line.rst === 1 && this.line.clockHz > 0;
    this.#io?.update(active, resetDefaults);
  }

  #setInserted(inserted: boolean): void {
    this.#inserted = inserted;
    if (this.#debounce !== undefined) this.line.scheduler.cancel(this.#debounce);
    this.#debounce = undefined;
    if (inserted === this.#present) return; // a bounce that came back before the debounce time
    this.#debounce = this.line.scheduler.at(this.line.scheduler.now() + this.debounceNs, () => {
      this.#debounce = undefined;
      this.#present = this.#inserted;
      for (const c of this.#contacts) c.presence(this.#present);
    });
  }

  #post(fn: () => void): void {
    this.line.scheduler.at(this.line.scheduler.now(), fn);
  }

  #log(text: string): void {
    if (this.#trace.mask & TraceCategory.DRIVER) this.#trace.log(TraceCategory.DRIVER, text);
  }
}

export class SimContacts implements CardContacts {
  readonly #socket: SimSocket;
  readonly #options: CardContactsOptions;
  #closed = false;

  constructor(socket: SimSocket, options: CardContactsOptions) {
    this.#socket = socket;
    this.#options = { ...options };
    socket.open(this);
  }

  get capabilities(): CardContactsCapabilities {
    return this.#socket.capabilities;
  }

  get present(): boolean {
    return this.#socket.present;
  }

  setSupply(voltage: VoltageClass | null): void {
    if (this.#closed) return;
    if (voltage !== null && !this.#socket.capabilities.classes.includes(voltage)) {
      throw new RangeError(`CardContacts: class ${voltage} not supported by this board`);
    }
    this.#socket.setSupply(voltage);
  }

  setClock(hz: number, stopLevel: 0 | 1 = 0): void {
    if (this.#closed) return;
    if (hz !== 0 && !this.#socket.capabilities.clocksHz.includes(hz)) {
      throw new RangeError(`CardContacts: ${hz} Hz is not one of the board's clocks`);
    }
    this.#socket.setClock(hz, stopLevel);
  }

  setReset(level: 0 | 1): void {
    if (this.#closed) return;
    this.#socket.setReset(level);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close(this);
  }

  /** @internal called from the scheduler loop by the socket. */
  presence(present: boolean): void {
    if (!this.#closed) this.#options.onPresence?.(present);
  }

  /** @internal called from the scheduler loop by the socket. */
  fault(kind: ContactFault): void {
    if (!this.#closed) this.#options.onFault?.(kind);
  }
}
