import test from 'ava';
import fc from 'fast-check';
import { parseScriptedCard, type ScriptedCard } from '../../hal/sim/cards/scripted.js';
import { rig, exchange, hx, openUart } from './helpers.js';

function card(json: unknown): ScriptedCard {
  const parsed = parseScriptedCard(json);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.card;
}

function powered(c: ScriptedCard, uart = {}) {
  const r = rig(c, { convention: 'detect', ...uart });
  r.board.scheduler.runUntilIdle();
  return r;
}

const T0_SCRIPT = {
  name: 'scripted-t0',
  atr: '3B 02 14 50',
  steps: [
    { expect: '00A4000C02', reply: ['A4'] },
    { expect: '3F00', reply: ['9000'] },
    { expect: '00B0000004', reply: ['60', { waitEtu: 2000 }, 'B0 01020304 9000'] },
    { expect: '*', reply: [{ mute: true }] },
    { expect: '0084000008', reply: [{ badParity: '6A' }, '86'] },
  ],
};

test('scripted card: T=0 steps: header, data after INS, NULL and waitEtu, mute until reset', (t) => {
  const c = card(T0_SCRIPT);
  const r = powered(c);
  t.is(hx(r.bytes), '3B021450');
  t.is(hx(exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02])), 'A4');
  t.is(hx(exchange(r, [0x3f, 0x00])), '9000');
  const before = r.board.line.events.length;
  t.is(hx(exchange(r, [0x00, 0xb0, 0x00, 0x00, 0x04])), '60B0010203049000');
  const ev = r.board.line.events.slice(before).filter((e) => e.from === 'card');
  t.is(Math.round((ev[1].timeNs - ev[0].timeNs) / ev[0].etuNs), 2000);
  t.deepEqual(exchange(r, [0x00, 0xca, 0x00, 0x00, 0x00]), []);
  t.deepEqual(c.status(), { completed: false, failedStep: null, reason: 'ended before step 5 of 5' });
  // A warm reset replays the ATR without consuming a step.
  r.contacts.setReset(0);
  r.board.scheduler.advance(1_000_000);
  r.bytes.length = 0;
  r.contacts.setReset(1);
  r.board.scheduler.runUntilIdle();
  t.is(hx(r.bytes), '3B021450');
  // T=0: the badParity item ends the reply; the '86' after it is not sent.
  t.is(hx(exchange(r, [0x00, 0x84, 0x00, 0x00, 0x08])), '6A');
  t.deepEqual(r.errors, ['parity']);
  t.deepEqual(c.status(), { completed: true, failedStep: null, reason: null });
});

test('scripted card: a mismatch fails the script with the 1-based step and a reason, and the card goes mute', (t) => {
  const c = card(T0_SCRIPT);
  const r = powered(c);
  t.is(hx(exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02])), 'A4');
  t.deepEqual(exchange(r, [0x3f, 0x01]), []);
  t.deepEqual(c.status(), { completed: false, failedStep: 2, reason: 'expected 3F00, got 3F01' });
  r.contacts.setReset(0);
  r.contacts.setReset(1);
  r.board.scheduler.runUntilIdle();
  t.deepEqual(r.bytes, []);
});

test('scripted card: T=1 blocks framed by LEN with LRC, PPS echo', (t) => {
  const c = card({
    atr: '3B 80 80 01 01',
    steps: [
      { expect: '00C1 01 FE 3E', reply: ['E0 C1 01 FE 1E'] },
      { expect: '*', reply: ['00 00 02 90 00 92'] },
    ],
  });
  const r = powered(c, { protocol: 1, repetitions: 0 });
  t.is(hx(r.bytes), '3B80800101');
  t.is(hx(exchange(r, [0xff, 0x01, 0xfe])), 'FF01FE');
  t.is(hx(exchange(r, [0x00, 0xc1, 0x01, 0xfe, 0x3e])), 'E0C101FE1E');
  t.is(hx(exchange(r, [0x00, 0x00, 0x05, 0x00, 0xa4, 0x00, 0x00, 0x00, 0xa1])), '0000029000' + '92');
  t.deepEqual(c.status(), { completed: true, failedStep: null, reason: null });
  exchange(r, [0x00, 0x00]);
  t.deepEqual(c.status(), { completed: false, failedStep: 3, reason: 'unexpected transmission after the last step: 00' });
});

test('scripted card: a T=1 block with CRC (TC3 b1 = 1) is two EDC bytes long', (t) => {
  const c = card({ atr: '3B 80 81 41 01 41', pps: 'mute', steps: [{ expect: '*', reply: ['AA'] }] });
  const r = powered(c, { protocol: 1, repetitions: 0 });
  t.is(hx(exchange(r, [0x00, 0x00, 0x01, 0x55, 0x11])), '');
  t.is(hx(exchange(r, [0x22])), 'AA');
  t.true(c.status().completed);
});

test('scripted card: PPS mute and a custom PPS reply', (t) => {
  const mute = card({ atr: '3B 11 18 00', pps: 'mute', steps: [] });
  const r = powered(mute);
  t.deepEqual(exchange(r, [0xff, 0x10, 0x18, 0xf7]), []);
  const custom = card({ atr: '3B 11 18 00', pps: 'FF 00 FF', steps: [{ expect: '00A4000000', reply: ['9000'] }] });
  const r2 = powered(custom);
  t.is(hx(exchange(r2, [0xff, 0x10, 0x18, 0xf7])), 'FF00FF');
  // The reply kept Fd/Dd: the reader goes on at the default rate.
  r2.uart.close();
  r2.uart = openUart(r2.board, r2.bytes, r2.errors);
  t.is(hx(exchange(r2, [0x00, 0xa4, 0x00, 0x00, 0x00])), '9000');
});

test('scripted card: parse errors name the field', (t) => {
  const err = (j: unknown) => {
    const p = parseScriptedCard(j);
    return 'error' in p ? p.error : 'ok';
  };
  t.is(err(null), 'the script must be a JSON object');
  t.is(err({ steps: [] }), 'atr: must be a HEX string');
  t.is(err({ atr: '3B0', steps: [] }), 'atr: odd length: 3 hex digits (two per byte)');
  t.is(err({ atr: ' ', steps: [] }), 'atr: must be non-empty HEX');
  t.is(err({ atr: '3B00', steps: [], pps: 'maybe' }), 'pps: must be "echo", "mute" or non-empty HEX (not hex: \'m\' at character 1)');
  t.is(err({ atr: '3B00', steps: [], pps: 'FF 10 1' }), 'pps: must be "echo", "mute" or non-empty HEX (odd length: 5 hex digits (two per byte))');
  t.is(err({ atr: '3B00', steps: [], atrDelayCycles: -1 }), 'atrDelayCycles: must be a number ≥ 0');
  t.is(err({ atr: '3B00' }), 'steps: must be an array');
  t.is(err({ atr: '3B00', steps: [{ expect: '' }] }), 'steps[0].expect: must be "*" or non-empty HEX');
  t.is(err({ atr: '3B00', steps: [{ expect: '*', reply: [{ waitEtu: 'x' }] }] }), 'steps[0].reply[0].waitEtu: must be a number ≥ 0');
  t.is(err({ atr: '3B00', steps: [{ expect: '*', reply: [{ mute: false }] }] }), 'steps[0].reply[0]: must be HEX, {"waitEtu": n}, {"badParity": HEX} or {"mute": true}');
  t.is(err({ atr: '3b 00', name: 'x', steps: [{ expect: 'aa bb', reply: ['cc', { badParity: 'dd' }] }] }), 'ok');
});

test('scripted card: parsing never throws on any JSON value (property)', (t) => {
  const hexish = fc.constantFrom('3B00', '*', 'zz', '', '3b 02 14 50', 'A4');
  const item = fc.oneof(hexish, fc.record({ waitEtu: fc.oneof(fc.integer(), fc.double(), fc.string()) }),
    fc.record({ badParity: fc.oneof(hexish, fc.integer()) }), fc.record({ mute: fc.oneof(fc.boolean(), fc.constant(1)) }), fc.jsonValue());
  const step = fc.oneof(fc.record({ expect: hexish, reply: fc.array(item, { maxLength: 4 }) }, { requiredKeys: [] }), fc.jsonValue());
  const script = fc.record({ name: fc.oneof(fc.string(), fc.integer()), atr: fc.oneof(hexish, fc.integer()), pps: fc.oneof(hexish, fc.constantFrom('echo', 'mute')), steps: fc.oneof(fc.array(step, { maxLength: 5 }), fc.jsonValue()) }, { requiredKeys: [] });
  fc.assert(fc.property(fc.oneof(script, fc.jsonValue()), (json) => {
    const p = parseScriptedCard(json);
    return 'card' in p ? typeof p.card.status().completed === 'boolean' : typeof p.error === 'string';
  }), { numRuns: 500 });
  t.pass();
});
