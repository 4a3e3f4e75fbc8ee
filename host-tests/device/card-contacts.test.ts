/**
 * hal/moddable/card-contacts.ts driven through ECMA-419 test doubles (Digital, PWM) that record every
 * pin operation, with the board data of boards/esp32s3-devkitc and a virtual scheduler.
 */
import test from 'ava';
import type { ContactFault } from '../../hal/interfaces/card-contacts.js';
import type { Scheduler, TimerHandle } from '../../hal/interfaces/scheduler.js';
import type { CardContactsBoard, DigitalIO, DigitalOptions, PwmIO, PwmOptions } from '../../hal/moddable/board.js';
import { cardContactsFor } from '../../hal/moddable/card-contacts.js';

type Event = string;

class Bench {
  readonly events: Event[] = [];
  readonly levels = new Map<number, number>();
  readonly inputs = new Map<number, { level: number; edge: (() => void) | undefined }>();
  readonly owners = new Map<number, string>();
  now = 0;
  readonly pending: { handle: TimerHandle; at: number; callback: () => void }[] = [];
  #next = 1;

  readonly scheduler: Scheduler = {
    now: () => this.now,
    at: (at, callback) => {
      const handle = this.#next++;
      this.pending.push({ handle, at, callback });
      return handle;
    },
    cancel: (handle) => {
      const i = this.pending.findIndex((p) => p.handle === handle);
      if (i >= 0) this.pending.splice(i, 1);
    },
  };

  advance(ns: number): void {
    this.now += ns;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at);
      const first = this.pending[0];
      if (!first || first.at > this.now) return;
      this.pending.shift();
      first.callback();
    }
  }

  take(pin: number, owner: string): void {
    if (this.owners.has(pin)) throw new Error(`pin ${pin} in use by ${this.owners.get(pin)}`);
    this.owners.set(pin, owner);
  }

  /** An external level change on an input pin (socket switch, OFFN). */
  drive(pin: number, level: number): void {
    const input = this.inputs.get(pin)!;
    input.level = level;
    input.edge?.();
  }

  readonly Digital = (() => {
    const bench = this;
    return class FakeDigital implements DigitalIO {
      static readonly Input = 0;
      static readonly InputPullUp = 1;
      static readonly InputPullDown = 2;
      static readonly Output = 8;
      static readonly Rising = 1;
      static readonly Falling = 2;
      readonly #pin: number;
      constructor(options: DigitalOptions) {
        this.#pin = options.pin;
        bench.take(options.pin, 'digital');
        if (options.mode !== FakeDigital.Output) {
          bench.inputs.set(options.pin, { level: bench.inputs.get(options.pin)?.level ?? 1, edge: options.onReadable?.bind(this) });
        } else {
          // Moddable's Digital drives a new output at initialValue from the start, low without it.
          const level = options.initialValue ?? 0;
          bench.levels.set(options.pin, level);
          bench.events.push(`${options.pin}=${level}`);
        }
      }
      read(): number {
        return bench.inputs.get(this.#pin)?.level ?? bench.levels.get(this.#pin) ?? 0;
      }
      write(value: 0 | 1): void {
        bench.levels.set(this.#pin, value);
        bench.events.push(`${this.#pin}=${value}`);
      }
      close(): void {
        bench.owners.delete(this.#pin);
      }
    };
  })();

  readonly PWM = (() => {
    const bench = this;
    return class FakePwm implements PwmIO {
      readonly #pin: number;
      constructor(options: PwmOptions) {
        this.#pin = options.pin;
        bench.take(options.pin, 'pwm');
        bench.events.push(`${options.pin}:pwm ${options.hz} Hz ${options.resolution} bits`);
      }
      write(value: number): void {
        bench.events.push(`${this.#pin}:duty ${value}`);
      }
      close(): void {
        bench.owners.delete(this.#pin);
        bench.events.push(`${this.#pin}:pwm off`);
      }
    };
  })();

  board(): CardContactsBoard {
    const { Digital, PWM } = this;
    return {
      clock: { io: PWM, stop: Digital, pin: 5, hz: [4_000_000, 5_000_000] },
      clockStop: true,
      reset: { io: Digital, pin: 6, active: 1 },
      supply: { io: Digital, pin: 7, active: 0 },
      classes: ['C', 'B', 'A'],
      classSelect: { io: Digital, pins: [15, 16], levels: { A: [1, 1], B: [0, 1], C: [0, 0] } },
      detect: { io: Digital, pin: 17, active: 0, pull: 'up', debounceMs: 20 },
      fault: { io: Digital, pin: 18, active: 0 },
      led: { io: Digital, pin: 21, active: 1 },
    };
  }
}

function open(bench: Bench, onPresence?: (present: boolean) => void, onFault?: (fault: ContactFault) => void) {
  const Contacts = cardContactsFor(bench.board(), bench.scheduler);
  const contacts = new Contacts({ onPresence, onFault });
  bench.events.length = 0;
  return contacts;
}

test('§6.1 at construction every contact is inactive: VCC command off (CMDVCCN high), RST low, CLK low', (t) => {
  const bench = new Bench();
  new (cardContactsFor(bench.board(), bench.scheduler))({});
  t.is(bench.levels.get(7), 1);
  t.is(bench.levels.get(6), 0);
  t.is(bench.levels.get(5), 0);
  t.is(bench.levels.get(21), 0);
});

test('§6.2.4 class select levels are set before VCC is commanded on, and the LED follows VCC', (t) => {
  const bench = new Bench();
  const contacts = open(bench);
  contacts.setSupply('B');
  t.deepEqual(bench.events, ['15=0', '16=1', '7=0', '21=1']);
  bench.events.length = 0;
  contacts.setSupply(null);
  t.deepEqual(bench.events, ['7=1', '21=0']);
});

test('a class the board cannot supply is a RangeError', (t) => {
  const bench = new Bench();
  const Contacts = cardContactsFor({ ...bench.board(), classes: ['B'], classSelect: undefined, fault: undefined }, bench.scheduler);
  const contacts = new Contacts({});
  t.throws(() => contacts.setSupply('A'), { instanceOf: RangeError });
});

test('CLK: LEDC at 2-bit resolution, duty 2 = 50 %; a stop hands the pin back to a digital output at the stop level', (t) => {
  const bench = new Bench();
  const contacts = open(bench);
  contacts.setClock(4_000_000);
  t.deepEqual(bench.events, ['5:pwm 4000000 Hz 2 bits', '5:duty 2']);
  bench.events.length = 0;
  contacts.setClock(0, 1);
  t.deepEqual(bench.events, ['5:pwm off', '5=1']);
  t.is(bench.owners.get(5), 'digital');
  t.throws(() => contacts.setClock(3_000_000), { instanceOf: RangeError });
});

test('card detect is debounced: bounces inside 20 ms give one onPresence, after the level settled', (t) => {
  const bench = new Bench();
  const seen: boolean[] = [];
  const contacts = open(bench, (present) => seen.push(present));
  t.false(contacts.present);
  bench.drive(17, 0);
  bench.advance(5e6);
  bench.drive(17, 1);
  bench.advance(5e6);
  bench.drive(17, 0);
  bench.advance(19e6);
  t.deepEqual(seen, []);
  bench.advance(2e6);
  t.deepEqual(seen, [true]);
  t.true(contacts.present);
});

test('OFFN low while powered with the card in place is an overcurrent fault: VCC command off, onFault once', (t) => {
  const bench = new Bench();
  const faults: ContactFault[] = [];
  const contacts = open(bench, undefined, (fault) => faults.push(fault));
  bench.drive(17, 0);
  bench.advance(25e6);
  contacts.setSupply('A');
  bench.drive(18, 0);
  t.deepEqual(faults, ['overcurrent']);
  t.is(bench.levels.get(7), 1);
});

test('OFFN low because the card was pulled out is not a fault (the debounce reports the removal)', (t) => {
  const bench = new Bench();
  const faults: ContactFault[] = [];
  const seen: boolean[] = [];
  const contacts = open(bench, (present) => seen.push(present), (fault) => faults.push(fault));
  bench.drive(17, 0);
  bench.advance(25e6);
  contacts.setSupply('A');
  bench.drive(17, 1);
  bench.drive(18, 0);
  bench.advance(25e6);
  t.deepEqual(faults, []);
  t.deepEqual(seen, [true, false]);
});

test('close() deactivates, frees every pin, is idempotent and silences callbacks', (t) => {
  const bench = new Bench();
  const seen: boolean[] = [];
  const contacts = open(bench, (present) => seen.push(present));
  contacts.setSupply('B');
  contacts.setClock(5_000_000);
  bench.drive(17, 0);
  contacts.close();
  contacts.close();
  bench.advance(50e6);
  t.deepEqual(seen, []);
  t.is(bench.owners.size, 0);
  t.is(bench.levels.get(7), 1);
});
