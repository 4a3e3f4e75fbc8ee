/**
 * Bad input from the card never corrupts the ESP32-S3 card UART's state (card-uart.c on the virtual
 * board, driven directly: rig.ts): each fault is one precise error upstream, no invented byte, and
 * the UART works right after it — overrun of the receive ring and of the UART's 128-byte FIFO, a
 * card holding I/O low (ISO 7816-3 §7.1: a character ends with I/O high), a card answering while the
 * reader transmits, and the XS task's message queue refusing a post.
 */
import test from 'ava';
import type { SimLine } from '../../hal/sim/line.js';
import { LinePort } from '../../hal/sim/port.js';
import { TICKS_PER_NS } from '../../hal/sim/scheduler.js';
import { XS_QUEUE_LENGTH } from '../../hal/sim/esp32s3/tasks.js';
import { lineRig } from './rig.js';
import './built-first.js';

const ETU = (372 * 1e9) / 4_000_000;

/** Another driver on the line, as a card that misbehaves at the contact. */
function holdLow(line: SimLine, fromNs: number, forNs: number): void {
  const driver = {};
  line.scheduler.at(fromNs, () => line.drive(driver, 0));
  line.scheduler.at(fromNs + forNs, () => line.drive(driver, 1));
}

test('an overrun of the receive ring is reported as overrun (nothing else); the bytes kept are the first ones, in order, and reception goes on', async (t) => {
  const rig = await lineRig();
  const probe = rig.openUart({ protocol: 1, N: 255, repetitions: 0, onReadable() {} });
  const sent = Array.from({ length: 600 }, (_, i) => (i * 7) & 0xff);
  for (const b of sent) rig.card.io.send(b);
  rig.board.scheduler.advance(700 * 12 * ETU);
  t.true(probe.errors.length > 0 && probe.errors.every((e) => e === 'overrun'), probe.errors.join());
  const kept: number[] = [];
  for (let x = probe.uart.read(); x !== undefined; x = probe.uart.read()) kept.push(x);
  t.is(kept.length, 512, 'the ring holds 512 bytes');
  t.deepEqual(kept, sent.slice(0, 512));
  rig.card.io.send(0xa5);
  rig.board.scheduler.advance(30 * ETU);
  t.is(probe.uart.read(), 0xa5);
});

test('interrupts held off past the UART\'s 128-byte FIFO: RXFIFO_OVF is an overrun upstream, the FIFO\'s bytes arrive in order', async (t) => {
  const rig = await lineRig();
  const probe = rig.openUart({ protocol: 1, N: 255, repetitions: 0 });
  const sent = Array.from({ length: 200 }, (_, i) => (i * 13) & 0xff);
  rig.board.chip.intc.latencyNs = 300 * 12 * ETU;
  for (const b of sent) rig.card.io.send(b);
  rig.board.scheduler.advance(250 * 12 * ETU);
  rig.board.chip.intc.latencyNs = 2000;
  rig.board.scheduler.advance(100 * 12 * ETU);
  t.deepEqual(probe.errors, ['overrun']);
  t.deepEqual(probe.bytes, sent.slice(0, 128), 'the first 128 bytes, then nothing invented');
  rig.card.io.send(0x3c);
  rig.board.scheduler.advance(30 * ETU);
  t.is(probe.bytes.at(-1), 0x3c);
});

test('§7.1 a card holding I/O low: one framing error, no 0x00 byte delivered, in T=0 and T=1; the next character is right', async (t) => {
  for (const protocol of [0, 1] as const) {
    const rig = await lineRig();
    const probe = rig.openUart(protocol === 0 ? {} : { protocol: 1, N: 255, repetitions: 0 });
    const line = rig.socket.line;
    holdLow(line, rig.board.scheduler.now() + 10 * ETU, 40 * ETU);
    rig.board.scheduler.advance(80 * ETU);
    t.deepEqual(probe.errors, ['framing'], `T=${protocol}`);
    t.deepEqual(probe.bytes, protocol === 0 ? [] : [0x00], `T=${protocol}: T=1 keeps the place of the broken character in its block`);
    rig.card.io.send(0x96);
    rig.board.scheduler.advance(30 * ETU);
    t.is(probe.bytes.at(-1), 0x96, `T=${protocol}`);
    t.deepEqual(probe.errors, ['framing'], `T=${protocol}: nothing more`);
  }
});

test('a card answering while the reader transmits (T=1): the collision is a framing error, and the UART still sends and receives', async (t) => {
  const rig = await lineRig();
  const probe = rig.openUart({ protocol: 1, N: 255, repetitions: 0 });
  const line = rig.socket.line;
  const rogue = new LinePort(line, 'card', {
    received() {}, framing() {}, leadingEdge() {}, sending() {}, sendFailed() {}, sent() {},
  }, ETU * TICKS_PER_NS, 'direct', 0);
  rogue.protocol = 1;
  rogue.turnaroundEtu = 0;
  rogue.listening = false;
  for (let i = 0; i < 8; i++) probe.uart.write(0x40 + i);
  rig.board.scheduler.advance(25 * ETU);
  rogue.send(0x00, ETU * TICKS_PER_NS, 'direct');
  rig.board.scheduler.advance(150 * ETU);
  t.true(probe.errors.includes('framing'), probe.errors.join());
  t.is(probe.uart.writable, 511, 'every character left the ring');
  rogue.close();
  probe.errors.length = 0;
  probe.bytes.length = 0;
  probe.uart.write(0x11);
  rig.board.scheduler.advance(30 * ETU);
  rig.card.io.send(0x22);
  rig.board.scheduler.advance(60 * ETU);
  t.deepEqual(probe.errors, []);
  t.deepEqual(probe.bytes, [0x22]);
  t.deepEqual(rig.card.received.map((r) => r.byte).slice(-1), [0x11]);
});

test('a post the XS task\'s queue refuses (full) is tried again: the byte arrives without any other event', async (t) => {
  const rig = await lineRig();
  const probe = rig.openUart({ protocol: 1, N: 255, repetitions: 0 });
  const queue = rig.board.chip.xsQueue;
  // Other modules' messages fill the queue; the XS task is slow to take them (next tick).
  for (let i = 0; i < XS_QUEUE_LENGTH; i++) queue.post(() => {}, true);
  rig.card.io.send(0x5a);
  rig.board.scheduler.advance(12 * ETU);
  t.true(queue.droppedFromIsr > 0, 'the driver\'s post was refused');
  rig.board.scheduler.advance(3_000_000);
  t.deepEqual(probe.bytes, [0x5a]);
  t.deepEqual(probe.errors, []);
});
