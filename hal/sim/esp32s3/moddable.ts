/**
 * The Moddable SDK runtime pieces that the ESP32-S3 firmware uses besides native code, on the
 * virtual board: the `timer` module (one-shot and repeating millisecond timers run on the XS task),
 * `trace()`, the pin registry of modules/io/common/builtinCommon.c (shared by the IO classes and
 * card-uart.c), and the ECMA-419 Digital and PWM classes as Moddable implements them on ESP32
 * (modules/io/digital/esp32/digitalbank.c, modules/io/pwm/esp32/_pwm.c) over the GPIO and LEDC
 * models. These are written here in TypeScript, not compiled from the SDK's C (which is not part of
 * this repository); the behaviour kept is listed with each class.
 */
import type { VirtualScheduler } from '../scheduler.js';
import type { GpioMatrix, OutputSignal, PadDrive } from './gpio.js';
import { GpioMatrix as Gpio, HIGH, LOW } from './gpio.js';
import type { SimTask, XsMessageQueue } from './tasks.js';

/** The pins in use (builtinArePinsFree / builtinUsePins / builtinFreePins, two banks of 32). */
export class PinRegistry {
  readonly #banks = [0, 0];

  free(bank: number, mask: number): boolean {
    return bank >= 0 && bank < 2 && (this.#banks[bank] & mask) === 0;
  }

  use(bank: number, mask: number): boolean {
    if (!this.free(bank, mask)) return false;
    this.#banks[bank] |= mask;
    return true;
  }

  release(bank: number, mask: number): void {
    if (bank >= 0 && bank < 2) this.#banks[bank] &= ~mask;
  }

  usePin(pin: number): void {
    if (!this.use(pin >> 5, 1 << (pin & 0x1f))) throw new Error('in use');
  }

  freePin(pin: number): void {
    this.release(pin >> 5, 1 << (pin & 0x1f));
  }
}

/** Moddable's Timer class (modules/base/timer): callbacks on the XS task, in milliseconds. */
export interface ModdableTimer {
  readonly id: number;
}

export function timerModule(scheduler: VirtualScheduler, task: SimTask) {
  let nextId = 1;
  const pending = new Map<number, { event: number; repeat: number; callback: (t: ModdableTimer) => void }>();
  const arm = (timer: ModdableTimer, delayMs: number): void => {
    const entry = pending.get(timer.id);
    if (entry === undefined) return;
    entry.event = scheduler.at(scheduler.now() + Math.max(0, delayMs) * 1e6, () => task.post(() => {
      const e = pending.get(timer.id);
      if (e === undefined) return;
      if (e.repeat > 0) arm(timer, e.repeat);
      else pending.delete(timer.id);
      e.callback(timer);
    }));
  };
  return class Timer {
    static set(callback: (t: ModdableTimer) => void, interval = 0, repeat = 0): ModdableTimer {
      const timer = Object.freeze({ id: nextId++ });
      pending.set(timer.id, { event: 0, repeat, callback });
      arm(timer, interval);
      return timer;
    }
    static repeat(callback: (t: ModdableTimer) => void, interval: number): ModdableTimer {
      return Timer.set(callback, interval, interval);
    }
    static schedule(timer: ModdableTimer, interval = 0, repeat = 0): void {
      const entry = pending.get(timer.id);
      if (entry === undefined) return;
      scheduler.cancel(entry.event);
      entry.repeat = repeat;
      arm(timer, interval);
    }
    static clear(timer: ModdableTimer | undefined | null): void {
      if (!timer) return;
      const entry = pending.get(timer.id);
      if (entry === undefined) return;
      scheduler.cancel(entry.event);
      pending.delete(timer.id);
    }
  };
}

interface DigitalOptions {
  pin: number;
  mode: number;
  edge?: number;
  onReadable?: (this: unknown) => void;
  initialValue?: number;
}

/**
 * ECMA-419 Digital on ESP32 (digitalbank.c): modes Input 0, InputPullUp 1, InputPullDown 2,
 * InputPullUpDown 3, Output 8, OutputOpenDrain 9; edges Rising 1, Falling 2 (an input with
 * onReadable needs one); an output starts at initialValue (0) before it is enabled; read() is the
 * pad's input (0 for an output, whose input is off); an edge reaches onReadable through the GPIO
 * interrupt and a message to the XS task, once per burst of edges.
 */
export function digitalClass(gpio: GpioMatrix, pins: PinRegistry, xs: XsMessageQueue, interruptLatencyNs: () => number, scheduler: VirtualScheduler) {
  return class Digital {
    static readonly Input = 0;
    static readonly InputPullUp = 1;
    static readonly InputPullDown = 2;
    static readonly InputPullUpDown = 3;
    static readonly Output = 8;
    static readonly OutputOpenDrain = 9;
    static readonly Rising = 1;
    static readonly Falling = 2;
    readonly #pin: number;
    #closed = false;
    #unlisten: (() => void) | null = null;
    #triggered = false;

    constructor(options: DigitalOptions) {
      const { pin, mode } = options;
      if (!Gpio.valid(pin)) throw new Error('invalid pin');
      const input = mode >= 0 && mode <= 3;
      if (!input && mode !== 8 && mode !== 9) throw new RangeError('invalid mode');
      const edge = options.edge ?? 0;
      if (input && options.onReadable && (edge & 3) === 0) throw new RangeError('invalid edges');
      pins.usePin(pin);
      this.#pin = pin;
      if (input) {
        gpio.setDirection(pin, 1);
        gpio.setPull(pin, mode === 1 ? 0 : mode === 2 ? 1 : mode === 3 ? 2 : 3);
        const onReadable = options.onReadable;
        if (onReadable) {
          this.#unlisten = gpio.onEdge(pin, (level) => {
            if (!((level === 1 && edge & 1) || (level === 0 && edge & 2)) || this.#triggered) return;
            this.#triggered = true;
            scheduler.at(scheduler.now() + interruptLatencyNs(), () => xs.post(() => {
              this.#triggered = false;
              if (!this.#closed) onReadable.call(this);
            }, true));
          });
        }
      } else {
        gpio.setLevel(pin, options.initialValue ? 1 : 0);
        gpio.setDirection(pin, mode === 9 ? 6 : 2);
      }
    }

    read(): number {
      if (this.#closed) throw new Error('closed');
      return gpio.getLevel(this.#pin);
    }

    write(value: number): void {
      if (this.#closed) throw new Error('closed');
      gpio.setLevel(this.#pin, Number(value) ? 1 : 0);
    }

    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      this.#unlisten?.();
      gpio.reset(this.#pin);
      pins.freePin(this.#pin);
    }

    get format(): 'number' {
      return 'number';
    }
  };
}

/** LEDC low-speed channel output signals (soc/gpio_sig_map.h LEDC_LS_SIG_OUT0_IDX … 7). */
const LEDC_SIGNAL = 73;
const LEDC_CHANNELS = 8;
const APB_HZ = 80_000_000;
/** LEDC_TIMER_BIT_MAX on the ESP32-S3 (14-bit duty resolution at most). */
const LEDC_BIT_MAX = 15;

/** One LEDC channel driving a pad through the matrix. */
class LedcChannel implements OutputSignal {
  hz = 0;
  /** duty in 1/2^resolution steps; 0 and 2^resolution are static levels. */
  duty = 0;
  resolution = 0;
  running = false;
  drive(): PadDrive {
    if (!this.running || this.duty === 0) return LOW;
    if (this.duty >= 1 << this.resolution) return HIGH;
    return { kind: 'clock', hz: this.hz };
  }
}

/**
 * The frequency LEDC really produces for `hz` at `resolution` bits from the 80 MHz APB clock
 * (ESP-IDF ledc.c ledc_calculate_divisor: a divider with 8 fractional bits, rounded), or 0 when the
 * divider is out of range (ledc_timer_config fails).
 */
export function ledcFrequency(hz: number, resolution: number): number {
  const precision = hz * 2 ** resolution;
  const divider = Math.floor((APB_HZ * 256 + precision / 2) / precision);
  if (divider < 256 || divider > (1 << 18) - 1) return 0;
  return (APB_HZ * 256) / (divider * 2 ** resolution);
}

interface PwmOptions {
  pin: number;
  hz?: number;
  resolution?: number;
  port?: number;
}

/**
 * ECMA-419 PWM on ESP32 (_pwm.c): hz (default 1024) > 0, 0 < resolution (default 10) < 15, an LEDC
 * channel and timer per instance; write(value) takes 0 … 2^resolution − 1, the top value meaning
 * 100 %; close() stops the channel at level 0 and leaves the pin a plain output (gpio_set_direction
 * OUTPUT, as _pwm.c does to detach LEDC). Not modelled: _pwm.c's minimum-frequency table, which it
 * indexes with resolution − 8 (before the table for the 2-bit resolution of the card clock).
 */
export function pwmClass(gpio: GpioMatrix, pins: PinRegistry) {
  const used = new Set<number>();
  return class PWM {
    readonly #pin: number;
    readonly #channel: LedcChannel;
    readonly #index: number;
    readonly #hz: number;
    readonly #resolution: number;
    #closed = false;

    constructor(options: PwmOptions) {
      const { pin } = options;
      const hz = options.hz ?? 1024;
      const resolution = options.resolution ?? 10;
      if (!Gpio.valid(pin)) throw new Error('invalid pin');
      if (!(hz > 0)) throw new RangeError('invalid hz');
      if (!(resolution > 0 && resolution < LEDC_BIT_MAX)) throw new RangeError('invalid resolution');
      const real = ledcFrequency(hz, resolution);
      if (real === 0) throw new Error('ledc_timer_config failed');
      let index = options.port ?? 0;
      while (index < LEDC_CHANNELS && used.has(index)) index++;
      if (index >= LEDC_CHANNELS) throw new RangeError('no LEDC channel free');
      pins.usePin(pin);
      used.add(index);
      this.#pin = pin;
      this.#index = index;
      this.#hz = hz;
      this.#resolution = resolution;
      const channel = new LedcChannel();
      channel.hz = real;
      channel.resolution = resolution;
      channel.running = true;
      this.#channel = channel;
      gpio.defineOutput(LEDC_SIGNAL + index, channel);
      gpio.connectOut(pin, LEDC_SIGNAL + index, false, false);
    }

    get hz(): number {
      return this.#hz;
    }

    get resolution(): number {
      return this.#resolution;
    }

    write(value: number): void {
      if (this.#closed) throw new Error('closed');
      const max = (1 << this.#resolution) - 1;
      let duty = Number(value) | 0;
      if (duty < 0 || duty > max) throw new RangeError('invalid value');
      if (duty === max) duty += 1;
      this.#channel.duty = duty;
      gpio.outputChanged(LEDC_SIGNAL + this.#index);
    }

    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      this.#channel.running = false;
      gpio.outputChanged(LEDC_SIGNAL + this.#index);
      gpio.setDirection(this.#pin, 2);
      used.delete(this.#index);
      pins.freePin(this.#pin);
    }

    get format(): 'number' {
      return 'number';
    }
  };
}
