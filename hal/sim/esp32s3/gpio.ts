/**
 * The ESP32-S3's IO pads and GPIO matrix (ESP32-S3 TRM, IO MUX and GPIO Matrix): each pad's output
 * comes from one peripheral output signal (GPIO_FUNCn_OUT_SEL_CFG: a UART's TXD, an LEDC channel)
 * or from the GPIO output register (SIG_GPIO_OUT_IDX, 256), optionally inverted; its output enable
 * from the peripheral or from GPIO_ENABLE; the pad driver is push-pull or open drain
 * (GPIO_PINn_PAD_DRIVER); its input (FUN_IE) reads the net. Each peripheral input signal
 * (GPIO_FUNCy_IN_SEL_CFG) reads one pad, or the constant 1 (0x38) or 0 (0x3C), optionally inverted.
 * A pad with input disabled reads 0.
 *
 * What ESP-IDF v6 does on top, modelled as it does it (components/esp_driver_gpio/src/gpio.c):
 * gpio_set_direction with an output enables the output and routes SIG_GPIO_OUT_IDX to the pad
 * (gpio_output_enable → gpio_hal_matrix_out_default), so a peripheral routed before is disconnected;
 * gpio_reset_pin disables input and output and enables the pull-up. The ROM's
 * esp_rom_gpio_connect_out_signal routes the signal with the peripheral's output enable and sets
 * GPIO_ENABLE; esp_rom_gpio_connect_in_signal only routes.
 *
 * The world outside a pad is a PadNet: the card's I/O line (through the interface chip), a control
 * line of the interface chip, the socket switch, the card clock.
 */

export const SIG_GPIO_OUT = 256;
export const GPIO_CONST_ONE = 0x38;
export const GPIO_CONST_ZERO = 0x3c;
export const PAD_COUNT = 49;

/** What drives a pad's output now. */
export type PadDrive =
  /** Output enabled at a level. */
  | { readonly kind: 'static'; readonly level: 0 | 1 }
  /** Output disabled: high impedance. */
  | { readonly kind: 'off' }
  /** A UART character from `start`: bit k (0 = start bit) at level `frame >> k & 1` for k < bits, then high. */
  | { readonly kind: 'frame'; readonly start: number; readonly bitNs: number; readonly frame: number; readonly bits: number }
  /** A running clock (LEDC). */
  | { readonly kind: 'clock'; readonly hz: number };

const OFF: PadDrive = Object.freeze({ kind: 'off' });
export const HIGH: PadDrive = Object.freeze({ kind: 'static', level: 1 });
export const LOW: PadDrive = Object.freeze({ kind: 'static', level: 0 });

/** The outside world wired to a pad. */
export interface PadNet {
  /** The pad's drive changed. */
  output(drive: PadDrive, openDrain: boolean): void;
  /** The level the pad's input sees now. */
  level(): 0 | 1;
  /** The level at a recent past time. */
  levelAt(timeNs: number): 0 | 1;
  /** A receiver's ten samples of a frame (bit k at start + (k + 0.5)·bit), as SimLine.sampleFrame. */
  sampleFrame?(startNs: number, bitNs: number): number;
  /** Whether a falling edge now must be reported at its exact time (a receiver waits for a start bit). */
  watch?(): void;
}

/** A peripheral output signal of the matrix. */
export interface OutputSignal {
  drive(): PadDrive;
}

/** A peripheral input signal's reader (e.g. a UART receiver). */
export interface InputListener {
  /** The signal's level changed (falling edges at their exact time while `awaitingEdge`). */
  inputChanged(level: 0 | 1): void;
  readonly awaitingEdge: boolean;
}

class Pad {
  readonly n: number;
  outSel = SIG_GPIO_OUT;
  outInv = false;
  /** GPIO_FUNCn_OEN_SEL: output enable from GPIO_ENABLE (true) or from the peripheral (false). */
  oenSel = true;
  enable = false;
  out: 0 | 1 = 0;
  openDrain = false;
  inputEnable = false;
  pullUp = false;
  pullDown = false;
  net: PadNet | null = null;

  constructor(n: number) {
    this.n = n;
  }
}

interface Route {
  source: number;
  inv: boolean;
  /** Recent routing changes (time, source, inv), for sampling across a change. */
  readonly history: { time: number; source: number; inv: boolean }[];
}

export class GpioMatrix {
  readonly #pads: Pad[] = Array.from({ length: PAD_COUNT }, (_, n) => new Pad(n));
  readonly #signals = new Map<number, OutputSignal>();
  readonly #routes = new Map<number, Route>();
  readonly #listeners = new Map<number, InputListener>();
  readonly #edgeListeners = new Map<number, Set<(level: 0 | 1) => void>>();
  readonly #now: () => number;
  readonly #lastLevel: (0 | 1)[] = [];

  constructor(now: () => number) {
    this.#now = now;
    for (let n = 0; n < PAD_COUNT; n++) this.#lastLevel[n] = this.inputLevel(n);
  }

  #pad(n: number): Pad {
    const pad = this.#pads[n];
    if (pad === undefined) throw new RangeError(`GPIO ${n} does not exist on the ESP32-S3`);
    return pad;
  }

  static valid(n: number): boolean {
    return Number.isInteger(n) && n >= 0 && n < PAD_COUNT && !(n >= 22 && n <= 25);
  }

  /** Wire a pad to the outside world. */
  attach(n: number, net: PadNet): void {
    const pad = this.#pad(n);
    pad.net = net;
    this.#update(pad);
    this.netChanged(n);
  }

  /** A peripheral output signal joins the matrix (UART TXD, LEDC channel). */
  defineOutput(signal: number, source: OutputSignal): void {
    this.#signals.set(signal, source);
  }

  /** A peripheral input signal's reader (UART RXD). */
  listen(signal: number, listener: InputListener): void {
    this.#listeners.set(signal, listener);
    if (!this.#routes.has(signal)) this.#routes.set(signal, { source: GPIO_CONST_ZERO, inv: false, history: [] });
  }

  /** Edge notifications of a pad's input (the GPIO interrupt, as the ECMA-419 Digital class uses it). */
  onEdge(n: number, callback: (level: 0 | 1) => void): () => void {
    let set = this.#edgeListeners.get(n);
    if (set === undefined) this.#edgeListeners.set(n, (set = new Set()));
    set.add(callback);
    return () => set.delete(callback);
  }

  /** A peripheral's output signal changed its waveform: the pads it drives follow. */
  outputChanged(signal: number): void {
    for (const pad of this.#pads) if (pad.outSel === signal) this.#update(pad);
  }

  #drive(pad: Pad): PadDrive {
    let drive: PadDrive;
    let enabled: boolean;
    if (pad.outSel === SIG_GPIO_OUT) {
      drive = pad.out ? HIGH : LOW;
      enabled = pad.enable;
    } else {
      drive = this.#signals.get(pad.outSel)?.drive() ?? LOW;
      enabled = pad.oenSel ? pad.enable : true;
    }
    if (!enabled) return OFF;
    if (pad.outInv && drive.kind === 'static') return drive.level ? LOW : HIGH;
    return drive;
  }

  #update(pad: Pad): void {
    pad.net?.output(this.#drive(pad), pad.openDrain);
  }

  /** The pad's own drive (for nets that are read back, and tests). */
  driveOf(n: number): PadDrive {
    return this.#drive(this.#pad(n));
  }

  /** The level a pad's input reads now. */
  inputLevel(n: number): 0 | 1 {
    const pad = this.#pad(n);
    if (!pad.inputEnable) return 0;
    if (pad.net) return pad.net.level();
    return pad.pullUp ? 1 : 0;
  }

  /**
   * A net's level may have changed: notify the readers routed from the pad. A net that applies some
   * changes lazily (the card line: SimLine.plan) reports each edge it delivers with `edge` set, as the
   * level it last reported may be stale.
   */
  netChanged(n: number, edge = false): void {
    const level = this.inputLevel(n);
    if (level === this.#lastLevel[n] && !edge) return;
    this.#lastLevel[n] = level;
    for (const [signal, route] of this.#routes) {
      if (route.source !== n) continue;
      this.#listeners.get(signal)?.inputChanged((level ^ (route.inv ? 1 : 0)) as 0 | 1);
    }
    const edges = this.#edgeListeners.get(n);
    if (edges) for (const callback of [...edges]) callback(level);
  }

  /** Whether a reader routed from pad `n` waits for a start bit (the pad's net then reports falling edges on time). */
  awaitingEdge(n: number): boolean {
    for (const [signal, route] of this.#routes) {
      if (route.source === n && this.#listeners.get(signal)?.awaitingEdge) return true;
    }
    return false;
  }

  /** A reader's `awaitingEdge` changed. */
  watch(signal: number): void {
    const route = this.#routes.get(signal);
    if (route && route.source < PAD_COUNT) this.#pads[route.source].net?.watch?.();
  }

  /** The level of a peripheral input signal now. */
  signalLevel(signal: number): 0 | 1 {
    const route = this.#routes.get(signal);
    if (route === undefined) return 0;
    return (this.#sourceLevel(route.source) ^ (route.inv ? 1 : 0)) as 0 | 1;
  }

  #sourceLevel(source: number): 0 | 1 {
    if (source === GPIO_CONST_ONE) return 1;
    if (source === GPIO_CONST_ZERO || source >= PAD_COUNT) return 0;
    return this.inputLevel(source);
  }

  /**
   * A receiver's ten samples of a frame on `signal` (bit k at start + (k + 0.5)·bit): from the
   * pad's net in one pass when the routing did not change during the frame, else sample by sample.
   */
  sampleFrame(signal: number, startNs: number, bitNs: number): number {
    const route = this.#routes.get(signal);
    if (route === undefined) return 0;
    const last = route.history[route.history.length - 1];
    const stable = last === undefined || last.time <= startNs;
    const source = route.source;
    if (stable && source < PAD_COUNT) {
      const pad = this.#pads[source];
      if (pad.inputEnable && pad.net?.sampleFrame) {
        const frame = pad.net.sampleFrame(startNs, bitNs);
        return route.inv ? frame ^ 0x3ff : frame;
      }
    }
    let frame = 0;
    for (let k = 0; k < 10; k++) frame |= this.#levelAt(route, startNs + (k + 0.5) * bitNs) << k;
    return frame;
  }

  #levelAt(route: Route, time: number): 0 | 1 {
    let source = route.source;
    let inv = route.inv;
    for (let i = route.history.length - 1; i >= 0; i--) {
      const change = route.history[i];
      if (change.time <= time) break;
      // Before this change the previous routing applied.
      const previous = i > 0 ? route.history[i - 1] : undefined;
      source = previous ? previous.source : GPIO_CONST_ZERO;
      inv = previous ? previous.inv : false;
    }
    let level: 0 | 1;
    if (source === GPIO_CONST_ONE) level = 1;
    else if (source === GPIO_CONST_ZERO || source >= PAD_COUNT) level = 0;
    else {
      const pad = this.#pads[source];
      level = !pad.inputEnable ? 0 : pad.net ? pad.net.levelAt(time) : pad.pullUp ? 1 : 0;
    }
    return (level ^ (inv ? 1 : 0)) as 0 | 1;
  }

  // ESP-IDF / ROM operations (the drivers reach them through the wasm imports).

  /** esp_rom_gpio_connect_out_signal. */
  connectOut(n: number, signal: number, inv: boolean, oenInv: boolean): void {
    const pad = this.#pad(n);
    void oenInv;
    pad.outSel = signal;
    pad.outInv = inv;
    pad.oenSel = false;
    pad.enable = true;
    this.#update(pad);
  }

  /** esp_rom_gpio_connect_in_signal. */
  connectIn(source: number, signal: number, inv: boolean): void {
    const before = this.signalLevel(signal);
    let route = this.#routes.get(signal);
    if (route === undefined) this.#routes.set(signal, (route = { source, inv, history: [] }));
    route.source = source;
    route.inv = inv;
    route.history.push({ time: this.#now(), source, inv });
    if (route.history.length > 8) route.history.splice(0, route.history.length - 8);
    const after = this.signalLevel(signal);
    if (after !== before) this.#listeners.get(signal)?.inputChanged(after);
    this.watch(signal);
  }

  /** gpio_set_direction (ESP-IDF v6 gpio.c). */
  setDirection(n: number, mode: number): number {
    if (!GpioMatrix.valid(n)) return -1;
    const pad = this.#pads[n];
    pad.inputEnable = (mode & 1) !== 0;
    if (mode & 2) {
      // gpio_output_enable: SIG_GPIO_OUT_IDX routed, GPIO_ENABLE set, GPIO function.
      pad.outSel = SIG_GPIO_OUT;
      pad.outInv = false;
      pad.enable = true;
    } else {
      pad.enable = false;
      pad.oenSel = true;
    }
    pad.openDrain = (mode & 4) !== 0;
    this.#update(pad);
    this.netChanged(n);
    return 0;
  }

  /** gpio_input_enable (gpio_hal_matrix_in enables the pad's input before routing it). */
  enableInput(n: number): void {
    this.#pad(n).inputEnable = true;
    this.netChanged(n);
  }

  inputEnabled(n: number): boolean {
    return this.#pad(n).inputEnable;
  }

  /** gpio_output_disable: output enable from GPIO_ENABLE, which is cleared. */
  outputDisable(n: number): void {
    const pad = this.#pad(n);
    pad.enable = false;
    pad.oenSel = true;
    this.#update(pad);
  }

  /** gpio_set_pull_mode: 0 up, 1 down, 2 both, 3 floating. */
  setPull(n: number, mode: number): number {
    if (!GpioMatrix.valid(n) || mode < 0 || mode > 3) return -1;
    const pad = this.#pads[n];
    pad.pullUp = mode === 0 || mode === 2;
    pad.pullDown = mode === 1 || mode === 2;
    this.netChanged(n);
    return 0;
  }

  /** gpio_reset_pin: input and output off, pull-up on, GPIO function. */
  reset(n: number): number {
    if (!GpioMatrix.valid(n)) return -1;
    const pad = this.#pads[n];
    pad.pullUp = true;
    pad.pullDown = false;
    pad.inputEnable = false;
    pad.enable = false;
    pad.oenSel = true;
    pad.outSel = SIG_GPIO_OUT;
    pad.outInv = false;
    pad.openDrain = false;
    this.#update(pad);
    this.netChanged(n);
    return 0;
  }

  /** gpio_ll_set_level: the GPIO output register bit. */
  setLevel(n: number, level: number): void {
    const pad = this.#pad(n);
    pad.out = level ? 1 : 0;
    if (pad.outSel === SIG_GPIO_OUT) this.#update(pad);
  }

  /** gpio_ll_get_level: GPIO_IN (0 while the pad's input is disabled). */
  getLevel(n: number): 0 | 1 {
    return this.inputLevel(n);
  }

  /** Pull-up state of a pad (for nets that float). */
  pulledUp(n: number): boolean {
    return this.#pad(n).pullUp;
  }
}
