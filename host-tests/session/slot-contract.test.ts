/**
 * The Slot contract at its edges (slot.ts): results always come from the scheduler's loop, a slot
 * refuses what its state does not allow, and removal, power-off and abort end what is pending.
 */
import test from 'ava';
import { findCard } from '../../hal/sim/cards/registry.js';
import type { PowerOnResult, TransmitResult } from '../../hal/interfaces/slot.js';
import { bytes, rig } from './rig.js';

const t0fs = () => findCard('t0-fs')!.create(1);

test('slot.ts: powerOn without a card → ICC_MUTE, delivered from the loop', (t) => {
  const r = rig(null);
  let result: PowerOnResult | null = null;
  r.slot.powerOn('auto', (x) => (result = x));
  t.is(result, null);
  r.run(1);
  t.deepEqual(result, { error: 'ICC_MUTE', atr: null });
  t.is(r.slot.attributes.state, 'ABSENT');
});

test('slot.ts: transmit on an unpowered card → ICC_MUTE; during activation → CMD_SLOT_BUSY', (t) => {
  const r = rig(t0fs(), { classes: ['A'] });
  t.is(r.transmit('00A4000C023F00').error, 'ICC_MUTE');
  let power: PowerOnResult | null = null;
  r.slot.powerOn('auto', (x) => (power = x));
  let second: PowerOnResult | null = null;
  r.slot.powerOn('auto', (x) => (second = x));
  let busy: TransmitResult | null = null;
  r.slot.transmitApdu(bytes('00A4000C023F00'), (x) => (busy = x));
  r.run(1e6);
  t.deepEqual(second, { error: 'CMD_SLOT_BUSY', atr: null });
  t.deepEqual(busy, { error: 'CMD_SLOT_BUSY', response: null });
  t.is(r.slot.attributes.state, 'POWERED');
  r.run(1e9);
  t.is(power!.error, null);
});

test('ISO 7816-3 §6.2.4 an explicit class the board lacks → ICC_CLASS_NOT_SUPPORTED without powering', (t) => {
  const r = rig(t0fs(), { classes: ['B', 'A'] });
  t.deepEqual(r.powerOn('C'), { error: 'ICC_CLASS_NOT_SUPPORTED', atr: null });
  t.is(r.changes('vcc').length, 0);
});

test('ISO 7816-3 §6.2.3 powerOn on a powered card is a warm reset at the same class', (t) => {
  const r = rig(t0fs(), { classes: ['A'] });
  r.powerOn();
  const start = r.board.line.record.length;
  t.is(r.powerOn().error, null);
  t.deepEqual(r.changes('rst', start).map((c) => c.value), [0, 1]);
  t.is(r.changes('vcc', start).length, 0);
});

test('ISO 7816-3 §6.4 card removed during activation → ICC_MUTE, ABSENT, contacts released', (t) => {
  const r = rig(t0fs(), { classes: ['A'] });
  let result: PowerOnResult | null = null;
  r.slot.powerOn('auto', (x) => (result = x));
  r.run(2e6);
  r.board.remove();
  r.run(20e6);
  t.deepEqual(result, { error: 'ICC_MUTE', atr: null });
  t.is(r.slot.attributes.state, 'ABSENT');
  t.is(r.changes('vcc').at(-1)!.value, 0);
});

test('slot.ts: powerOff during activation ends it with CMD_ABORTED and deactivates', (t) => {
  const r = rig(t0fs(), { classes: ['A'] });
  let result: PowerOnResult | null = null;
  r.slot.powerOn('auto', (x) => (result = x));
  r.run(2e6);
  r.slot.powerOff();
  t.is(result, null);
  r.run(1);
  t.deepEqual(result, { error: 'CMD_ABORTED', atr: null });
  t.is(r.slot.attributes.state, 'SWALLOWED');
  t.is(r.changes('vcc').at(-1)!.value, 0);
});

test('slot.ts: presence changes reach onPresence; attributes follow the reader state', (t) => {
  const r = rig(t0fs(), { classes: ['A'] });
  const seen: boolean[] = [];
  r.slot.onPresence = (p) => seen.push(p);
  t.is(r.slot.attributes.state, 'SWALLOWED');
  r.board.remove();
  r.run(20e6);
  r.board.insert(t0fs());
  r.run(20e6);
  t.deepEqual(seen, [false, true]);
  t.true(r.slot.present);
});
