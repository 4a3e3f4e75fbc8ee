/**
 * End-to-end checks of the ISO/IEC 7816-3 card session on the simulated board: activation timing,
 * class selection, ATR conventions, PPS, specific mode, T=0 over the simulated line. Timing is read
 * from the line's record (virtual time), never from a wall clock. Runs under Node (ava) and in XS.
 */
import { T0FsCard } from '../../hal/sim/cards/t0-fs.js';
import { MuteCard } from '../../hal/sim/cards/mute.js';
import type { BaseCardOptions } from '../../hal/sim/cards/base.js';
import { bytes, HookCard, rig } from '../session/rig.js';
import { check, hex, type Scenario } from './scenario.js';

const CLOCK = 4e6;
const NS_PER_CYCLE = 1e9 / CLOCK;
/** T=0, TA1 = 96 (Fi 512, fmax 5 MHz, Di 32), two historical bytes. */
const ATR_TA1_96 = '3B1296ABCD';
/** T=0, no interface bytes: Fd/Dd, nothing to negotiate. */
const ATR_PLAIN = '3B02ABCD';

/** A board with class A only, for checks where the class walk is not the subject. */
const CLASS_A = { classes: ['A' as const] };

function fsCard(atr: string, extra: Partial<BaseCardOptions> = {}): T0FsCard {
  return new T0FsCard({ name: 'fs', description: 'T=0 file system', atr: bytes(atr), seed: 7, ...extra });
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

export const scenarios: Scenario[] = [
  {
    name: 'session: ISO 7816-3 §6.2.2 cold reset: VCC, CLK, RST low ≥ 400 cycles, ATR within 400–40 000 cycles of RST',
    run() {
      const r = rig(fsCard(ATR_PLAIN));
      const start = r.board.line.record.length;
      const result = r.powerOn();
      same(result.error, null, 'error');
      same(hex(result.atr), ATR_PLAIN, 'ATR');
      const vcc = r.changes('vcc', start)[0];
      const clk = r.changes('clk', start)[0];
      const rst = r.changes('rst', start).find((c) => c.value === 1)!;
      check(vcc.value === 1.8 && vcc.timeNs <= clk.timeNs, 'VCC (class C first) comes on no later than CLK');
      check(clk.value === CLOCK, `CLK at the board's default ${CLOCK} Hz`);
      const lowCycles = (rst.timeNs - clk.timeNs) / NS_PER_CYCLE;
      check(lowCycles >= 400, `RST low for ${lowCycles} cycles after CLK started (≥ 400)`);
      const ts = r.characters('card')[0];
      const atrCycles = (ts.timeNs - rst.timeNs) / NS_PER_CYCLE;
      check(atrCycles >= 400 && atrCycles <= 40_000, `ATR started ${atrCycles} cycles after RST rose`);
      same(r.slot.attributes.state, 'SPECIFIC', 'reader state');
      // No class indicator means class A only (§8.3): the reader moved from C straight to A.
      same(r.changes('vcc', start).map((c) => c.value), [1.8, 0, 5], 'VCC sequence');
    },
  },
  {
    name: 'session: ISO 7816-3 §6.4 deactivation order RST low → CLK stopped → VCC off',
    run() {
      const r = rig(fsCard(ATR_PLAIN), CLASS_A);
      r.powerOn();
      const start = r.board.line.record.length;
      r.slot.powerOff();
      const order = r.board.line.record.slice(start).filter((c) => c.signal !== 'io').map((c) => `${c.signal}=${c.value}`);
      same(order, ['rst=0', 'clk=0', 'vcc=0'], 'deactivation sequence');
      same(r.slot.attributes.state, 'SWALLOWED', 'reader state after power off');
      same(r.slot.attributes.voltage, null, 'voltage');
    },
  },
  {
    name: 'session: ISO 7816-3 §6.2.2/§6.2.4 mute card: ICC_MUTE after 40 000 cycles, warm reset, classes C → B → A, ≥ 10 ms off',
    run() {
      const r = rig(new MuteCard());
      const result = r.powerOn();
      same(result, { error: 'ICC_MUTE', atr: null }, 'result');
      const vcc = r.changes('vcc');
      same(vcc.map((c) => c.value), [1.8, 0, 3, 0, 5, 0], 'VCC sequence');
      for (let i = 1; i + 1 < vcc.length; i += 2) {
        const off = vcc[i + 1].timeNs - vcc[i].timeNs;
        check(off >= 10e6, `power off ${off} ns between classes (≥ 10 ms)`);
      }
      const rst = r.changes('rst');
      const rises = rst.filter((c) => c.value === 1);
      same(rises.length, 6, 'RST rises (cold + warm reset per class)');
      for (const rise of rises) {
        const fall = rst.find((c) => c.value === 0 && c.timeNs > rise.timeNs)!;
        const waited = (fall.timeNs - rise.timeNs) / NS_PER_CYCLE;
        // Not before 40 000 cycles; after them by what the board needs to act on a deadline at most.
        const late = 200 + (r.board.lateDeadlineNs ?? 0) / NS_PER_CYCLE;
        check(waited >= 40_000 && waited < 40_000 + late, `gave up ${waited} cycles after RST rose (40 000)`);
      }
      same(r.slot.attributes.state, 'SWALLOWED', 'reader state');
    },
  },
  {
    name: 'session: ISO 7816-3 §8.1 an ATR that stops short: 9600 etu later ICC_MUTE, after a warm reset',
    run() {
      // T0 = 05 announces five historical bytes; the card sends one.
      const r = rig(fsCard('3B05AB'), CLASS_A);
      same(r.powerOn(), { error: 'ICC_MUTE', atr: null }, 'result');
      const rst = r.changes('rst');
      same(rst.map((c) => c.value), [1, 0, 1, 0], 'RST: cold reset, warm reset, deactivation');
      const etu = (372 / CLOCK) * 1e9;
      const lastOfFirst = r.characters('card').filter((e) => e.timeNs < rst[1].timeNs).at(-1)!;
      const waited = (rst[1].timeNs - lastOfFirst.timeNs) / etu;
      check(waited >= 9600 && waited < 9620, `gave up ${waited} etu after the last ATR character (9600)`);
    },
  },
  {
    name: 'session: ISO 7816-3 §8.1 TS neither 3B nor 3F → BAD_ATR_TS (after a warm reset)',
    run() {
      const r = rig(fsCard('3A00'), CLASS_A);
      same(r.powerOn(), { error: 'BAD_ATR_TS', atr: null }, 'result');
      same(r.changes('rst').map((c) => c.value), [1, 0, 1, 0], 'cold reset, warm reset, deactivation');
    },
  },
  {
    name: 'session: ISO 7816-3 §8.2.5 TCK that does not check → BAD_ATR_TCK (after a warm reset)',
    run() {
      // TD1 = 81, TD2 = 01 (T=1) make TCK mandatory; T0 ⊕ TD1 ⊕ TD2 = 00 asks for TCK 00, the card sends 55.
      const r = rig(fsCard('3B80810155'), CLASS_A);
      same(r.powerOn(), { error: 'BAD_ATR_TCK', atr: null }, 'result');
      same(r.changes('vcc').map((c) => c.value), [5, 0], 'one activation, then deactivation');
    },
  },
  {
    name: 'session: ISO 7816-3 §6.2.4 class indicator "A only" at class C → power off, class A',
    run() {
      // TD1 80, TD2 1F (T=15), TA3 01: class A only; TCK 1E.
      const atr = '3B80801F011E';
      const r = rig(fsCard(atr));
      const result = r.powerOn();
      same(result.error, null, 'error');
      same(r.changes('vcc').map((c) => c.value), [1.8, 0, 5], 'VCC sequence');
      same(r.slot.attributes.voltage, 'A', 'class in force');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF at class A');
    },
  },
  {
    name: 'session: ISO 7816-3 §6.2.4 explicit class excluded by the indicator → ICC_CLASS_NOT_SUPPORTED',
    run() {
      const r = rig(fsCard('3B80801F011E'));
      same(r.powerOn('B'), { error: 'ICC_CLASS_NOT_SUPPORTED', atr: null }, 'result');
      same(r.changes('vcc').map((c) => c.value), [3, 0], 'VCC sequence');
    },
  },
  {
    name: 'session: ISO 7816-3 §8.1 inverse convention card (TS 3F): ATR and T=0 exchange',
    run() {
      const atr = '3F6525002C09699000';
      const r = rig(fsCard(atr), CLASS_A);
      const result = r.powerOn();
      same(hex(result.atr), atr, 'ATR');
      same(r.slot.attributes.convention, 'inverse', 'convention');
      check(r.characters('reader').every((e) => e.convention === 'inverse'), 'the reader sends in inverse convention');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
    },
  },
  {
    name: 'session: ISO 7816-3 §9 PPS with TA1 96 → FF 10 96 79, Fi 512 / Di 32 in force on the line',
    run() {
      const r = rig(fsCard(ATR_TA1_96), CLASS_A);
      same(r.powerOn().error, null, 'power on');
      const reader = r.characters('reader');
      same(hex(Uint8Array.from(reader.slice(0, 4), (e) => e.byte)), 'FF109679', 'PPS request');
      const card = r.characters('card');
      same(hex(Uint8Array.from(card.slice(5, 9), (e) => e.byte)), 'FF109679', 'PPS response (echo)');
      const a = r.slot.attributes;
      same([a.fiIndex, a.diIndex, a.F, a.D, a.clockHz, a.state], [9, 6, 512, 32, CLOCK, 'SPECIFIC'], 'attributes');
      const first = r.board.line.events.length;
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF at the new rate');
      const header = r.board.line.events.slice(first).filter((e) => e.from === 'reader').slice(0, 5);
      const etu = (512 / (32 * CLOCK)) * 1e9;
      check(header.every((e) => Math.abs(e.etuNs - etu) < 1e-6), 'the reader sends at 4 µs per etu');
      for (let i = 1; i < header.length; i++) {
        const spacing = (header[i].timeNs - header[i - 1].timeNs) / etu;
        check(spacing >= 12 && spacing < 12.5 + (r.board.lateCharacterNs ?? 0) / etu, `characters ${spacing} etu apart (guard time 12 etu at the new etu)`);
      }
    },
  },
  {
    name: 'session: ISO 7816-3 §9.3 PPS unanswered → deactivation, cold reset, default speed without PPS',
    run() {
      const r = rig(fsCard(ATR_TA1_96, { pps: 'mute' }), CLASS_A);
      same(r.powerOn().error, null, 'power on');
      same(r.changes('vcc').map((c) => c.value), [5, 0, 5], 'VCC: off and on again at the same class');
      const requests = r.characters('reader').filter((e) => e.byte === 0xff);
      same(requests.length, 1, 'one PPS request only');
      const a = r.slot.attributes;
      same([a.F, a.D, a.fiIndex, a.diIndex], [372, 1, 1, 1], 'Fd/Dd in force');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF at Fd/Dd');
    },
  },
  {
    name: 'session: ISO 7816-3 §9.3 PPS answered without PPS1 → success at Fd/Dd',
    run() {
      const r = rig(fsCard(ATR_TA1_96, { pps: bytes('FF00FF') }), CLASS_A);
      same(r.powerOn().error, null, 'power on');
      same(r.changes('vcc').map((c) => c.value), [5], 'no new activation');
      same([r.slot.attributes.F, r.slot.attributes.D], [372, 1], 'Fd/Dd');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
    },
  },
  {
    name: 'session: ISO 7816-3 §9 a UART that cannot hold Di 32 makes the reader propose a lower Di',
    run() {
      const r = rig(fsCard(ATR_TA1_96), { ...CLASS_A, uartCapabilities: { maxBaud: 70_000 } });
      same(r.powerOn().error, null, 'power on');
      same(hex(Uint8Array.from(r.characters('reader').slice(0, 4), (e) => e.byte)), 'FF10947B', 'PPS request with Di 8 (62.5 kbit/s)');
      same([r.slot.attributes.F, r.slot.attributes.D], [512, 8], 'rate in force');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
    },
  },
  {
    name: 'session: ISO 7816-3 §8.3 specific mode (TA2): no PPS, the named protocol at once',
    run() {
      // TA1 11, TD1 10 (TA2 follows, T=0), TA2 00: specific T=0, changeable, explicit parameters.
      const r = rig(fsCard('3B901110 00'), CLASS_A);
      same(r.powerOn().error, null, 'power on');
      check(!r.characters('reader').some((e) => e.byte === 0xff), 'no PPS request');
      same([r.slot.attributes.protocol, r.slot.attributes.state], [0, 'SPECIFIC'], 'protocol and state');
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
    },
  },
  {
    name: 'session: ISO 7816-3 §6.2.3 specific mode with an unsupported T and b8 = 0 → warm reset into negotiable mode',
    run() {
      const r = rig(fsCard('3B90111002', { warmAtr: bytes(ATR_TA1_96) }), CLASS_A);
      same(r.powerOn(), { error: null, atr: bytes(ATR_TA1_96) }, 'result: the warm ATR');
      same(r.changes('vcc').map((c) => c.value), [5], 'one power-up');
      same(r.changes('rst').map((c) => c.value), [1, 0, 1], 'RST: cold reset, then warm reset');
      same([r.slot.attributes.F, r.slot.attributes.D], [512, 32], 'PPS after the warm reset');
    },
  },
  {
    name: 'session: ISO 7816-3 §12.2 T=0 FS card: case 3 SELECT, case 4 SELECT + GET RESPONSE, 6Cxx READ, NULLs on UPDATE',
    run() {
      const r = rig(fsCard(ATR_PLAIN), CLASS_A);
      r.powerOn();
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'case 3 SELECT MF');
      const fcp = r.transmit('00A40000020001 00');
      check(fcp.error === null && hex(fcp.response).endsWith('9000') && fcp.response!.length > 2, `case 4 SELECT EF 0001 returns FCP: ${hex(fcp.response)}`);
      const read = r.transmit('00B0000000');
      same(hex(read.response), '0102030405060708090A0B0C0D0E0F109000', 'READ BINARY Le 00 → 6C10 → 16 bytes');
      const update = r.transmit('00D6000004 A1A2A3A4');
      same(hex(update.response), '9000', 'UPDATE BINARY');
      check(update.waits > 0, `the card sent NULL bytes: onWaiting called ${update.waits} times`);
      same(hex(r.transmit('00B0000004').response), 'A1A2A3A49000', 'READ BINARY after UPDATE');
    },
  },
  {
    name: 'session: ISO 7816-4 §7.6.3 case 4E over T=0: ENVELOPE chunks out, 61xx GET RESPONSE chain back',
    run() {
      // ENVELOPE and GET RESPONSE are interindustry commands: CCID bClassEnvelope / bClassGetResponse 00.
      const r = rig(fsCard(ATR_TA1_96), { ...CLASS_A, slot: { classEnvelope: 0x00, classGetResponse: 0x00 } });
      r.powerOn();
      let data = '';
      for (let i = 0; i < 300; i++) data += ((i * 7) & 0xff).toString(16).padStart(2, '0').toUpperCase();
      const echo = r.transmit(`80EE0000 00012C ${data} 0000`);
      same(echo.error, null, 'error');
      same(hex(echo.response), `${data}9000`, 'ECHO of 300 bytes');
      const headers = Uint8Array.from(r.characters('reader'), (e) => e.byte);
      check(hex(headers).includes('10C20000FF'), 'first ENVELOPE carries 255 bytes, chained');
      check(hex(headers).includes('00C2000036'), 'last ENVELOPE carries the remaining 54 bytes, not chained');
    },
  },
  {
    name: 'session: ISO 7816-3 §10.2 WT exceeded → ICC_MUTE after WI·960 etu, then deactivation',
    run() {
      const r = rig(new HookCard({ name: 'silent', description: 'swallows commands', atr: bytes(ATR_PLAIN) }, () => {}), CLASS_A);
      r.powerOn();
      const result = r.transmit('00B0000002');
      same(result.error, 'ICC_MUTE', 'error');
      const last = r.characters('reader').at(-1)!;
      const fall = r.changes('rst').at(-1)!;
      const etu = (372 / CLOCK) * 1e9;
      const waited = (fall.timeNs - last.timeNs) / etu;
      check(waited >= 9600 && waited < 9620, `deactivated ${waited} etu after the last character (WT 9600 etu)`);
      same(r.slot.attributes.state, 'SWALLOWED', 'reader state');
    },
  },
  {
    name: 'session: ISO 7816-3 §7.3 parity errors beyond the repetitions → XFR_PARITY_ERROR',
    run() {
      const r = rig(new HookCard({ name: 'noisy', description: 'bad parity', atr: bytes(ATR_PLAIN) }, (io, _b, _ok, n) => {
        if (n === 5) io.send(0x90, { badParity: true });
      }), CLASS_A);
      r.powerOn();
      same(r.transmit('00B0000002').error, 'XFR_PARITY_ERROR', 'error');
      const sent = r.characters('card').filter((e) => e.byte === 0x90);
      check(sent.length >= 5, `the card sent SW1 ${sent.length} times (1 + 4 repetitions)`);
      check(sent.slice(0, 4).every((e) => e.errorSignalled), 'the reader signalled each error');
    },
  },
  {
    name: 'session: ISO 7816-3 §6.4 card removed mid-command → ICC_MUTE, contacts released, ABSENT',
    run() {
      const r = rig(new HookCard({ name: 'slow', description: 'NULL bytes', atr: bytes(ATR_PLAIN) }, (io, _b, _ok, n) => {
        if (n === 5) for (let i = 0; i < 50; i++) io.send(0x60, { delayEtu: 200 });
      }), CLASS_A);
      r.powerOn();
      let result: unknown = null;
      let waits = 0;
      r.slot.transmitApdu(bytes('00B0000002'), (x) => (result = x), () => waits++);
      r.run(60e6);
      check(waits > 0 && result === null, 'the command is in progress');
      r.board.remove();
      // Past the presence debounce of any board (10 ms on the sim board, 20 ms on the ESP32-S3 ones).
      r.run(50e6);
      same(result, { error: 'ICC_MUTE', response: null }, 'result');
      same(r.changes('vcc').at(-1)!.value, 0, 'VCC off');
      same(r.slot.attributes.state, 'ABSENT', 'reader state');
      same(r.slot.present, false, 'present');
    },
  },
  {
    name: 'session: overcurrent fault during a command → HW_ERROR, card unpowered',
    run() {
      const r = rig(new HookCard({ name: 'silent', description: 'swallows commands', atr: bytes(ATR_PLAIN) }, () => {}), CLASS_A);
      r.powerOn();
      let result: unknown = null;
      r.slot.transmitApdu(bytes('00B0000002'), (x) => (result = x));
      r.run(10e6);
      r.board.fault('overcurrent');
      // Within a few milliseconds (a device's fault pin interrupt reaches its task at the next tick).
      r.run(3e6);
      same(result, { error: 'HW_ERROR', response: null }, 'result');
      same(r.slot.attributes.state, 'SWALLOWED', 'reader state');
    },
  },
  {
    name: 'session: abort during a command → CMD_ABORTED; the slot takes the next command',
    run() {
      const r = rig(fsCard(ATR_PLAIN), CLASS_A);
      r.powerOn();
      let result: unknown = null;
      same(hex(r.transmit('00A4000C020001').response), '9000', 'SELECT EF 0001');
      let waits = 0;
      r.slot.transmitApdu(bytes('00D6000004 A1A2A3A4'), (x) => (result = x), () => waits++);
      r.run(500e6);
      check(waits > 0, 'the card is working (NULL bytes)');
      r.slot.abort();
      same(result, null, 'no result inside abort()');
      // Within a millisecond: the next turn of the scheduler (on a device, of its task).
      r.run(1e6);
      same(result, { error: 'CMD_ABORTED', response: null }, 'result');
      r.run(2e9);
      same(r.transmit('00A4000C023F00').error, null, 'next command');
    },
  },
];
