/**
 * Activation and ATR reception: cold reset (§6.2.2), warm reset (§6.2.3), the power gap before a
 * new class (§6.2.4), the ATR read at Fd/Dd within its windows (§6.2.2, §8.1, the timing profile),
 * the quiet after it (§8.2: stray characters are discarded), and what a missing or broken ATR costs
 * (a warm reset, then the next class, then the error). A complete ATR goes to the negotiation.
 */
import type { VoltageClass } from '../../../hal/interfaces/card-contacts.js';
import type { CardCharError, CardUart } from '../../../hal/interfaces/card-uart.js';
import type { SlotError } from '../../../hal/interfaces/slot.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import { ATR_MAX, AtrReceiver } from '../atr/receiver.js';
import { ATR_QUIET_ETU, CLASS_CHANGE_OFF_NS, cyclesToEtu, cyclesToNs, Dd, etuToNs, Fd, INITIAL_WAITING_ETU } from '../timing.js';
import type { AtrPlan } from './atr-plan.js';
import type { SessionCore } from './core.js';

/** What the negotiation decided to do once the line is quiet after the ATR. */
export type AfterQuiet = Extract<AtrPlan, { kind: 'pps' | 'use' }>;

export class Activation {
  readonly #s: SessionCore;
  readonly #receiver = new AtrReceiver();
  /** The classes this activation may use, lowest first, and the one VCC is at (or goes to next). */
  #classes: readonly VoltageClass[] = [];
  #classIndex = 0;
  /** The reset in progress: a mute cold reset gets a warm reset, a mute warm reset the next class. */
  #attempt: 'cold' | 'warm' = 'cold';
  /** In state 'atr-quiet': what follows the quiet, the stray characters so far, and when the ATR was complete. */
  #afterQuiet: AfterQuiet | null = null;
  #strays = 0;
  #completeNs = 0;

  constructor(core: SessionCore) {
    this.#s = core;
  }

  /** The class VCC is at, and the higher ones this activation may still move up to. */
  get voltage(): VoltageClass {
    return this.#classes[this.#classIndex];
  }

  get higherClasses(): readonly VoltageClass[] {
    return this.#classes.slice(this.#classIndex + 1);
  }

  /** When the last ATR was complete: the turnaround after it counts from then. */
  get completeNs(): number {
    return this.#completeNs;
  }

  /**
   * Activate with `classes`: a card `idle` and powered gets a warm reset at its class when the list
   * has it (§6.2.3), else a power gap and a cold reset at the first class; an unpowered card a cold
   * reset at the first class.
   */
  start(classes: readonly VoltageClass[], idle: boolean): void {
    this.#classes = classes;
    const current = this.#s.attrs.voltage;
    if (idle && current !== null && classes.indexOf(current) >= 0) {
      this.#classIndex = classes.indexOf(current);
      this.warmReset();
    } else {
      this.#classIndex = 0;
      if (idle) this.powerGap();
      else this.#coldReset();
    }
  }

  /** §6.2.4: move up to `voltage` (one of the classes still allowed) through a power gap. */
  changeClass(voltage: VoltageClass): void {
    this.#classIndex = this.#classes.indexOf(voltage);
    this.powerGap();
  }

  /** §6.2.2 cold reset: RST low, VCC at the class, I/O in reception, CLK; RST rises after the profile's reset time. */
  #coldReset(): void {
    const s = this.#s;
    const voltage = this.voltage;
    s.go('resetting');
    this.#attempt = 'cold';
    s.log(TraceCategory.PROTOCOL, `cold reset at class ${voltage}`);
    const contacts = s.contacts;
    contacts.setReset(0);
    contacts.setSupply(voltage);
    s.powered = true;
    s.attrs.voltage = voltage;
    this.#openAtrUart();
    contacts.setClock(s.atrClockHz);
    s.attrs.clockHz = s.atrClockHz;
    s.after(cyclesToNs(s.profile.resetLowCycles, s.atrClockHz), () => this.#raiseReset());
  }

  /** §6.2.3 warm reset: VCC and CLK stay, RST low for the profile's reset time, then high. */
  warmReset(): void {
    const s = this.#s;
    s.go('resetting');
    this.#attempt = 'warm';
    s.log(TraceCategory.PROTOCOL, `warm reset at class ${s.attrs.voltage}`);
    s.parts.protocol.close();
    s.contacts.setReset(0);
    // The ATR comes at Fd/Dd with f in the ATR range, whatever the previous PPS set.
    if (s.attrs.clockStopped || s.attrs.clockHz !== s.atrClockHz) {
      s.contacts.setClock(s.atrClockHz);
      s.attrs.clockHz = s.atrClockHz;
    }
    this.#openAtrUart();
    s.after(cyclesToNs(s.profile.resetLowCycles, s.atrClockHz), () => this.#raiseReset());
  }

  /** Power off, wait CLASS_CHANGE_OFF_NS, cold reset at the current class (§6.2.4, §9.3). */
  powerGap(): void {
    const s = this.#s;
    s.deactivate();
    s.go('power-gap');
    s.after(CLASS_CHANGE_OFF_NS, () => this.#coldReset());
  }

  #raiseReset(): void {
    const s = this.#s;
    s.go('atr');
    this.#receiver.reset();
    this.#afterQuiet = null;
    s.contacts.setReset(1);
    // §6.2.2: the first character within 40 000 cycles of the RST edge; §8.1: then 9600 etu between characters.
    s.uart!.setDeadlines(cyclesToEtu(s.profile.atrWindowCycles, Fd, Dd), INITIAL_WAITING_ETU);
  }

  #openAtrUart(): void {
    const s = this.#s;
    s.closeUart();
    s.resetLinkAttributes();
    s.openUart({ clockHz: s.atrClockHz, F: Fd, D: Dd, convention: 'detect', N: 0, protocol: 0, repetitions: 0 });
  }

  /** State 'atr': characters of the ATR. */
  atrReadable(uart: CardUart): void {
    const s = this.#s;
    const receiver = this.#receiver;
    const started = receiver.length > 0;
    const reception = receiver.read(uart);
    const total = s.profile.atrTotalEtu;
    if (!started && total > 0 && receiver.length > 0) {
      // Counted from TS's reception, a little after its leading edge: never earlier than the bound.
      s.after(etuToNs(total, Fd, Dd, s.atrClockHz), () => this.atrFailed('ICC_MUTE', `ATR not complete within ${total} etu`, false));
    }
    if (reception === null) return;
    if (reception.kind === 'failed') return this.atrFailed(reception.error, reception.why, true);
    this.#completeNs = s.scheduler.now();
    s.parts.negotiation.atrComplete(uart, reception.atr);
  }

  /** State 'atr': a character error, or no character in time. */
  atrError(error: CardCharError): void {
    this.atrFailed(
      error === 'timeout' ? 'ICC_MUTE' : 'XFR_PARITY_ERROR', `${error} after ${this.#receiver.length} characters`,
      error !== 'timeout' || this.#s.profile.muteRetries,
    );
  }

  /**
   * Stray characters after the ATR would collide with the PPS or the first command: `next` runs once
   * no character has started for ATR_QUIET_ETU. (A reset or deactivation silences the card anyway.)
   */
  waitQuiet(uart: CardUart, next: AfterQuiet): void {
    this.#s.go('atr-quiet');
    this.#afterQuiet = next;
    this.#strays = 0;
    uart.setDeadlines(ATR_QUIET_ETU, ATR_QUIET_ETU);
  }

  /** State 'atr-quiet': a character after the complete ATR, discarded and traced; more than an ATR's worth is a card that never stops. */
  strayReadable(uart: CardUart): void {
    const trace = this.#s.trace;
    let byte = uart.read();
    while (byte !== undefined) {
      this.#strays++;
      if (trace.mask & TraceCategory.ATR) trace.log(TraceCategory.ATR, `stray character ${this.#strays} after the ATR, discarded: 0x${byte.toString(16)}`);
      if (this.#strays > ATR_MAX) return this.atrFailed('ICC_MUTE', `more than ${ATR_MAX} characters after the ATR`, true);
      byte = uart.read();
    }
  }

  /** State 'atr-quiet': the deadline is the quiet; a stray's own character error is no matter. */
  quietError(error: CardCharError): void {
    if (error !== 'timeout') return;
    const next = this.#afterQuiet!;
    this.#afterQuiet = null;
    this.#s.uart!.setDeadlines(0, 0);
    this.#s.parts.negotiation.proceed(next);
  }

  /**
   * No usable ATR: §6.2.2 a warm reset first, then (§6.2.4) the next class, then the error. Without
   * `retry` (a mute card under a profile that does not retry) the card is deactivated at once.
   */
  atrFailed(error: SlotError, why: string, retry: boolean): void {
    const s = this.#s;
    s.cancelTimer();
    this.#afterQuiet = null;
    s.uart?.setDeadlines(0, 0);
    s.log(TraceCategory.ATR | TraceCategory.ERROR, `no usable ATR (${error}): ${why}`);
    if (retry) {
      if (this.#attempt === 'cold') return this.warmReset();
      this.#classIndex++;
      if (this.#classIndex < this.#classes.length) return this.powerGap();
    }
    s.deactivateToUnpowered();
    s.finish(error);
  }
}
