/**
 * The TypeScript half of the ESP32-S3 card UART (hal/moddable/card-uart.ts) over a stand-in for its
 * native record: what it asks the C driver for (rate, framing, error signal, convention, T=1 EDC,
 * block-level transfers) and how it turns the driver's deliveries into ECMA-419 callbacks.
 */
import test from 'ava';
import type { CardCharError, CardUartCapabilities, CardUartConstructor, CardUartOptions } from '../../hal/interfaces/card-uart.js';
import type { CardUartLine } from '../../hal/moddable/board.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { loadDeviceModule, natives } from './xs-natives.js';

interface CardUartModule {
  Esp32CardUart: CardUartLine['io'];
  cardUartFor(line: CardUartLine, trace?: Trace): CardUartConstructor;
}

type Deliver = (readable: number, writable: number, errors: number) => void;

class FakeRecord {
  args: unknown[] = [];
  rx: number[] = [];
  tx: number[] = [];
  room = 3;
  convention = 0;
  latency = -1;
  deadlines: [number, number][] = [];
  transfers: unknown[][] = [];
  result: number[] = [];
  end = 0;
  flushes = 0;
  closed = 0;
  get deliver(): Deliver {
    return this.args[11] as Deliver;
  }
}

/**
 * The record the next `new` through open() attaches to, taken once: the tests run concurrently, and a
 * UART a test constructs itself (not through open) gets a record of its own instead of whichever one
 * another test's open() left here last (that overwrote the other test's arguments).
 */
let next: FakeRecord | null = null;
const recordOf = (self: Record<string, unknown>) => self.record as FakeRecord;

natives({
  xs_carduart: (self, ...args) => {
    const record = next ?? new FakeRecord();
    next = null;
    self.record = record;
    record.args = args;
    record.convention = args[9] as number;
  },
  xs_carduart_read: (self) => recordOf(self).rx.shift(),
  xs_carduart_write: (self, raw) => {
    const record = recordOf(self);
    return record.tx.length < record.room ? (record.tx.push(raw as number), true) : false;
  },
  xs_carduart_get_writable: (self) => recordOf(self).room - recordOf(self).tx.length,
  xs_carduart_get_convention: (self) => recordOf(self).convention,
  xs_carduart_get_latency: (self) => recordOf(self).latency,
  xs_carduart_set_deadlines: (self, first, next_) => void recordOf(self).deadlines.push([first as number, next_ as number]),
  xs_carduart_write_block: (self, ...args) => void recordOf(self).transfers.push(['block', ...args]),
  xs_carduart_write_tpdu: (self, ...args) => void recordOf(self).transfers.push(['tpdu', ...args]),
  xs_carduart_read_block: (self, into, offset) => {
    const record = recordOf(self);
    (into as Uint8Array).set(record.result, offset as number);
    return record.result.length;
  },
  xs_carduart_get_block_end: (self) => recordOf(self).end,
  xs_carduart_flush: (self) => void recordOf(self).flushes++,
  xs_carduart_close: (self) => void recordOf(self).closed++,
});

async function open(options: Partial<CardUartOptions> = {}, trace?: Trace) {
  const record = new FakeRecord();
  const module = await loadDeviceModule<CardUartModule>('card-uart');
  const Uart = module.cardUartFor({ io: module.Esp32CardUart, port: 1, data: 4 }, trace);
  const events: string[] = [];
  next = record;
  const uart = new Uart({
    clockHz: 4_000_000, F: 372, D: 1, convention: 'detect', N: 0, protocol: 0, repetitions: 4,
    onReadable: (count) => events.push(`readable ${count}`),
    onWritable: (count) => events.push(`writable ${count}`),
    onError: (error: CardCharError) => events.push(`error ${error}`),
    onWaiting: () => events.push('waiting'),
    ...options,
  });
  return { Uart, uart, record, events };
}

test('§7.1 the ATR rate: 4 MHz / 372 → 10 752 bit/s (rounded down, as the divider is) and 93 µs etu, 8E2 on UART1 pad 4, error signal on, TS detection', async (t) => {
  const { record } = await open();
  t.deepEqual(record.args.slice(0, 11), [1, 4, 10752, 93000, 2, 0, 0, 4, true, 0, 0]);
});

test('§8.3 T=1 with N = 255: 11 etu characters (one stop bit), no error signal', async (t) => {
  const { record } = await open({ protocol: 1, N: 255, convention: 'direct', F: 372, D: 4 });
  t.deepEqual(record.args.slice(2, 11), [43010, 23250, 1, 0, 1, 4, false, 1, 0]);
});

test('§7.3 the error signal is asked for at every T=0 rate with repetition: whether it can be in time, the C driver measures', async (t) => {
  t.is((await open({ D: 8 })).record.args[8], true);
  t.is((await open({ repetitions: 0 })).record.args[8], false);
});

test('§7.3 the driver\'s notice that the error signal is off becomes one DRIVER trace line with the latency, not an error', async (t) => {
  const lines: string[] = [];
  const trace: Trace = { mask: 0x08, log: (_category, text) => void lines.push(text) };
  const { record, events } = await open({ D: 32 }, trace);
  record.latency = 12;
  record.deliver(1, 0, 0x10 | 0x01);
  t.deepEqual(events, ['error parity', 'readable 1']);
  t.deepEqual(lines, ['T=0 error signal off at 2.9 µs/etu: interrupt latency 12 µs exceeds 0.2 etu (ISO 7816-3 §7.3), parity errors are reported without repetition']);
  const quiet = await open({ D: 32 });
  t.notThrows(() => quiet.record.deliver(0, 0, 0x10), 'no trace: nothing said');
});

test('a rate beyond the UART\'s advertised limit is refused, and the limit is on the bound constructor', async (t) => {
  const { Uart } = await open();
  t.is((Uart as unknown as { capabilities: CardUartCapabilities }).capabilities.maxBaud, (64 * 5_000_000) / 372);
  t.notThrows(() => new Uart({ clockHz: 5_000_000, F: 372, D: 64, convention: 'direct', N: 0, protocol: 1, repetitions: 0 }));
  t.throws(() => new Uart({ clockHz: 10_000_000, F: 372, D: 64, convention: 'direct', N: 0, protocol: 1, repetitions: 0 }), { instanceOf: RangeError });
});

test('§8.1 the convention is the C\'s: its code goes to the driver, bytes pass both ways as they are (card-uart.c codes them)', async (t) => {
  const { uart, record } = await open();
  t.is(uart.convention, 'detect');
  record.convention = 2;
  record.rx.push(0x3f, 0x96);
  t.is(uart.read(), 0x3f);
  t.is(uart.read(), 0x96);
  t.is(uart.read(), undefined);
  t.is(uart.convention, 'inverse');
  uart.write(0xa4);
  t.deepEqual(record.tx, [0xa4]);
  t.is((await open({ convention: 'inverse' })).record.args[9], 2);
});

test('§11.4.4 the T=1 epilogue goes to the driver as a code: LRC 0, CRC (libccid) 1, CRC (ISO/IEC 13239) 2', async (t) => {
  t.is((await open({ protocol: 1, edc: 'lrc' })).record.args[10], 0);
  t.is((await open({ protocol: 1, edc: 'crc' })).record.args[10], 1);
  t.is((await open({ protocol: 1, edc: 'crc-13239' })).record.args[10], 2);
  await t.throwsAsync(open({ protocol: 1, edc: 'md5' as 'lrc' }), { instanceOf: RangeError });
});

test('block level: a T=1 block and a T=0 TPDU each go to the driver in one call, deadlines in whole etu rounded up', async (t) => {
  const { uart, record } = await open({ protocol: 1, convention: 'direct' });
  const block = Uint8Array.of(0, 0, 2, 0x90, 0);
  uart.writeBlock(block, 5, true, 15_370.4, 43);
  uart.writeTpdu(block, 5, 2, 9600);
  t.deepEqual(record.transfers, [['block', block, 5, true, 15_371, 43], ['tpdu', block, 5, 2, 9600]]);
  t.throws(() => uart.writeBlock(block, 5, true, -1, 43), { instanceOf: RangeError });
});

test('block level: the result is copied out by the driver; blockEnd names its code (complete, bad-edc, conflict, cut)', async (t) => {
  const { uart, record, events } = await open({ protocol: 1, convention: 'direct' });
  record.result = [0, 0x40, 1, 0x55, 0x14];
  record.deliver(5, 0, 0);
  t.deepEqual(events, ['readable 5']);
  const into = new Uint8Array(8);
  t.is(uart.readBlock(into, 2), 5);
  t.deepEqual([...into], [0, 0, 0, 0x40, 1, 0x55, 0x14, 0]);
  const names = [0, 1, 2, 3].map((code) => {
    record.end = code;
    return uart.blockEnd;
  });
  t.deepEqual(names, ['complete', 'bad-edc', 'conflict', 'cut']);
});

test('§10.3.3 the driver\'s NULL notice becomes onWaiting, after the errors and before readable', async (t) => {
  const { record, events } = await open();
  record.deliver(3, 0, 0x20 | 0x01);
  t.deepEqual(events, ['error parity', 'waiting', 'readable 3']);
});

test('a delivery reports errors first (parity before timeout), then readable; writable only when room was freed', async (t) => {
  const { record, events } = await open();
  record.deliver(2, 0, 0x01 | 0x08);
  record.deliver(0, 5, 0);
  t.deepEqual(events, ['error parity', 'error timeout', 'readable 2', 'writable 5']);
});

test('write() throws when the transmit ring is full (ECMA-419), writable says how much fits', async (t) => {
  const { uart } = await open({ convention: 'direct' });
  uart.write(1);
  uart.write(2);
  t.is(uart.writable, 1);
  uart.write(3);
  t.throws(() => uart.write(4), { message: 'output full' });
});

test('deadlines go to the driver in whole etu, rounded up (the ATR window is 107.5 etu)', async (t) => {
  const { uart, record } = await open();
  uart.setDeadlines(40_000 / 372, 9600);
  uart.setDeadlines(0, 0);
  t.deepEqual(record.deadlines, [[108, 9600], [0, 0]]);
  t.throws(() => uart.setDeadlines(-1, 0), { instanceOf: RangeError });
});

test('close() is idempotent and silences: no callback, no read, writes throw', async (t) => {
  const { uart, record, events } = await open();
  uart.close();
  uart.close();
  record.rx.push(1);
  record.deliver(1, 1, 1);
  t.is(record.closed, 1);
  t.deepEqual(events, []);
  t.is(uart.read(), undefined);
  t.throws(() => uart.write(0));
});
