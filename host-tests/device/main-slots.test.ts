/**
 * firmware/main.ts on the two-slot board (boards/esp32s3-devkitc-2slot), run on the host with only
 * the platform edge replaced (as in main.test.ts): one card slot per socket, each on its own UART,
 * clock and contacts; CCID messages for either slot answered by the whole stack, independently.
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

/** The card's side of one I/O line: what the fake UART record delivers. */
interface UartRecord {
  args: unknown[];
  rx: number[];
  tx: number[];
  deadline: FakeTimer | null;
  deliver(readable: number, writable: number, errors: number): void;
}
const TIMEOUT = 0x08;
const fakeTimer = (globalThis as unknown as { __fakeTimer: { set(cb: () => void, ms: number): FakeTimer } }).__fakeTimer;
/** The UART records by port (1 and 2). */
const uarts = new Map<number, UartRecord>();

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
    // The host takes every message at once: the IN transfer completes (usb-device.c's MESSAGE_IN_COMPLETE).
    fakeTimer.set(() => post(3, interrupt ? 1 : 0), 0);
    return true;
  },
  xs_usbdevice_get_capacity: () => 4106,
  xs_usbdevice_get_configured: () => true,
  xs_carduart: (self, ...args) => {
    const record: UartRecord = { args, rx: [], tx: [], deadline: null, deliver: args[11] as UartRecord['deliver'] };
    uarts.set(args[0] as number, record);
    self.record = record;
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

async function startMain(inputs: Record<number, number>, atrs: Record<number, number[]>): Promise<Map<number, unknown>> {
  const { default: main } = await loadBundle<{ default: () => void }>('firmware/main.ts', {
    files: {
      'embedded:provider/builtin': 'boards/esp32s3-devkitc-2slot/host/provider.js',
      'hal/moddable/card-uart': 'hal/moddable/card-uart.ts',
      'hal/moddable/usb-device': 'hal/moddable/usb-device.ts',
    },
    sources: {
      'embedded:io/digital': digital,
      'embedded:io/pwm': pwm,
      'mc/config': 'export default Object.freeze({ trace: 0 });',
    },
  });
  driver.sent.length = 0;
  uarts.clear();
  Object.assign(globalThis, {
    __inputs: inputs,
    // RST rising on a socket (GPIO 6: slot 0, GPIO 10: slot 1): that socket's card answers its ATR.
    __onWrite: (pin: number, value: number) => {
      const port = pin === 6 ? 1 : pin === 10 ? 2 : 0;
      const line = uarts.get(port);
      if (value !== 1 || line === undefined || atrs[port] === undefined) return;
      fakeTimer.set(() => {
        line.rx.push(...atrs[port]);
        line.deliver(atrs[port].length, 0, 0);
      }, 1);
    },
  });
  const pins = (globalThis as unknown as { __pins: Map<number, unknown> }).__pins;
  pins.clear();
  main();
  post(1, 1); // SET_CONFIGURATION, as the fake driver delivers it
  run(50);
  return pins;
}

function bulkReplies(): number[][] {
  return driver.sent.filter((m) => !m.interrupt).map((m) => m.bytes);
}

test.serial('two-slot board: the class descriptor announces 2 slots, both busy at once; each slot answers GetSlotStatus, slot 2 is bError 5', async (t) => {
  await startMain({}, {});
  const config = driver.configuration;
  const ccid = [...config].findIndex((byte, i) => byte === 0x21 && config[i - 1] === 54) - 1;
  t.true(ccid > 0, 'CCID class descriptor');
  t.is(config[ccid + 4], 1, 'bMaxSlotIndex');
  t.is(config[ccid + 53], 2, 'bMaxCCIDBusySlots');
  post(2, 0x65, 0, 0, 0, 0, 0, 0x07, 0, 0, 0);
  post(2, 0x65, 0, 0, 0, 0, 1, 0x08, 0, 0, 0);
  post(2, 0x65, 0, 0, 0, 0, 2, 0x09, 0, 0, 0);
  run(50);
  t.deepEqual(bulkReplies().map((bytes) => bytes.slice(0, 9)), [
    [0x81, 0, 0, 0, 0, 0, 0x07, 0x02, 0],
    [0x81, 0, 0, 0, 0, 1, 0x08, 0x02, 0],
    [0x81, 0, 0, 0, 0, 2, 0x09, 0x42, 5],
  ]);
  t.deepEqual([...uarts.keys()], [], 'no UART opened before a card is powered');
});

test.serial('two-slot board: each slot powers its own card on its own pins and UART (slot 0: UART1 GPIO 4–7; slot 1: UART2 GPIO 8–11)', async (t) => {
  // Socket switches: GPIO 17 (slot 0) and GPIO 14 (slot 1) closed to GND.
  const pins = await startMain({ 17: 0, 14: 0 }, { 1: [0x3b, 0x00], 2: [0x3b, 0x01, 0x5a] });
  post(2, 0x62, 0, 0, 0, 0, 1, 0x10, 0, 0, 0);
  run(2000);
  t.is(pins.get(11), 0, 'slot 1 CMDVCCN low: VCC on');
  t.is(pins.get(9), 'clock', 'slot 1 CLK from LEDC on GPIO 9');
  t.is(pins.get(10), 1, 'slot 1 RST high');
  t.is(pins.get(7), 1, 'slot 0 still off (CMDVCCN high)');
  t.deepEqual(uarts.get(2)?.args.slice(0, 2), [2, 8], 'UART2 on GPIO 8');
  t.false(uarts.has(1));
  const slot1 = bulkReplies().find((bytes) => bytes[0] === 0x80 && bytes[5] === 1);
  t.deepEqual(slot1?.slice(0, 13), [0x80, 3, 0, 0, 0, 1, 0x10, 0x00, 0, 0, 0x3b, 0x01, 0x5a]);
  post(2, 0x62, 0, 0, 0, 0, 0, 0x11, 0, 0, 0);
  run(2000);
  t.is(pins.get(7), 0, 'slot 0 CMDVCCN low');
  t.deepEqual(uarts.get(1)?.args.slice(0, 2), [1, 4], 'UART1 on GPIO 4');
  const slot0 = bulkReplies().find((bytes) => bytes[0] === 0x80 && bytes[5] === 0);
  t.deepEqual(slot0?.slice(0, 12), [0x80, 2, 0, 0, 0, 0, 0x11, 0x00, 0, 0, 0x3b, 0x00]);
  // Powering slot 0 off leaves slot 1 powered.
  post(2, 0x63, 0, 0, 0, 0, 0, 0x12, 0, 0, 0);
  run(2000);
  t.is(pins.get(7), 1, 'slot 0 off');
  t.is(pins.get(11), 0, 'slot 1 still on');
});
