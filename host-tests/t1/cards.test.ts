/**
 * The built-in T=1 cards (registry names `t1`, `t1-crc`, `dual`) through the session: ATR, PPS to the
 * card's TA1, T=1 set-up (S(IFS) first), APDUs on the ISO 7816-4 file system.
 */
import test from 'ava';
import { findCard } from '../../hal/sim/cards/registry.js';
import { DualProtocolCard, T1FsCard } from '../../hal/sim/cards/t1-card.js';
import { rig } from '../session/rig.js';
import { hex } from '../scenarios/scenario.js';

function readBinary(r: ReturnType<typeof rig>, n: number): string | null {
  r.transmit('00A4000C021000');
  r.transmit('00A4000C021001');
  const x = r.transmit(`00B00000${n.toString(16).padStart(2, '0')}`);
  return x.error ?? hex(x.response);
}

function expectedRead(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((i + 1) & 0xff).toString(16).padStart(2, '0').toUpperCase();
  return `${s}9000`;
}

test('registry `t1`: Yubikey 4 ATR (smartcard_list.txt), PPS to Di 4, T=1 with LRC, IFSC 254, IFSD 254', (t) => {
  const entry = findCard('t1');
  t.truthy(entry);
  const r = rig(entry!.create(1));
  t.is(r.powerOn().error, null);
  const a = r.slot.attributes;
  t.like(a, { protocol: 1, D: 4, edc: 'lrc', ifsc: 254, ifsd: 254, bwi: 1, cwi: 5 });
  t.is(readBinary(r, 200), expectedRead(200));
  // §11.2 BGT: between the leading edges of the last character of a block and the first of the next
  // block in the other direction, at least 22 etu (measured on the line, both directions).
  const etuNs = (a.F * 1e9) / (a.D * a.clockHz);
  const ev = r.board.line.events.filter((e) => e.timeNs > 0);
  let turns = 0;
  for (let i = 1; i < ev.length; i++) {
    if (ev[i].from === ev[i - 1].from || ev[i - 1].etuNs !== ev[i].etuNs || Math.abs(ev[i].etuNs - etuNs) > 1) continue;
    turns++;
    t.true(ev[i].timeNs - ev[i - 1].timeNs >= 22 * etuNs - 1e-6, `turnaround ${(ev[i].timeNs - ev[i - 1].timeNs) / etuNs} etu`);
  }
  t.true(turns >= 6, `${turns} turnarounds`);
});

test('registry `t1-crc`: TC3 = 01 → CRC (2-byte EDC, libccid byte order) end to end', (t) => {
  const r = rig(findCard('t1-crc')!.create(2));
  t.is(r.powerOn().error, null);
  t.like(r.slot.attributes, { protocol: 1, edc: 'crc' });
  t.is(readBinary(r, 0), expectedRead(256));
  const chars = r.characters('reader');
  t.true(chars.length > 0);
});

test('registry `dual`: ATR offers T=0 and T=1 (SmartCafe Expert 3.2); the reader\'s PPS picks a protocol and APDUs work in it', (t) => {
  const card = findCard('dual')!.create(3) as DualProtocolCard;
  const r = rig(card);
  t.is(r.powerOn().error, null);
  const a = r.slot.attributes;
  t.log(`dual card: T=${a.protocol} at F ${a.F} D ${a.D}`);
  t.true(a.protocol === 0 || a.protocol === 1);
  t.is(readBinary(r, 64), expectedRead(64));
});

test('dual card: with T=1 asked for by PPS the card runs T=1 (S(IFS) first), otherwise T=0', (t) => {
  const card = new DualProtocolCard({ record: true });
  const r = rig(card);
  t.is(r.powerOn().error, null);
  if (r.slot.attributes.protocol === 1) t.is(card.engine.history[0], '< S(IFS req)');
  else t.deepEqual(card.engine.history, []);
  const t1 = new T1FsCard();
  t.is(t1.name, 't1');
});
