import test from 'ava';
import { findCard, builtInCards } from '../../hal/sim/cards/registry.js';
import { rig, exchange, hx, ETU, openUart } from './helpers.js';
import { createSimBoard } from '../../hal/sim/board.js';

function powered(name: string, uart = {}) {
  const card = findCard(name)!.create(7);
  const r = rig(card, { convention: 'detect', ...uart });
  r.board.scheduler.runUntilIdle();
  return { r, card };
}

test('registry: every built-in card has a unique name and a description, and creates a card of that name', (t) => {
  const names = builtInCards().map((c) => c.name);
  t.is(new Set(names).size, names.length);
  for (const c of builtInCards()) {
    t.true(c.description.length > 10);
    t.is(c.create(1).name, c.name);
  }
  t.is(findCard('no-such-card'), undefined);
});

test('ISO 7816-3 §8.1: the ATR starts 12 000 cycles after the RST rising edge, characters 12 etu apart', (t) => {
  const { r } = powered('t0-fs');
  const rst = r.board.line.record.find((c) => c.signal === 'rst' && c.value === 1)!.timeNs;
  const atr = r.board.line.events.filter((e) => e.from === 'card');
  const cycles = ((atr[0].timeNs - rst) * 4_000_000) / 1e9;
  t.true(cycles >= 400 && cycles <= 40_000);
  t.is(Math.round(cycles), 12_000);
  t.is(hx(r.bytes), '3B021450');
  for (let i = 1; i < atr.length; i++) t.is(Math.round((atr[i].timeNs - atr[i - 1].timeNs) / ETU), 12);
});

test('ISO 7816-3 §8.1: the inverse-convention card sends TS 3F and the rest of its ATR inversely', (t) => {
  const { r } = powered('t0-inverse');
  t.is(hx(r.bytes), '3F2F0036AF690204018000000A0E833E9F16');
  t.is(r.uart.convention, 'inverse');
  t.deepEqual(r.errors, []);
  // The same file system answers in the inverse convention.
  t.is(hx(exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02])), 'A4');
  t.is(hx(exchange(r, [0x3f, 0x00])), '9000');
});

test('ISO 7816-3 §8.1: the mute card never answers reset', (t) => {
  const { r } = powered('mute');
  r.board.scheduler.advance(100 * 40_000 * 250);
  t.deepEqual(r.bytes, []);
  t.is(r.board.line.events.length, 0);
});

test('ISO 7816-3 §6.2: the first RST rise after power-up is a cold reset, later ones warm; RST low asserts reset', (t) => {
  const calls: string[] = [];
  const card = findCard('t0-fs')!.create(1);
  const spy = Object.create(card);
  for (const m of ['power', 'reset', 'resetAsserted', 'detach']) {
    spy[m] = (...a: unknown[]) => {
      calls.push(`${m}${a.length ? ':' + a.join(',') : ''}`);
      return (card as any)[m](...a);
    };
  }
  spy.attach = (io: any) => card.attach(io);
  spy.receive = (b: number, ok: boolean) => card.receive(b, ok);
  const r = rig(spy);
  r.board.scheduler.runUntilIdle();
  r.contacts.setReset(0);
  r.board.scheduler.runUntilIdle();
  r.contacts.setReset(1);
  r.board.scheduler.runUntilIdle();
  r.contacts.setSupply(null);
  r.contacts.setReset(0);
  r.board.scheduler.runUntilIdle();
  r.contacts.setSupply('B');
  r.contacts.setReset(1);
  r.board.scheduler.runUntilIdle();
  t.deepEqual(calls, ['power:C', 'reset:cold', 'resetAsserted', 'reset:warm', 'power:', 'power:B', 'reset:cold']);
  t.is(hx(r.bytes), '3B021450'.repeat(3));
});

test('ISO 7816-3 §9: a PPS request is echoed and both sides go on at Fi 372 / Di 12', (t) => {
  const { r } = powered('t0-pps');
  t.is(hx(r.bytes), '3B1618AF0102020200');
  t.is(hx(exchange(r, [0xff, 0x10, 0x18, 0xf7])), 'FF1018F7');
  r.uart.close();
  r.bytes.length = 0;
  r.uart = openUart(r.board, r.bytes, r.errors, { D: 12 });
  const before = r.board.line.events.length;
  t.is(hx(exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02])), 'A4');
  t.is(hx(exchange(r, [0x3f, 0x00])), '9000');
  const ev = r.board.line.events.slice(before);
  t.true(ev.every((e) => Math.abs(e.etuNs - ETU / 12) < 1e-6));
  t.deepEqual(r.errors, []);
});

test('ISO 7816-3 §9: the card that refuses PPS stays mute; after a cold reset it works at Fd/Dd', (t) => {
  const { r } = powered('t0-pps-refused');
  t.deepEqual(exchange(r, [0xff, 0x10, 0x18, 0xf7]), []);
  r.contacts.setReset(0);
  r.contacts.setSupply(null);
  r.board.scheduler.advance(10_000_000);
  r.contacts.setSupply('C');
  r.board.scheduler.advance(1_000_000);
  r.contacts.setReset(1);
  r.board.scheduler.runUntilIdle();
  t.is(hx(r.bytes), '3B1618AF0102020200');
  t.is(hx(exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02])), 'A4');
  t.is(hx(exchange(r, [0x3f, 0x00])), '9000');
});

test('ISO 7816-3 §9.2: a PPS request with a wrong PCK gets no answer', (t) => {
  const { r } = powered('t0-pps');
  t.deepEqual(exchange(r, [0xff, 0x10, 0x18, 0x00]), []);
});

test('ISO 7816-3 §10: T=0 over the line: SELECT EF, READ BINARY with INS procedure byte, 6Cxx, UPDATE with NULLs', (t) => {
  const { r } = powered('t0-fs');
  t.is(hx(exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02])), 'A4');
  t.is(hx(exchange(r, [0x00, 0x01])), '9000');
  t.is(hx(exchange(r, [0x00, 0xb0, 0x00, 0x0c, 0x04])), 'B00D0E0F109000');
  t.is(hx(exchange(r, [0x00, 0xb0, 0x00, 0x0c, 0x08])), '6C04');
  t.is(hx(exchange(r, [0x00, 0xd6, 0x00, 0x00, 0x02])), 'D6');
  const reply = exchange(r, [0xaa, 0xbb]);
  t.is(hx(reply), '609000');
  t.is(hx(exchange(r, [0x00, 0xb0, 0x00, 0x00, 0x02])), 'B0AABB9000');
});

test('contacts: presence is debounced; removal cuts the card off; overcurrent removes power and reports', (t) => {
  const card = findCard('t0-fs')!.create(1);
  const b = createSimBoard({ debounceNs: 5_000_000 });
  const events: string[] = [];
  const contacts = new b.contacts({ onPresence: (p) => events.push(`present:${p}`), onFault: (f) => events.push(`fault:${f}`) });
  b.insert(card);
  b.scheduler.advance(4_000_000);
  t.false(contacts.present);
  b.scheduler.advance(1_000_000);
  t.true(contacts.present);
  // A bounce shorter than the debounce time is not reported.
  b.remove();
  b.scheduler.advance(1_000_000);
  b.insert(card);
  b.scheduler.advance(10_000_000);
  t.deepEqual(events, ['present:true']);
  contacts.setSupply('A');
  t.is(b.line.vcc, 5);
  b.fault('overcurrent');
  t.is(b.line.vcc, 0);
  b.scheduler.runUntilIdle();
  t.deepEqual(events, ['present:true', 'fault:overcurrent']);
  t.throws(() => contacts.setClock(1234));
  t.throws(() => new b.contacts({}).setSupply('A' as never) ?? contacts.setSupply('X' as never));
  contacts.close();
  contacts.close();
  b.remove();
  b.scheduler.runUntilIdle();
  t.deepEqual(events, ['present:true', 'fault:overcurrent']);
});

test('contacts: removal while powered: the card is detached and the reader sees nothing more', (t) => {
  const { r } = powered('t0-fs');
  r.bytes.length = 0;
  r.uart.write(0x00);
  r.uart.write(0xb0);
  r.board.remove();
  r.board.scheduler.runUntilIdle();
  t.deepEqual(r.bytes, []);
  t.is(r.board.line.io, 1);
});

test('ISO 7816-3 §10.3.3: the bytewise card moves data one byte per INS ⊕ FF procedure byte', (t) => {
  const { r } = powered('t0-bytewise');
  t.is(hx(exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02])), '5B');
  t.is(hx(exchange(r, [0x3f])), '5B');
  t.is(hx(exchange(r, [0x00])), '9000');
  t.is(hx(exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02])), '5B');
  exchange(r, [0x00]);
  t.is(hx(exchange(r, [0x01])), '9000');
  t.is(hx(exchange(r, [0x00, 0xb0, 0x00, 0x00, 0x02])), '4F014F029000');
});
