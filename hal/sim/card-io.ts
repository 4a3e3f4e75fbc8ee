/**
 * The card's side of the simulated I/O contact (`CardIo`, hal/sim/card.ts): the card's own UART and
 * timers, counted in the card's etu (F, D and the CLK it is driven at) or in CLK cycles.
 */
import type { VoltageClass } from '../interfaces/card-contacts.js';
import type { Convention } from '../interfaces/card-uart.js';
import type { Scheduler } from '../interfaces/scheduler.js';
import type { CardIo, CardSendOptions, SimCard } from './card.js';
import type { SimLine } from './line.js';
import { LinePort } from './port.js';
import { etuTicks } from './uart.js';
import { TICKS_PER_NS, type VirtualScheduler } from './scheduler.js';

/**
 * How often a card repeats a character the reader rejected, and how many repetitions it asks for
 * (§7.3). 7, the top of what readers use (3–7), so the reader's own bound is always the one reached.
 */
export const CARD_REPETITIONS = 7;

export class SimCardIo implements CardIo {
  readonly scheduler: Scheduler;
  readonly #clock: VirtualScheduler;
  readonly #line: SimLine;
  readonly #voltage: () => VoltageClass | null;
  readonly #port: LinePort;
  #F = 372;
  #D = 1;
  #convention: Convention = 'direct';
  #timers = new Set<number>();
  /** VCC, CLK on and RST high: the card may drive I/O. */
  #active = false;

  constructor(line: SimLine, card: SimCard, voltage: () => VoltageClass | null) {
    this.scheduler = line.scheduler;
    this.#clock = line.scheduler;
    this.#line = line;
    this.#voltage = voltage;
    this.#port = new LinePort(line, 'card', {
      received: (byte, parityOk) => card.receive(byte, parityOk),
      // A card's UART drops noise and broken frames silently; nothing else of its line matters to it.
      framing: () => {},
      sendFailed: () => {},
      absorbable: card.absorbable === undefined ? undefined : (gap, first) => card.absorbable!(gap / TICKS_PER_NS, this.#clock.toNs(first)),
    }, this.#etu(), 'direct', CARD_REPETITIONS);
    this.#port.listening = false;
  }

  get clockHz(): number {
    return this.#line.clockHz;
  }
  get voltage(): VoltageClass | null {
    return this.#voltage();
  }
  get F(): number {
    return this.#F;
  }
  get D(): number {
    return this.#D;
  }
  get convention(): Convention {
    return this.#convention;
  }
  get receivedAtNs(): number {
    return this.#clock.toNs(this.#port.receivedAt);
  }
  /** The card's character protocol: 0 = T=0 error signal and repetition, 1 = none (BGT 22 etu). */
  get protocol(): 0 | 1 {
    return this.#port.protocol;
  }

  setRate(F: number, D: number): void {
    if (!(F > 0 && D > 0)) return;
    this.#F = F;
    this.#D = D;
    this.#port.etu = this.#etu();
  }

  setConvention(convention: Convention): void {
    this.#convention = convention;
    this.#port.convention = convention;
  }

  /** Extension: switch the card's character handling to T=0 (default after reset) or T=1. */
  setProtocol(protocol: 0 | 1): void {
    this.#port.protocol = protocol;
    this.#port.turnaroundEtu = protocol === 1 ? 22 : 16;
  }

  send(byte: number, options?: CardSendOptions): void {
    const etu = this.#etu();
    // A card without clock or power, or held in reset, cannot drive I/O.
    if (!this.#active || !Number.isFinite(etu)) return;
    const bad = options?.badParity ? (options.badParityTimes ?? Infinity) : 0;
    this.#port.send(byte, etu, this.#convention, options?.delayEtu ?? 0, bad);
  }

  sendBytes(bytes: ArrayLike<number>): void {
    const etu = this.#etu();
    if (!this.#active || !Number.isFinite(etu)) return;
    this.#port.sendBytes(bytes, 0, bytes.length, etu, this.#convention);
  }

  after(etu: number, callback: () => void): number {
    return this.#timer(Math.ceil(etu * this.#etu()), callback);
  }

  afterCycles(cycles: number, callback: () => void): number {
    return this.#timer(Math.ceil((cycles * 1e9 * TICKS_PER_NS) / this.#line.clockHz), callback);
  }

  cancel(handle: number): void {
    if (!this.#timers.delete(handle)) return;
    this.scheduler.cancel(handle);
  }

  silence(): void {
    this.#port.dropQueue();
    this.#cancelTimers();
  }

  /** Line side: the card stops at once (RST low, power off, removal): character cut, I/O released. */
  halt(): void {
    this.#port.reset();
    this.#cancelTimers();
  }

  /** Line side: RST, VCC or CLK changed. After a reset the card starts at Fd, Dd, direct, T=0. */
  update(active: boolean, resetDefaults: boolean): void {
    if (resetDefaults) {
      this.#F = 372;
      this.#D = 1;
      this.setConvention('direct');
      this.setProtocol(0);
    }
    this.#port.etu = this.#etu();
    this.#port.listening = active;
    this.#active = active;
  }

  /** Line side: the card left the socket. */
  close(): void {
    this.#cancelTimers();
    this.#port.close();
  }

  /** The card's etu in ticks (Infinity while CLK is stopped). */
  #etu(): number {
    const hz = this.#line.clockHz;
    return hz > 0 ? etuTicks(this.#F, this.#D, hz) : Infinity;
  }

  /** A card timer `delay` ticks from now; a fraction of a tick (etu × a fraction, cycles) is rounded up. */
  #timer(delay: number, callback: () => void): number {
    // A stopped clock never lets a card timer expire.
    if (!Number.isFinite(delay)) return -1;
    const handle = this.#clock.atTicks(this.#clock.ticks + Math.max(0, delay), () => {
      this.#timers.delete(handle);
      callback();
    });
    this.#timers.add(handle);
    return handle;
  }

  #cancelTimers(): void {
    for (const t of this.#timers) this.scheduler.cancel(t);
    this.#timers.clear();
  }
}
