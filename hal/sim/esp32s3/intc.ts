/**
 * The ESP32-S3's interrupt matrix and CPU interrupt entry, as far as the drivers see them (ESP32-S3
 * TRM, Interrupt Matrix; ESP-IDF esp_intr_alloc): a peripheral source is routed to one handler; a
 * level-type source that is asserted reaches its handler after the interrupt latency, and again
 * after each return while it stays asserted. The latency (from the peripheral raising its interrupt
 * to the first instruction of the handler) is the board's parameter: on hardware it depends on the
 * CPU's current work, flash cache misses and other interrupts; here it is a fixed number of virtual
 * nanoseconds. Handlers run in zero virtual time, one at a time.
 */
import type { VirtualScheduler } from '../scheduler.js';

export interface InterruptVector {
  readonly source: number;
  /** Runs the handler (C through the wasm table, or a model's own, e.g. ESP-IDF's GPTimer ISR). */
  readonly run: () => void;
}

interface Source {
  asserted: () => boolean;
  vector: InterruptVector | null;
  pending: boolean;
}

export class InterruptController {
  readonly #scheduler: VirtualScheduler;
  readonly #sources = new Map<number, Source>();
  readonly #handles = new Map<number, number>();
  #nextHandle = 1;
  /** ns from a source asserting to its handler running. */
  latencyNs: number;
  /** Called around every handler (the chip checks critical sections are balanced). */
  onHandlerReturn: (source: number) => void = () => {};

  constructor(scheduler: VirtualScheduler, latencyNs: number) {
    this.#scheduler = scheduler;
    this.latencyNs = latencyNs;
  }

  /** A peripheral's interrupt output: `asserted` is read when the CPU would take the interrupt. */
  connect(source: number, asserted: () => boolean): void {
    this.#sources.set(source, { asserted, vector: null, pending: false });
  }

  /** esp_intr_alloc: route `source` to `run`. Returns the handle (0: source unknown or taken). */
  allocate(source: number, run: () => void): number {
    const s = this.#sources.get(source);
    if (s === undefined || s.vector !== null) return 0;
    s.vector = { source, run };
    const handle = this.#nextHandle++;
    this.#handles.set(handle, source);
    this.update(source);
    return handle;
  }

  /** esp_intr_free. */
  release(handle: number): boolean {
    const source = this.#handles.get(handle);
    if (source === undefined) return false;
    this.#handles.delete(handle);
    const s = this.#sources.get(source);
    if (s) s.vector = null;
    return true;
  }

  /** The source's level may have risen: the CPU takes it `latencyNs` later if it is still up then. */
  update(source: number): void {
    const s = this.#sources.get(source);
    if (s === undefined || s.vector === null || s.pending || !s.asserted()) return;
    s.pending = true;
    this.#scheduler.at(this.#scheduler.now() + this.latencyNs, () => this.#dispatch(s));
  }

  #dispatch(s: Source): void {
    s.pending = false;
    const vector = s.vector;
    if (vector === null || !s.asserted()) return;
    vector.run();
    this.onHandlerReturn(vector.source);
    this.update(vector.source);
  }
}
