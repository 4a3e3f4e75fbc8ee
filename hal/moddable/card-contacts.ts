/**
 * CardContacts on an ESP32-S3 board: VCC enable and class select, RST, card detect and the chip's
 * fault output through ECMA-419 Digital; CLK through ECMA-419 PWM (LEDC) at 50 % duty.
 *
 * CLK: LEDC divides the 80 MHz APB clock; with a 2-bit resolution `write(2)` is 50 % duty and 4 MHz
 * (÷20) and 5 MHz (÷16) are exact. The card UART divides the same 80 MHz, so etu and CLK never drift.
 * A stopped clock (§6.3.2) is the pin taken back from LEDC and driven as a plain output.
 * Sequencing: with a TDA8035/NCN8025 the chip itself orders VCC, I/O, CLK and RST on activation and
 * deactivation (§6.2, §6.4) once CMDVCCN moves; the session still drives RST and CLK in the ISO order,
 * which also suits the discrete wiring.
 */
import type {
  CardContacts, CardContactsCapabilities, CardContactsConstructor, CardContactsOptions, VoltageClass,
} from '../interfaces/card-contacts.js';
import type { Scheduler, TimerHandle } from '../interfaces/scheduler.js';
import type { CardContactsBoard, DigitalConstructor, DigitalIO, DigitalRole, PwmIO } from './board.js';

const CLOCK_RESOLUTION_BITS = 2;
/** Half of 2^2: 50 % duty. */
const CLOCK_HALF_DUTY = 2;
const NS_PER_MS = 1_000_000;

function level(on: boolean, role: DigitalRole): 0 | 1 {
  return on === (role.active === 1) ? 1 : 0;
}

/**
 * An output at its level from the first instant: Moddable's Digital drives a new output low unless
 * given `initialValue`, which for an active-low role (TDA8035 CMDVCCN) is a command to activate.
 */
function output(role: DigitalRole, on: boolean): DigitalIO {
  return new role.io({ pin: role.pin, mode: role.io.Output, initialValue: level(on, role) });
}

function inputMode(io: DigitalConstructor, pull: 'up' | 'down' | 'none'): number {
  if (pull === 'up') return io.InputPullUp;
  if (pull === 'down') return io.InputPullDown;
  return io.Input;
}

export class Esp32CardContacts implements CardContacts {
  readonly capabilities: CardContactsCapabilities;

  readonly #board: CardContactsBoard;
  readonly #scheduler: Scheduler;
  readonly #options: CardContactsOptions;
  readonly #reset: DigitalIO;
  readonly #supply: DigitalIO;
  readonly #classPins: readonly DigitalIO[];
  readonly #detect: DigitalIO;
  readonly #fault: DigitalIO | null;
  readonly #led: DigitalIO | null;
  #clockPwm: PwmIO | null = null;
  #clockHz = 0;
  #clockStatic: DigitalIO | null = null;
  #present: boolean;
  #powered = false;
  #debounce: TimerHandle | null = null;
  #closed = false;

  constructor(options: CardContactsOptions, board: CardContactsBoard, scheduler: Scheduler) {
    this.#options = options;
    this.#board = board;
    this.#scheduler = scheduler;
    this.capabilities = Object.freeze({
      classes: Object.freeze([...board.classes]),
      clocksHz: Object.freeze([...board.clock.hz]),
      clockStop: board.clockStop,
    });

    // Everything off and low before the card can see anything (§6.1: contacts inactive).
    this.#supply = output(board.supply, false);
    this.#reset = output(board.reset, false);
    this.#clockStatic = this.#openStaticClock(0);
    const select = board.classSelect;
    this.#classPins = select
      ? Object.freeze(select.pins.map((pin) => {
        return new select.io({ pin, mode: select.io.Output, initialValue: 0 });
      }))
      : Object.freeze([]);
    this.#led = board.led ? output(board.led, false) : null;

    const detect = board.detect;
    this.#detect = new detect.io({
      pin: detect.pin,
      mode: inputMode(detect.io, detect.pull),
      edge: detect.io.Rising | detect.io.Falling,
      onReadable: () => this.#presenceEdge(),
    });
    this.#present = this.#detect.read() === detect.active;

    const fault = board.fault;
    this.#fault = fault
      ? new fault.io({
        pin: fault.pin,
        mode: fault.io.InputPullUp,
        edge: fault.active === 1 ? fault.io.Rising : fault.io.Falling,
        onReadable: () => this.#faultEdge(),
      })
      : null;
  }

  get present(): boolean {
    return this.#present;
  }

  setSupply(voltage: VoltageClass | null): void {
    if (this.#closed) return;
    if (voltage === null) {
      this.#supply.write(level(false, this.#board.supply));
      this.#powered = false;
      this.#indicate(false);
      return;
    }
    if (!this.capabilities.classes.includes(voltage)) throw new RangeError(`class ${voltage} not supported`);
    const select = this.#board.classSelect;
    const levels = select?.levels[voltage];
    if (select && !levels) throw new RangeError(`class ${voltage} has no select levels`);
    // The class is chosen while VCC is still off: the chip samples it when CMDVCCN falls.
    if (levels) for (let i = 0; i < this.#classPins.length; i++) this.#classPins[i].write(levels[i]);
    this.#supply.write(level(true, this.#board.supply));
    this.#powered = true;
    this.#indicate(true);
  }

  #indicate(on: boolean): void {
    const led = this.#board.led;
    if (this.#led && led) this.#led.write(level(on, led));
  }

  setClock(hz: number, stopLevel: 0 | 1 = 0): void {
    if (this.#closed) return;
    if (hz === 0) {
      if (this.#clockPwm) {
        this.#clockPwm.close();
        this.#clockPwm = null;
        this.#clockHz = 0;
      }
      if (this.#clockStatic) this.#clockStatic.write(stopLevel);
      else this.#clockStatic = this.#openStaticClock(stopLevel);
      return;
    }
    if (!this.capabilities.clocksHz.includes(hz)) throw new RangeError(`clock ${hz} Hz not supported`);
    if (this.#clockPwm && this.#clockHz === hz) return;
    // The pin belongs to one IO at a time: release it before LEDC takes it (or takes it again).
    this.#clockStatic?.close();
    this.#clockStatic = null;
    this.#clockPwm?.close();
    const options = { pin: this.#board.clock.pin, hz, resolution: CLOCK_RESOLUTION_BITS };
    this.#clockPwm = new this.#board.clock.io(options);
    this.#clockPwm.write(CLOCK_HALF_DUTY);
    this.#clockHz = hz;
  }

  setReset(value: 0 | 1): void {
    if (!this.#closed) this.#reset.write(value);
  }

  close(): void {
    if (this.#closed) return;
    this.setSupply(null);
    this.setReset(0);
    this.setClock(0, 0);
    this.#closed = true;
    if (this.#debounce !== null) this.#scheduler.cancel(this.#debounce);
    this.#debounce = null;
    this.#clockStatic?.close();
    this.#detect.close();
    this.#fault?.close();
    this.#led?.close();
    for (const io of this.#classPins) io.close();
    this.#reset.close();
    this.#supply.close();
  }

  #openStaticClock(stopLevel: 0 | 1): DigitalIO {
    const { stop, pin } = this.#board.clock;
    return new stop({ pin, mode: stop.Output, initialValue: stopLevel });
  }

  /** Every edge restarts the debounce wait; the level read when it ends is the new state. */
  #presenceEdge(): void {
    if (this.#closed) return;
    if (this.#debounce !== null) this.#scheduler.cancel(this.#debounce);
    const at = this.#scheduler.now() + this.#board.detect.debounceMs * NS_PER_MS;
    this.#debounce = this.#scheduler.at(at, () => this.#settle());
  }

  #settle(): void {
    this.#debounce = null;
    if (this.#closed) return;
    const present = this.#detect.read() === this.#board.detect.active;
    if (present === this.#present) return;
    this.#present = present;
    this.#options.onPresence?.(present);
  }

  #faultEdge(): void {
    if (this.#closed || !this.#powered) return;
    // TDA8035 OFFN also falls when the card leaves: that is a removal, reported by the debounce.
    if (this.#detect.read() !== this.#board.detect.active) return;
    // The chip has already deactivated the card; mirror it and tell the session.
    this.setSupply(null);
    this.#options.onFault?.('overcurrent');
  }
}

/** The board's CardContacts constructor, bound to its pins and to the scheduler that debounces. */
export function cardContactsFor(board: CardContactsBoard, scheduler: Scheduler): CardContactsConstructor {
  return class BoardCardContacts extends Esp32CardContacts {
    constructor(options: CardContactsOptions) {
      super(options, board, scheduler);
    }
  };
}
