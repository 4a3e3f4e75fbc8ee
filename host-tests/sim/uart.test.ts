import test from 'ava';
import { ProbeCard, rig, ETU, ioEdges, close, openUart } from './helpers.js';
import { encode } from '../../hal/sim/port.js';
import type { CardCharError } from '../../hal/interfaces/card-uart.js';

function leadingEdges(r: ReturnType<typeof rig>, from: 'reader' | 'card'): number[] {
  return r.board.line.events.filter((e) => e.from === from).map((e) => e.timeNs);
}

function spacingsEtu(times: number[], etu = ETU): number[] {
  return times.slice(1).map((t, i) => Math.round(((t - times[i]) / etu) * 1000) / 1000);
}

test('ISO 7816-3 §7.2: characters are 12 etu apart (leading edges), +N etu with TC1 = N', (t) => {
  for (const [N, spacing] of [[0, 12], [5, 17], [255, 12]] as const) {
    const card = new ProbeCard();
    const r = rig(card, { N });
    for (const b of [0x00, 0xa4, 0x04]) r.uart.write(b);
    r.board.scheduler.runUntilIdle();
    t.deepEqual(spacingsEtu(leadingEdges(r, 'reader')), [spacing, spacing], `N=${N}`);
    t.deepEqual(card.received.map((x) => x.byte), [0x00, 0xa4, 0x04]);
    t.true(card.received.every((x) => x.parityOk));
  }
});

test('ISO 7816-3 §7.2: in T=1 with N = 255 characters are 11 etu apart', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { N: 255, protocol: 1, repetitions: 0 });
  card.io.setProtocol(1);
  for (const b of [1, 2, 3, 4]) r.uart.write(b);
  r.board.scheduler.runUntilIdle();
  t.deepEqual(spacingsEtu(leadingEdges(r, 'reader')), [11, 11, 11]);
  t.deepEqual(card.received.map((x) => x.byte), [1, 2, 3, 4]);
});

test('ISO 7816-3 §7.1/§7.2: direct convention on the recorded I/O: LSB first, even parity, 10 etu frame', (t) => {
  const card = new ProbeCard();
  const r = rig(card);
  const t0 = r.board.scheduler.now();
  r.uart.write(0x3b);
  r.board.scheduler.runUntilIdle();
  const start = leadingEdges(r, 'reader')[0];
  // 0x3B = 0011 1011, LSB first: 1 1 0 1 1 1 0 0, five ones → parity 1.
  const expected = [0, 1, 1, 0, 1, 1, 1, 0, 0, 1];
  t.deepEqual(expected, encode(0x3b, 'direct', false));
  for (let k = 0; k < 10; k++) t.is<number, number>(r.board.line.levelAt(start + (k + 0.5) * ETU), expected[k], `bit ${k}`);
  const edges = ioEdges(r.board, t0);
  t.is(edges[0].t, start);
  t.true(edges.every((e) => e.t <= start + 10 * ETU + 1));
});

test('ISO 7816-3 §8.1: inverse convention TS on the recorded I/O: MSB first, logic one low; detect reads 0x3F and switches', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { convention: 'detect' });
  card.io.setConvention('inverse');
  card.io.send(0x3f);
  card.io.send(0x11);
  r.board.scheduler.runUntilIdle();
  const start = leadingEdges(r, 'card')[0];
  const expected = [0, 1, 1, 0, 0, 0, 0, 0, 0, 1]; // the pattern §8.1 gives for inverse TS
  for (let k = 0; k < 10; k++) t.is<number, number>(r.board.line.levelAt(start + (k + 0.5) * ETU), expected[k], `bit ${k}`);
  t.deepEqual(r.bytes, [0x3f, 0x11]);
  t.deepEqual(r.errors, []);
  t.is(r.uart.convention, 'inverse');
});

test('ISO 7816-3 §8.1: detect reads direct TS 0x3B and settles on direct', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { convention: 'detect' });
  card.io.send(0x3b);
  r.board.scheduler.runUntilIdle();
  t.deepEqual(r.bytes, [0x3b]);
  t.is(r.uart.convention, 'direct');
});

test('ISO 7816-3 §7.3: a parity error makes the receiver pull I/O low from 10.5 etu; the sender repeats', (t) => {
  const card = new ProbeCard();
  const r = rig(card);
  card.io.send(0x42, { badParity: true, badParityTimes: 1 });
  r.board.scheduler.runUntilIdle();
  const [first, second] = r.board.line.events;
  t.false(first.parityOk);
  t.true(first.errorSignalled);
  t.true(second.repeated && second.parityOk && !second.errorSignalled);
  t.true(close((second.timeNs - first.timeNs) / ETU, 13));
  const low = ioEdges(r.board, first.timeNs + 10 * ETU).filter((e) => e.t < second.timeNs);
  t.deepEqual(low.map((e) => e.v), [0, 1]);
  t.true(close((low[0].t - first.timeNs) / ETU, 10.5));
  const width = (low[1].t - low[0].t) / ETU;
  t.true(width >= 1 && width <= 2);
  t.deepEqual(r.bytes, [0x42]);
  t.deepEqual(r.errors, []);
});

test('ISO 7816-3 §7.3: after `repetitions` error signals the receiver reports parity', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { repetitions: 3 });
  card.io.send(0x42, { badParity: true });
  card.io.send(0x43);
  r.board.scheduler.runUntilIdle();
  const tx = r.board.line.events.filter((e) => e.byte === 0x42);
  t.is(tx.length, 4);
  t.deepEqual(tx.map((e) => e.errorSignalled), [true, true, true, false]);
  t.deepEqual(r.errors, ['parity']);
  t.deepEqual(r.bytes, [0x42, 0x43]);
});

test('ISO 7816-3 §7.3: the reader repeats a character the card rejects, and reports parity past the bound', (t) => {
  const card = new ProbeCard();
  // A card listening in the inverse convention sees every direct character with odd parity.
  const r = rig(card, { repetitions: 2 });
  card.io.setConvention('inverse');
  r.uart.write(0x5a);
  r.board.scheduler.runUntilIdle();
  const tx = r.board.line.events.filter((e) => e.from === 'reader');
  t.deepEqual(tx.map((e) => [e.repeated, e.errorSignalled]), [[false, true], [true, true], [true, true]]);
  t.true(close((tx[1].timeNs - tx[0].timeNs) / ETU, 13));
  t.deepEqual(r.errors, ['parity']);
  t.deepEqual(card.received, []);
});

test('ISO 7816-3 §11: T=1 mode: no error signal; a bad character is reported as parity and still delivered', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { protocol: 1, repetitions: 0 });
  card.io.setProtocol(1);
  card.io.send(0x10, { badParity: true });
  card.io.send(0x11);
  r.board.scheduler.runUntilIdle();
  t.is(r.board.line.events.length, 2);
  t.false(r.board.line.events[0].errorSignalled);
  t.deepEqual(r.errors, ['parity']);
  t.deepEqual(r.bytes, [0x10, 0x11]);
});

test('a rate mismatch corrupts characters instead of passing them', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { D: 2, protocol: 1, repetitions: 0 });
  card.io.setProtocol(1);
  for (const b of [0x3b, 0x00, 0xff, 0x55]) card.io.send(b);
  r.board.scheduler.runUntilIdle();
  t.notDeepEqual(r.bytes, [0x3b, 0x00, 0xff, 0x55]);
  t.true(r.errors.length > 0 || r.bytes.length !== 4);
});

test('deadlines: the first character must start within firstEtu, the next within nextEtu; timeout once', (t) => {
  const card = new ProbeCard();
  const times: number[] = [];
  const r = rig(card, {});
  const errors: CardCharError[] = [];
  r.uart.close();
  const u = openUart(r.board, r.bytes, errors, { onError: (e) => { errors.push(e); times.push(r.board.scheduler.now()); } });
  const t0 = r.board.scheduler.now();
  u.setDeadlines(100, 20);
  r.board.scheduler.runUntilIdle();
  t.deepEqual(errors, ['timeout']);
  t.true(close((times[0] - t0) / ETU, 100));
  // Two characters, then silence: timeout nextEtu after the second leading edge.
  u.setDeadlines(100, 30);
  card.io.send(1);
  card.io.send(2);
  r.board.scheduler.runUntilIdle();
  const edges = r.board.line.events.filter((e) => e.from === 'card').map((e) => e.timeNs);
  t.deepEqual(errors, ['timeout', 'timeout']);
  t.true(close((times[1] - edges[1]) / ETU, 30));
  // Writing restarts the first-character deadline after the last byte written.
  u.setDeadlines(50, 0);
  u.write(0xaa);
  u.write(0xbb);
  r.board.scheduler.runUntilIdle();
  const last = r.board.line.events.filter((e) => e.from === 'reader').at(-1)!.timeNs;
  t.true(close((times[2] - last) / ETU, 50));
  // Disarmed by 0, 0.
  u.setDeadlines(10, 10);
  u.setDeadlines(0, 0);
  r.board.scheduler.runUntilIdle();
  t.is(errors.length, 3);
});

test('overrun: a full receive buffer loses the character and reports overrun', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { onReadable() {} });
  for (let i = 0; i < 301; i++) card.io.send(i & 0xff);
  r.board.scheduler.runUntilIdle();
  t.deepEqual(r.errors, ['overrun']);
  let n = 0;
  while (r.uart.read() !== undefined) n++;
  t.is(n, 300);
});

test('flush drops unread and unsent bytes; close is idempotent and silences callbacks', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { onReadable() {} });
  card.io.send(1);
  r.board.scheduler.runUntilIdle();
  for (let i = 0; i < 5; i++) r.uart.write(i);
  r.uart.flush();
  t.is(r.uart.read(), undefined);
  r.board.scheduler.runUntilIdle();
  t.true(card.received.length <= 1);
  t.is(r.uart.writable, 300);
  r.uart.setDeadlines(10, 10);
  r.uart.close();
  r.uart.close();
  card.io.send(2);
  r.board.scheduler.runUntilIdle();
  t.deepEqual(r.errors, []);
  t.is(r.uart.read(), undefined);
  t.throws(() => r.uart.write(1));
});

test('write throws when the transmit buffer is full; onWritable tells when to go on', (t) => {
  const card = new ProbeCard();
  const counts: number[] = [];
  const r = rig(card, { onWritable: (n) => counts.push(n) });
  r.board.scheduler.runUntilIdle();
  t.is(counts[0], 300);
  for (let i = 0; i < 300; i++) r.uart.write(i & 0xff);
  t.throws(() => r.uart.write(0));
  r.board.scheduler.advance(20 * ETU);
  t.true(counts.length > 1 && counts.at(-1)! > 0);
});

test('flush drops a character waiting for its start time, and keeps the one on the line whole', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { N: 100 });
  r.uart.write(0x01);
  r.uart.write(0x02);
  r.uart.write(0x03);
  r.board.scheduler.advance(2 * ETU);
  r.uart.flush();
  r.uart.write(0x04);
  r.board.scheduler.runUntilIdle();
  t.deepEqual(card.received.map((x) => x.byte), [0x01, 0x04]);
  const tx = r.board.line.events.filter((e) => e.from === 'reader');
  t.is(Math.round((tx[1].timeNs - tx[0].timeNs) / ETU), 112);
});

test('a board UART that cannot hit the rate exactly runs at its real rate: 1 % off still decodes, 8 % off corrupts', (t) => {
  const capabilities = (closest: (b: number) => number) => ({ uartCapabilities: { maxBaud: 1e6, closestBaud: closest } });
  const exactish = new ProbeCard();
  const a = rig(exactish, {}, capabilities((b) => b * 1.01));
  for (const b of [0x00, 0xff, 0x55]) a.uart.write(b);
  a.board.scheduler.runUntilIdle();
  t.deepEqual(exactish.received.map((x) => x.byte), [0x00, 0xff, 0x55]);
  t.true(close(a.board.line.events[0].etuNs, ETU / 1.01));
  const off = new ProbeCard();
  const b = rig(off, { protocol: 1, repetitions: 0 }, capabilities((x) => x * 1.08));
  off.io.setProtocol(1);
  for (const x of [0x00, 0x80, 0x01]) b.uart.write(x);
  b.board.scheduler.runUntilIdle();
  t.notDeepEqual(off.received.map((x) => `${x.byte}:${x.parityOk}`), ['0:true', '128:true', '1:true']);
  t.throws(() => rig(new ProbeCard(), {}, { uartCapabilities: { maxBaud: 9600 } }), { instanceOf: RangeError });
});
