/**
 * firmware/main.ts, the device's composition root, run on the host: the real provider of
 * boards/esp32s3-devkitc and the real HAL classes, with only the platform edge replaced (ECMA-419
 * Digital/PWM, Moddable's timer and mc/config, and the C functions behind Native classes). A CCID
 * message sent through the fake TinyUSB driver must come back answered by the whole stack.
 */
import test from 'ava';
import { loadBundle, natives, timers, type FakeTimer } from './xs-natives.js';

const digital = `
export const pins = globalThis.__pins = new Map();
export default class Digital {
  static Input = 0; static InputPullUp = 1; static InputPullDown = 2; static Output = 8; static Rising = 1; static Falling = 2;
  constructor(options) {
    this.pin = options.pin;
    if (pins.has(options.pin)) throw new Error('in use');
    // An output starts at initialValue (Moddable's Digital), low without it.
    pins.set(options.pin, options.mode === 8 ? (options.initialValue ?? 0) : (globalThis.__inputs?.[options.pin] ?? 1));
  }
  read() { return pins.get(this.pin); }
  write(value) { pins.set(this.pin, value); globalThis.__onWrite?.(this.pin, value); }
  close() { pins.delete(this.pin); }
}`;
const pwm = `
export default class PWM {
  constructor(options) { this.options = options; globalThis.__pins.set(options.pin, 'clock'); }
  write(duty) { this.duty = duty; }
  close() { globalThis.__pins.delete(this.options.pin); }
}`;

/**
 * The card's side of the I/O line: what the fake UART record delivers after RST rises. Receive
 * deadlines are kept the way card-uart.c keeps them, coarsely: one timeout after the first deadline.
 */
interface UartRecord {
  args: unknown[];
  rx: number[];
  tx: number[];
  deadline: FakeTimer | null;
  deliver(readable: number, writable: number, errors: number): void;
}
const TIMEOUT = 0x08;
const fakeTimer = (globalThis as unknown as { __fakeTimer: { set(cb: () => void, ms: number): FakeTimer } }).__fakeTimer;
let uart: UartRecord | null = null;

interface Driver {
  configuration: Uint8Array;
  scratch: ArrayBuffer;
  deliver: (length: number) => void;
  sent: { interrupt: boolean; bytes: number[] }[];
}

let clockUs = 0;
const driver = { sent: [] } as unknown as Driver;
natives({
  xs_scheduler_microseconds: () => clockUs,
  xs_usbdevice: (_self, _device, configuration, _strings, scratch, deliver) => {
    Object.assign(driver, { configuration, scratch, deliver });
  },
  xs_usbdevice_send: (_self, interrupt, message) => {
    driver.sent.push({ interrupt: interrupt as boolean, bytes: [...(message as Uint8Array)] });
    return true;
  },
  xs_usbdevice_get_capacity: () => 4106,
  xs_usbdevice_get_configured: () => true,
  xs_carduart: (self, ...args) => {
    uart = { args, rx: [], tx: [], deadline: null, deliver: args[11] as UartRecord['deliver'] };
    self.record = uart;
  },
  xs_carduart_read: (self) => (self.record as UartRecord).rx.shift(),
  xs_carduart_write: (self, raw) => ((self.record as UartRecord).tx.push(raw as number), true),
  xs_carduart_get_writable: () => 256,
  xs_carduart_get_convention: () => 1,
  xs_carduart_set_deadlines: (self, first, next) => {
    const record = self.record as UartRecord;
    if (record.deadline) record.deadline.cleared = true;
    record.deadline = null;
    const etu = (first as number) || (next as number);
    if (etu === 0) return;
    const etuNs = record.args[3] as number;
    record.deadline = fakeTimer.set(() => record.deliver(0, 0, TIMEOUT), Math.ceil((etu * etuNs) / 1e6));
  },
  xs_carduart_flush: (self) => void ((self.record as UartRecord).rx.length = 0),
  xs_carduart_close: () => undefined,
});

function post(...bytes: number[]): void {
  new Uint8Array(driver.scratch).set(bytes);
  driver.deliver(bytes.length);
}

/** When each Timer is due, noted when first seen (the clock has not moved since it was set). */
const due = new Map<FakeTimer, number>();

/** Fire the Timers in due order, moving the clock, until nothing is due within `ms`. */
function run(ms: number): void {
  const end = clockUs + ms * 1000;
  for (;;) {
    let next: FakeTimer | null = null;
    for (const timer of timers()) {
      if (timer.cleared) continue;
      if (!due.has(timer)) due.set(timer, clockUs + timer.delayMs * 1000);
      if (next === null || due.get(timer)! < due.get(next)!) next = timer;
    }
    if (next === null || due.get(next)! > end) break;
    clockUs = Math.max(clockUs, due.get(next)!);
    next.cleared = true;
    next.callback();
  }
}

async function loadMain(): Promise<() => void> {
  const { default: main } = await loadBundle<{ default: () => void }>('firmware/main.ts', {
    files: {
      'embedded:provider/builtin': 'boards/esp32s3-devkitc/host/provider.js',
      'hal/moddable/card-uart': 'hal/moddable/card-uart.ts',
      'hal/moddable/usb-device': 'hal/moddable/usb-device.ts',
    },
    sources: {
      'embedded:io/digital': digital,
      'embedded:io/pwm': pwm,
      'mc/config': 'export default Object.freeze({ trace: 0 });',
    },
  });
  return main;
}

function bulkReplies(): number[][] {
  return driver.sent.filter((m) => !m.interrupt).map((m) => m.bytes);
}

test.serial('main() composes the reader: PC_to_RDR_GetSlotStatus on an empty socket is answered "ICC absent"', async (t) => {
  const main = await loadMain();
  main();
  // The configuration set carries the CCID class descriptor (type 0x21) built from the board.
  t.true([...driver.configuration].some((byte, i) => byte === 0x21 && driver.configuration[i - 1] === 54));
  post(1, 1);
  post(2, 0x65, 0, 0, 0, 0, 0, 0x07, 0, 0, 0);
  run(50);
  t.deepEqual(bulkReplies().map((bytes) => bytes.slice(0, 9)), [[0x81, 0, 0, 0, 0, 0, 0x07, 0x02, 0]]);
});

test.serial('with a card in the socket, PC_to_RDR_IccPowerOn activates it (VCC, CLK, RST) and returns its ATR', async (t) => {
  const main = await loadMain();
  driver.sent.length = 0;
  Object.assign(globalThis, {
    __inputs: { 17: 0 }, // socket switch closed: a card
    __onWrite: (pin: number, value: number) => {
      // RST (GPIO 6) rises: the card answers with a minimal T=0 ATR (TS 3B, T0 00) a little later.
      if (pin === 6 && value === 1 && uart) {
        const line = uart;
        fakeTimer.set(() => {
          line.rx.push(0x3b, 0x00);
          line.deliver(2, 0, 0);
        }, 1);
      }
    },
  });
  (globalThis as unknown as { __pins: Map<number, unknown> }).__pins.clear();
  main();
  post(1, 1);
  run(50);
  post(2, 0x62, 0, 0, 0, 0, 0, 0x08, 0, 0, 0);
  run(2000);
  const pins = (globalThis as unknown as { __pins: Map<number, unknown> }).__pins;
  t.is(pins.get(7), 0, 'CMDVCCN low: VCC on');
  t.is(pins.get(5), 'clock');
  t.is(pins.get(6), 1, 'RST high');
  t.deepEqual(uart!.args.slice(0, 4), [1, 4, 10752, 93000]);
  console.log(JSON.stringify(bulkReplies()), JSON.stringify(uart!.tx), JSON.stringify([...(globalThis as any).__pins]));
  const dataBlock = bulkReplies().find((bytes) => bytes[0] === 0x80);
  t.truthy(dataBlock, 'RDR_to_PC_DataBlock');
  t.deepEqual(dataBlock!.slice(0, 12), [0x80, 2, 0, 0, 0, 0, 0x08, 0x00, 0, 0, 0x3b, 0x00]);
});
