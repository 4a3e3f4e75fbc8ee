/**
 * End-to-end checks of the session with the built-in simulated cards (hal/sim/cards/registry.ts) and
 * of the optional Slot members the CCID class uses: T=1 set-up, SetParameters (with PPS after a warm
 * reset), the TPDU exchange level for T=0 and T=1, clock stop. Runs under Node (ava) and in XS.
 */
import { findCard } from '../../hal/sim/cards/registry.js';
import { T0FsCard } from '../../hal/sim/cards/t0-fs.js';
import type { SlotError, SlotParameters, TransmitResult } from '../../hal/interfaces/slot.js';
import { bytes, rig, type Rig } from '../session/rig.js';
import { check, hex, type Scenario } from './scenario.js';

const CLOCK = 4e6;
const NS_PER_CYCLE = 1e9 / CLOCK;

function builtIn(name: string) {
  const card = findCard(name);
  check(card !== undefined, `built-in card ${name}`);
  return card.create(1);
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

function parametersOf(r: Rig, changes: Partial<SlotParameters>): SlotParameters {
  const a = r.slot.attributes;
  return {
    protocol: a.protocol!, fiIndex: a.fiIndex, diIndex: a.diIndex, convention: a.convention ?? 'direct', N: a.N, WI: a.WI,
    edc: a.edc, bwi: a.bwi, cwi: a.cwi, ifsc: a.ifsc, nad: a.nad, clockStop: 'not-supported', ...changes,
  };
}

function setParameters(r: Rig, p: SlotParameters): SlotError | null | undefined {
  let result: SlotError | null | undefined;
  r.slot.setParameters!(p, (e) => (result = e));
  r.run(2e9);
  return result;
}

function tpdu(r: Rig, data: string, bwi = 0): TransmitResult {
  let result: TransmitResult | null = null;
  r.slot.transmitTpdu!(bytes(data), bwi, (x) => (result = x));
  r.run(2e9);
  check(result !== null, 'TPDU answered');
  return result;
}

function lrc(h: string): string {
  const b = bytes(h);
  let x = 0;
  for (const v of b) x ^= v;
  return h + hex(Uint8Array.of(x));
}

export const scenarios: Scenario[] = [
  {
    name: 'session: ISO 7816-3 §11.4.2 T=1 card: PPS to Di 4, S(IFS request) IFSD 254 first, then I-blocks',
    run() {
      const r = rig(builtIn('t1'), { classes: ['A'] });
      same(r.powerOn().error, null, 'power on');
      const reader = Uint8Array.from(r.characters('reader'), (e) => e.byte);
      same(hex(reader.subarray(0, 4)), 'FF1113FD', 'PPS request: T=1, Fi 372, Di 4');
      same(hex(reader.subarray(4, 9)), '00C101FE3E', 'first block: S(IFS request) with IFSD 254');
      const a = r.slot.attributes;
      same([a.protocol, a.D, a.ifsd, a.ifsc, a.edc], [1, 4, 254, 254, 'lrc'], 'attributes');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF over T=1');
      same(hex(r.transmit('00A4000C020001').response), '9000', 'SELECT EF 0001 (N(S) alternates)');
      same(hex(r.transmit('00B0000004').response), '010203049000', 'READ BINARY');
    },
  },
  {
    name: 'session: ISO 7816-3 §11.4.3 T=1 card with CRC (TC3 = 01): EDC from the ATR',
    run() {
      const r = rig(builtIn('t1-crc'), { classes: ['A'] });
      same(r.powerOn().error, null, 'power on');
      same(r.slot.attributes.edc, 'crc', 'EDC');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
    },
  },
  {
    name: 'session: ISO 7816-3 §9 dual card: PPS FF 11 18 F6 selects T=1 at power-on; SetParameters T=0 → warm reset, PPS FF 10 18 F7',
    run() {
      const r = rig(builtIn('dual'), { classes: ['A'] });
      same(r.powerOn().error, null, 'power on');
      const atPowerOn = Uint8Array.from(r.board.line.events.filter((e) => e.from === 'reader'), (e) => e.byte);
      same(hex(atPowerOn.subarray(0, 4)), 'FF1118F6', 'PPS request for T=1 with the card\'s Fi/Di');
      same([r.slot.attributes.protocol, r.slot.attributes.ifsd], [1, 254], 'T=1 with IFSD 254');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF over T=1');
      const start = r.board.line.record.length;
      const events = r.board.line.events.length;
      same(setParameters(r, parametersOf(r, { protocol: 0 })), null, 'SetParameters T=0');
      same(r.changes('rst', start).map((c) => c.value), [0, 1], 'warm reset');
      same(r.changes('vcc', start).length, 0, 'VCC stayed on');
      const reader = Uint8Array.from(r.board.line.events.slice(events).filter((e) => e.from === 'reader'), (e) => e.byte);
      same(hex(reader.subarray(0, 4)), 'FF1018F7', 'PPS request for T=0 with the same Fi/Di');
      same(r.slot.attributes.protocol, 0, 'T=0 in force');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF over T=0');
    },
  },
  {
    name: 'session: CCID SetParameters with the same Fi/Di: new WI and N without a reset',
    run() {
      const r = rig(builtIn('t0-fs'), { classes: ['A'] });
      r.powerOn();
      const start = r.board.line.record.length;
      same(setParameters(r, parametersOf(r, { WI: 20, N: 2 })), null, 'SetParameters');
      same(r.changes('rst', start).length + r.changes('vcc', start).length, 0, 'no reset');
      same([r.slot.attributes.WI, r.slot.attributes.N], [20, 2], 'attributes');
      const first = r.board.line.events.length;
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
      const header = r.board.line.events.slice(first).filter((e) => e.from === 'reader').slice(0, 2);
      const spacing = (header[1].timeNs - header[0].timeNs) / header[0].etuNs;
      check(spacing >= 14 && spacing < 14.5, `characters ${spacing} etu apart (12 + N = 14)`);
    },
  },
  {
    name: 'session: CCID SetParameters in specific mode with another Fi/Di → ICC_PROTOCOL_NOT_SUPPORTED',
    run() {
      const card = new T0FsCard({ name: 'specific', description: 'TA2', atr: bytes('3B90111000'), seed: 1 });
      const r = rig(card, { classes: ['A'] });
      r.powerOn();
      same(setParameters(r, parametersOf(r, { diIndex: 3 })), 'ICC_PROTOCOL_NOT_SUPPORTED', 'error');
      same(r.slot.attributes.state, 'SPECIFIC', 'still powered');
    },
  },
  {
    name: 'session: CCID TPDU level, T=0: the header goes out as given, 6Cxx comes back to the host',
    run() {
      const r = rig(builtIn('t0-fs'), { classes: ['A'] });
      r.powerOn();
      same(hex(tpdu(r, '00A4000C02 0001').response), '9000', 'SELECT EF 0001 as a TPDU');
      same(hex(tpdu(r, '00B0000000').response), '6C10', 'READ BINARY P3 = 00: 6C10 not mapped');
      same(hex(tpdu(r, '00B0000010').response), '0102030405060708090A0B0C0D0E0F109000', 'READ BINARY P3 = 10');
    },
  },
  {
    name: 'session: CCID TPDU level, T=1: one raw block out, the card\'s block back',
    run() {
      const r = rig(builtIn('t1'), { classes: ['A'] });
      r.powerOn();
      const reply = tpdu(r, lrc('000007 00A4000C023F00'));
      same(hex(reply.response), lrc('0000029000'), 'I(0) block with 9000');
    },
  },
  {
    name: 'session: ISO 7816-3 §6.3.2 clock stop: CLK stops ≥ 1860 cycles after the last character, restarts ≥ 700 before the next',
    run() {
      // TA3 for T=15 = 41: class A, clock stop "low"; TCK 5E.
      const card = new T0FsCard({ name: 'clock-stop', description: 'XI low', atr: bytes('3B80801F415E'), seed: 1 });
      const r = rig(card, { classes: ['A'] });
      r.powerOn();
      same(r.slot.attributes.clockStop, 'low', 'clock stop indicator');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
      const lastChar = r.board.line.events.at(-1)!;
      const start = r.board.line.record.length;
      let stopped: SlotError | null | undefined;
      r.slot.setClock!(true, (e) => (stopped = e));
      r.run(10e6);
      same(stopped, null, 'clock stopped');
      const stop = r.changes('clk', start)[0];
      same([stop.value, stop.clkLevel], [0, 0], 'CLK stopped low');
      const after = (stop.timeNs - lastChar.timeNs) / NS_PER_CYCLE;
      check(after >= 1860, `CLK stopped ${after} cycles after the last character`);
      same(r.slot.attributes.clockStopped, true, 'attribute');
      const events = r.board.line.events.length;
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'a command restarts the clock');
      const restart = r.changes('clk', start)[1];
      const next = r.board.line.events[events];
      const before = (next.timeNs - restart.timeNs) / NS_PER_CYCLE;
      check(restart.value === CLOCK && before >= 700, `CLK ran ${before} cycles before the next character`);
      same(r.slot.attributes.clockStopped, false, 'attribute after restart');
    },
  },
  {
    name: 'session: overcurrent is reported to onFault and ends the power-on in progress with HW_ERROR',
    run() {
      const r = rig(builtIn('t0-fs'), { classes: ['A'] });
      const faults: string[] = [];
      r.slot.onFault = (f) => faults.push(f);
      let result: unknown = null;
      r.slot.powerOn('auto', (x) => (result = x));
      r.run(1e6);
      r.board.fault('overcurrent');
      // Within a few milliseconds (a device's fault pin interrupt reaches its task at the next tick).
      r.run(3e6);
      same(result, { error: 'HW_ERROR', atr: null }, 'power on result');
      same(faults, ['overcurrent'], 'onFault');
      same(r.slot.attributes.state, 'SWALLOWED', 'reader state');
    },
  },
];
