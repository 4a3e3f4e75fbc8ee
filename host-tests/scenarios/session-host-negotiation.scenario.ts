/**
 * End-to-end checks of the CCID TPDU exchange level with the host negotiating (dwFeatures TPDU without
 * 0x40/0x80: libccid sends its own PPS right after IccPowerOn, then SetParameters, then raw T=1
 * blocks or T=0 TPDUs), and of specific mode with explicit TA1 on both sides of the line. The host's
 * blocks are built with the firmware's T=1 codec. Runs under Node (ava) and in XS.
 */
import { findCard } from '../../hal/sim/cards/registry.js';
import { T0FsCard } from '../../hal/sim/cards/t0-fs.js';
import { dualCard } from '../../hal/sim/cards/t1-card.js';
import type { PowerOnResult, SlotError, SlotParameters, TransmitResult } from '../../hal/interfaces/slot.js';
import { BLOCK_MAX, decodeBlock, encodeI, encodeS } from '../../firmware/iso7816/t1/block.js';
import { bytes, HookCard, rig, type Rig } from '../session/rig.js';
import { check, hex, sameRate, type Scenario } from './scenario.js';

const CLOCK = 4e6;
const CLASS_A = { classes: ['A' as const] };
const HOST = { negotiation: 'host' as const };

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

function hostPowerOn(r: Rig): PowerOnResult {
  let result: PowerOnResult | null = null;
  r.slot.powerOn('auto', (x) => (result = x), HOST);
  r.run(1e9);
  check(result !== null, 'power on answered');
  return result;
}

function tpdu(r: Rig, data: Uint8Array | string, bwi = 0): TransmitResult & { atNs: number } {
  let result: TransmitResult | null = null;
  let atNs = 0;
  r.slot.transmitTpdu!(typeof data === 'string' ? bytes(data) : data, bwi, (x) => {
    result = x;
    atNs = r.board.scheduler.now();
  });
  r.run(2e9);
  check(result !== null, 'TPDU answered');
  return { ...(result as TransmitResult), atNs };
}

function setParameters(r: Rig, changes: Partial<SlotParameters>): SlotError | null | undefined {
  const a = r.slot.attributes;
  const p: SlotParameters = {
    protocol: a.protocol!, fiIndex: a.fiIndex, diIndex: a.diIndex, convention: a.convention ?? 'direct', N: a.N, WI: a.WI,
    edc: a.edc, bwi: a.bwi, cwi: a.cwi, ifsc: a.ifsc, nad: a.nad, clockStop: 'not-supported', ...changes,
  };
  let result: SlotError | null | undefined;
  r.slot.setParameters!(p, (e) => (result = e));
  r.run(1e9);
  return result;
}

const block = new Uint8Array(BLOCK_MAX);

function sIfsRequest(ifsd: number): Uint8Array {
  return block.slice(0, encodeS(block, 0, 'IFS', false, ifsd, 'lrc'));
}

function iBlock(ns: 0 | 1, apdu: string): Uint8Array {
  const data = bytes(apdu);
  return block.slice(0, encodeI(block, 0, ns, false, data, 0, data.length, 'lrc'));
}

function readerBytes(r: Rig, from: number): string {
  return hex(Uint8Array.from(r.board.line.events.slice(from).filter((e) => e.from === 'reader'), (e) => e.byte));
}

/** A T=1 session run by the host: S(IFS) first, then SELECT MF and READ BINARY as I-blocks. */
function hostT1(r: Rig, etuNs: number): void {
  const ifs = tpdu(r, sIfsRequest(254));
  same(ifs.error, null, 'S(IFS request) error');
  const ifsReply = decodeBlock(ifs.response!, ifs.response!.length, 'lrc');
  same(ifsReply, { kind: 'S', nad: 0, type: 'IFS', response: true, value: 254 }, 'S(IFS response 254)');
  same(r.slot.attributes.ifsd, 32, 'the slot did not negotiate IFSD itself');
  const first = r.board.line.events.length;
  const select = tpdu(r, iBlock(0, '00A4000C023F00'));
  const selected = decodeBlock(select.response!, select.response!.length, 'lrc');
  check(selected.kind === 'I' && hex(selected.inf) === '9000' && selected.ns === 0, `I(0) with 9000, got ${JSON.stringify(selected)}`);
  const sent = r.board.line.events.slice(first).filter((e) => e.from === 'reader');
  check(sent.length > 0 && sent.every((e) => sameRate(e.etuNs, etuNs)), `the I-block went out at ${etuNs} ns per etu`);
  const read = tpdu(r, iBlock(1, '00A4000C020001'));
  const readReply = decodeBlock(read.response!, read.response!.length, 'lrc');
  check(readReply.kind === 'I' && hex(readReply.inf) === '9000' && readReply.ns === 1, 'I(1) SELECT EF 0001 → 9000');
}

export const scenarios: Scenario[] = [
  {
    name: 'session host PPS: ISO 7816-3 §9 T=1 card: NEGOTIABLE after the ATR, raw PPS FF 11 13 FD, Di 4, host S(IFS) and I-blocks',
    run() {
      const r = rig(builtIn('t1'), CLASS_A);
      same(hostPowerOn(r).error, null, 'power on');
      same(r.slot.attributes.state, 'NEGOTIABLE', 'state after the ATR');
      same([r.slot.attributes.protocol, r.slot.attributes.F, r.slot.attributes.D], [1, 372, 1], 'attributes: default protocol at Fd/Dd');
      same(readerBytes(r, 0), '', 'the reader sent nothing of its own');
      const pps = tpdu(r, 'FF1113FD');
      same([pps.error, hex(pps.response)], [null, 'FF1113FD'], 'PPS response returned to the host');
      const a = r.slot.attributes;
      same([a.state, a.protocol, a.fiIndex, a.diIndex, a.F, a.D], ['SPECIFIC', 1, 1, 3, 372, 4], 'PPS1 in force');
      same(setParameters(r, { protocol: 1, fiIndex: 1, diIndex: 3, ifsc: 254, bwi: 1, cwi: 5 }), null, 'SetParameters after the PPS');
      same([r.slot.attributes.ifsc, r.slot.attributes.bwi, r.slot.attributes.cwi], [254, 1, 5], 'T=1 parameters from SetParameters');
      hostT1(r, (372 / (4 * CLOCK)) * 1e9);
    },
  },
  {
    name: 'session host PPS: ISO 7816-3 §9.2 dual card: raw PPS FF 11 18 F6 selects T=1 at Di 12 over the default T=0',
    run() {
      const r = rig(dualCard({ seed: 1 }), CLASS_A);
      same(hostPowerOn(r).error, null, 'power on');
      same([r.slot.attributes.state, r.slot.attributes.protocol], ['NEGOTIABLE', 0], 'negotiable, default T=0');
      const pps = tpdu(r, 'FF1118F6');
      same([pps.error, hex(pps.response)], [null, 'FF1118F6'], 'PPS echoed');
      same([r.slot.attributes.protocol, r.slot.attributes.D], [1, 12], 'T=1 at Di 12');
      same(setParameters(r, { protocol: 1, fiIndex: 1, diIndex: 8, ifsc: 254, bwi: 4, cwi: 5 }), null, 'SetParameters T=1');
      hostT1(r, (372 / (12 * CLOCK)) * 1e9);
    },
  },
  {
    name: 'session host PPS: ISO 7816-3 §9 PPS-asking T=0 card: raw PPS FF 10 18 F7, then T=0 TPDUs at Di 12',
    run() {
      const r = rig(builtIn('t0-pps'), CLASS_A);
      same(hostPowerOn(r).error, null, 'power on');
      same(hex(tpdu(r, 'FF1018F7').response), 'FF1018F7', 'PPS echoed');
      same(setParameters(r, { protocol: 0, fiIndex: 1, diIndex: 8 }), null, 'SetParameters with PPS1');
      const first = r.board.line.events.length;
      same(hex(tpdu(r, '00A4000C02 0001').response), '9000', 'SELECT EF 0001');
      same(hex(tpdu(r, '00B0000004').response), '010203049000', 'READ BINARY');
      const etu = (372 / (12 * CLOCK)) * 1e9;
      check(r.board.line.events.slice(first).every((e) => sameRate(e.etuNs, etu)), 'both sides at Di 12');
    },
  },
  {
    name: 'session host PPS: ISO 7816-3 §9 without PPS the first TPDU means the default protocol at Fd/Dd',
    run() {
      const r = rig(builtIn('t0-pps'), CLASS_A);
      same(hostPowerOn(r).error, null, 'power on');
      same(r.slot.attributes.state, 'NEGOTIABLE', 'negotiable');
      const first = r.board.line.events.length;
      const reply = tpdu(r, '00A4000C02 3F00');
      same([reply.error, hex(reply.response)], [null, '9000'], 'SELECT MF as a TPDU');
      same(readerBytes(r, first).slice(0, 10), '00A4000C02', 'the header went out first, no PPS');
      const a = r.slot.attributes;
      same([a.state, a.protocol, a.F, a.D], ['SPECIFIC', 0, 372, 1], 'T=0 at Fd/Dd');
    },
  },
  {
    name: 'session host PPS: libccid SetParameters in NEGOTIABLE (no PPS needed): T=0 at Fd/Dd with the host\'s WI',
    run() {
      const r = rig(builtIn('t0-fs'), CLASS_A);
      same(hostPowerOn(r).error, null, 'power on');
      same(r.slot.attributes.state, 'NEGOTIABLE', 'negotiable');
      same(setParameters(r, { protocol: 0, fiIndex: 1, diIndex: 1, WI: 20 }), null, 'SetParameters');
      same([r.slot.attributes.state, r.slot.attributes.WI], ['SPECIFIC', 20], 'specific with WI 20');
      same(hex(tpdu(r, '00A4000C02 3F00').response), '9000', 'SELECT MF');
      same(r.changes('rst').map((c) => c.value), [1], 'no warm reset');
    },
  },
  {
    name: 'session host PPS: ISO 7816-3 §9.3 an unanswered PPS → ICC_MUTE and deactivation',
    run() {
      const r = rig(builtIn('t0-pps-refused'), CLASS_A);
      same(hostPowerOn(r).error, null, 'power on');
      const sentAt = r.board.scheduler.now();
      const pps = tpdu(r, 'FF1018F7');
      same([pps.error, pps.response], ['ICC_MUTE', null], 'result');
      const etu = (372 / CLOCK) * 1e9;
      check(pps.atNs - sentAt >= 9600 * etu, 'the reader waited the initial waiting time');
      same(r.slot.attributes.state, 'SWALLOWED', 'deactivated');
      same(r.changes('vcc').map((c) => c.value), [5, 0], 'VCC off');
      same(hostPowerOn(r).error, null, 'the host can power on again');
    },
  },
  {
    name: 'session host PPS: abort during the host\'s PPS → CMD_ABORTED and deactivation (§9.3: the rate is unknown)',
    run() {
      const r = rig(builtIn('t0-pps-refused'), CLASS_A);
      same(hostPowerOn(r).error, null, 'power on');
      let result: TransmitResult | null = null;
      r.slot.transmitTpdu!(bytes('FF1018F7'), 0, (x) => (result = x));
      r.run(1e6);
      same([result, r.slot.attributes.state], [null, 'NEGOTIABLE'], 'PPS in progress');
      r.slot.abort();
      // Within a millisecond: the next turn of the scheduler (on a device, of its task).
      r.run(1e6);
      same(result, { error: 'CMD_ABORTED', response: null }, 'result');
      same(r.slot.attributes.state, 'SWALLOWED', 'deactivated');
    },
  },
  {
    name: 'session host PPS: ISO 7816-3 §9.3 a reply with another PPS1 → ICC_PROTOCOL_NOT_SUPPORTED and deactivation',
    run() {
      const card = new T0FsCard({ name: 'pps-other', description: 'answers PPS1 11', atr: bytes('3B16 18AF0102020200'), seed: 1, pps: bytes('FF1011EE') });
      const r = rig(card, CLASS_A);
      same(hostPowerOn(r).error, null, 'power on');
      same(tpdu(r, 'FF1018F7').error, 'ICC_PROTOCOL_NOT_SUPPORTED', 'result');
      same(r.slot.attributes.state, 'SWALLOWED', 'deactivated');
    },
  },
  {
    name: 'session host PPS: ISO 7816-3 §9.2 requests refused unsent: bad PCK, T not offered, a rate the board cannot make',
    run() {
      const r = rig(builtIn('t0-pps'), { ...CLASS_A, uartCapabilities: { maxBaud: 20_000 } });
      same(hostPowerOn(r).error, null, 'power on');
      const first = r.board.line.events.length;
      same(tpdu(r, 'FF1018F0').error, 'CMD_ABORTED', 'bad PCK');
      same(tpdu(r, 'FF01FE').error, 'ICC_PROTOCOL_NOT_SUPPORTED', 'T=1 not offered');
      same(tpdu(r, 'FF1018F7').error, 'ICC_PROTOCOL_NOT_SUPPORTED', 'Di 12 (129 kbit/s) above the UART');
      same(readerBytes(r, first), '', 'nothing sent');
      same(r.slot.attributes.state, 'NEGOTIABLE', 'still negotiable');
      same(hex(tpdu(r, 'FF00FF').response), 'FF00FF', 'a PPS without PPS1 still works');
    },
  },
  {
    name: 'session host PPS: CCID bBWI multiplies BWT for a raw T=1 block; a mute card is the host\'s to recover',
    run() {
      // The Yubikey ATR (T=1, TB3 15: BWI 1, CWI 5) on a card that swallows blocks.
      const silent = () => new HookCard({ name: 'silent', description: 'T=1, mute', atr: bytes('3BF81300008131FE15597562696B657934D4') }, () => {});
      const etu = (372 / CLOCK) * 1e9;
      const bwt = 11 + 2 * 960;
      for (const bwi of [0, 3]) {
        const r = rig(silent(), CLASS_A);
        same(hostPowerOn(r).error, null, 'power on');
        const reply = tpdu(r, iBlock(0, '00A4000C023F00'), bwi);
        same(reply.error, 'ICC_MUTE', 'no block');
        const last = r.board.line.events.filter((e) => e.from === 'reader').at(-1)!;
        const waited = (reply.atNs - last.timeNs) / etu;
        const expected = bwt * (bwi || 1);
        check(waited >= expected && waited < expected + 30, `bBWI ${bwi}: waited ${waited} etu, BWT × ${bwi || 1} = ${expected}`);
        same(r.slot.attributes.state, 'SPECIFIC', 'still powered');
      }
    },
  },
  {
    name: 'session: ISO 7816-3 §8.3 specific mode, TA1 96 explicit (TA2 00): both sides at Fi 512 / Di 32 right after the ATR',
    run() {
      // TA1 96, TD1 10 (TA2 follows, T=0), TA2 00: specific T=0, explicit parameters; two historical bytes.
      for (const negotiation of ['reader', 'host'] as const) {
        const r = rig(new T0FsCard({ name: 'specific-96', description: 'TA2 00', atr: bytes('3B929610 00ABCD'), seed: 1 }), CLASS_A);
        let power: PowerOnResult | null = null;
        r.slot.powerOn('auto', (x) => (power = x), { negotiation });
        r.run(1e9);
        same(power!.error, null, `power on (${negotiation})`);
        check(!r.characters('reader').some((e) => e.byte === 0xff), 'no PPS');
        const a = r.slot.attributes;
        same([a.state, a.protocol, a.F, a.D], ['SPECIFIC', 0, 512, 32], 'TA1 in force');
        const first = r.board.line.events.length;
        same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
        const etu = (512 / (32 * CLOCK)) * 1e9;
        const exchanged = r.board.line.events.slice(first);
        check(exchanged.length > 5 && exchanged.every((e) => sameRate(e.etuNs, etu) && e.parityOk), 'reader and card at 4 µs per etu');
      }
    },
  },
  {
    name: 'session: ISO 7816-3 §8.3 specific mode with implicit parameters (TA2 10): Fd/Dd on both sides whatever TA1 says',
    run() {
      const r = rig(new T0FsCard({ name: 'implicit', description: 'TA2 10', atr: bytes('3B929610 10ABCD'), seed: 1 }), CLASS_A);
      same(r.powerOn().error, null, 'power on');
      same([r.slot.attributes.F, r.slot.attributes.D], [372, 1], 'Fd/Dd');
      const first = r.board.line.events.length;
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
      const etu = (372 / CLOCK) * 1e9;
      check(r.board.line.events.slice(first).every((e) => sameRate(e.etuNs, etu)), 'both sides at Fd/Dd');
    },
  },
];
