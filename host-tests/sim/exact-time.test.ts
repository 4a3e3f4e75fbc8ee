/**
 * Exact virtual time (hal/sim/scheduler.ts): the clock counts whole picoseconds from an epoch that
 * moves forward, so a simulation years into virtual time times its characters exactly as one at
 * time 0. Oracles: the same run started at 0 (the golden line traces pin that one), and the
 * arithmetic of etu (ISO 7816-3 §7.1: etu = F / (D · f)).
 */
import test from 'ava';
import { createSimBoard } from '../../hal/sim/board.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { REBASE_ABOVE_TICKS, VirtualScheduler } from '../../hal/sim/scheduler.js';
import { createCardSlot } from '../../firmware/iso7816/session/session.js';
import type { PowerOnResult, TransmitResult } from '../../hal/interfaces/slot.js';
import { ProbeCard, rig } from './helpers.js';
import { echoApdu } from './echo-apdu.js';

const NS_PER_YEAR = 365.25 * 24 * 3600 * 1e9;

test('scheduler: now() and at() in ns round-trip exactly; at(now()) is now, years into virtual time too', (t) => {
  for (const startNs of [0, 10 * NS_PER_YEAR, 2000 * NS_PER_YEAR]) {
    const s = new VirtualScheduler({ startNs });
    s.advance(1.5);
    const ticks = s.ticks;
    t.is(s.toTicks(s.now()), ticks, `${startNs}: now() maps back to the exact tick`);
    let ranAt = -1;
    s.at(s.now(), () => (ranAt = s.ticks));
    s.runUntilIdle();
    t.is(ranAt, ticks, 'at(now()) runs now, not a tick later');
    const before = s.exactPs;
    s.advance(0.001);
    t.is(s.exactPs - before, 1n, 'one picosecond is one tick');
  }
});

test('scheduler: the epoch moves before the count outgrows a double; pending events keep their times and order', (t) => {
  const s = new VirtualScheduler({ rebaseAboveTicks: 2_000_000 });
  const moves: number[] = [];
  s.onRebase((delta) => moves.push(delta));
  const seen: [string, bigint][] = [];
  // Far apart and at equal times: order by (time, scheduling order) must survive every move.
  for (const [name, ns] of [['c', 10_000], ['a', 3_000.5], ['b', 3_000.5], ['d', 10_000_000]] as const) {
    s.at(ns, () => seen.push([name, s.exactPs]));
  }
  s.runUntilIdle();
  t.deepEqual(seen, [['a', 3_000_500n], ['b', 3_000_500n], ['c', 10_000_000n], ['d', 10_000_000_000n]]);
  t.true(moves.length >= 2, `${moves.length} moves`);
  t.true(s.ticks < 2_000_000, 'the count stays below the bound');
  t.is(s.now(), 10_000_000);
  // runUntil to a time far beyond the bound: the clock lands exactly there.
  s.runUntil(5 * NS_PER_YEAR);
  t.is(s.exactPs, BigInt(5 * NS_PER_YEAR) * 1000n);
  t.true(REBASE_ABOVE_TICKS < 2 ** 53 / 4, 'the default bound leaves room for any etu multiple');
});

/** Reader and card exchange characters on the probe rig; every delivery with its exact time since the rig was ready. */
function probeRun(startNs: number): string[] {
  const card = new ProbeCard();
  const scheduler = new VirtualScheduler({ startNs });
  const log: string[] = [];
  const r = rig(card, {
    onReadable() {
      for (let x = r.uart.read(); x !== undefined; x = r.uart.read()) log.push(`${scheduler.exactPs - origin} reader got ${x}`);
    },
    onError(e) {
      log.push(`${scheduler.exactPs - origin} reader error ${e}`);
    },
  }, { scheduler });
  const origin = scheduler.exactPs;
  const receive = card.receive.bind(card);
  card.receive = (byte, parityOk) => {
    log.push(`${scheduler.exactPs - origin} card got ${byte} ${parityOk}`);
    receive(byte, parityOk);
  };
  for (const b of [0x00, 0xa4, 0x04, 0x00, 0x07]) r.uart.write(b);
  scheduler.runUntilIdle();
  for (const b of [0xa4, 0x90, 0x00]) card.io.send(b);
  card.io.send(0x55, { badParity: true, badParityTimes: 1 });
  r.uart.setDeadlines(50, 20);
  scheduler.runUntilIdle();
  // A faster rate (Fi 512, Di 32 at 4 MHz: 4 µs) with a guard time of N = 3.
  r.uart.close();
  card.io.setRate(512, 32);
  const fast = new (r.board.uart)({
    clockHz: 4e6, F: 512, D: 32, convention: 'direct', N: 3, protocol: 0, repetitions: 3,
    onReadable() {
      for (let x = fast.read(); x !== undefined; x = fast.read()) log.push(`${scheduler.exactPs - origin} fast reader got ${x}`);
    },
  });
  for (const b of [1, 2, 3]) fast.write(b);
  scheduler.runUntilIdle();
  card.io.send(0x42);
  scheduler.runUntilIdle();
  log.push(`${scheduler.exactPs - origin} end`);
  return log;
}

test('ISO 7816-3 §7.1 character timing 10 and 2000 years into virtual time is the picosecond-exact timing at time 0', (t) => {
  const atZero = probeRun(0);
  t.true(atZero.length >= 15);
  t.deepEqual(probeRun(10 * NS_PER_YEAR), atZero);
  t.deepEqual(probeRun(2000 * NS_PER_YEAR), atZero);
});

/** Power-on (ATR, PPS) and APDUs through the ISO 7816-3 session: the ATR, protocol and every response. */
function sessionRun(cardName: string, startNs: number, apdus: Uint8Array[]): string[] {
  const scheduler = new VirtualScheduler({ startNs });
  const board = createSimBoard({ card: findCard(cardName)!.create(1), scheduler, recording: false });
  const slot = createCardSlot({ contacts: board.contacts, uart: board.uart, scheduler });
  const until = <T>(get: () => T | null): T => {
    for (let value = get(); ; value = get()) {
      if (value !== null) return value;
      if (scheduler.runUntilIdle(Infinity, 1000) && get() === null) throw new Error('idle');
    }
  };
  scheduler.advance(20e6);
  let power: PowerOnResult | null = null;
  slot.powerOn('auto', (r) => (power = r));
  const p = until(() => power);
  const out = [`${p.error} ${p.atr?.join(',')} T=${slot.attributes.protocol} F=${slot.attributes.F} D=${slot.attributes.D}`];
  for (const apdu of apdus) {
    let result: TransmitResult | null = null;
    slot.transmitApdu(apdu, (x) => (result = x));
    const r = until(() => result);
    out.push(`${r.error} ${r.response === null ? null : Buffer.from(r.response).toString('hex')}`);
  }
  return out;
}

test('a session 2000 years into virtual time (beyond 5·10^19 ns, where a float clock lost the etu) negotiates and exchanges as at time 0', (t) => {
  const apdus = [Uint8Array.of(0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00), echoApdu(300)];
  for (const card of ['t0-pps-fast', 't1']) {
    const atZero = sessionRun(card, 0, apdus);
    t.regex(atZero[0], /^null /, `${card} powers on`);
    t.true(atZero.slice(1).every((line) => line.startsWith('null ') && line.endsWith('9000')), `${card}: ${atZero.join(' | ')}`);
    t.deepEqual(sessionRun(card, 2000 * NS_PER_YEAR, apdus), atZero, card);
  }
});
