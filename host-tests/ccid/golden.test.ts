/**
 * Golden bulk OUT messages as the real host stack sends them. Provenance: pcscd 1.9.9 + libccid
 * 1.5.2 (Debian 12) driving this reader through `ccid-reader serve` (host-tests/interop harness,
 * card `t1`, one SELECT MF through pyscard), captured with `serve --pcap` (usbmon, LINKTYPE 220),
 * and the bulk OUT payloads copied from that capture on 2026-11-24; the TPDU rows come from the same
 * session with `serve --level tpdu`.
 */
import test from 'ava';
import { decodePcToRdr } from '../../firmware/ccid/messages.js';
import { encodePcToRdr, type PC_to_RDR_Command } from '../host-driver/typed-messages.js';
import { bytes } from './harness.js';

const GOLDEN: readonly [string, string, PC_to_RDR_Command][] = [
  ['libccid open: GetSlotStatus', '65000000000000000000', { type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 0 }],
  ['IccPowerOn, bPowerSelect 0 (dwFeatures 0x08)', '62000000000005000000', { type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: 5, bPowerSelect: 0 }],
  ['extended APDU level: SELECT MF in one XfrBlock', '6F07000000000700000000A4000C023F00', {
    type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 7, bBWI: 0, wLevelParameter: 0, abData: bytes('00A4000C023F00'),
  }],
  ['IccPowerOff (sent twice in a row on close)', '63000000000009000000', { type: 'PC_to_RDR_IccPowerOff', bSlot: 0, bSeq: 9 }],
  ['TPDU level: S(IFS request) IFSD 254 (no dwFeatures 0x400 there)', '6F05000000000700000000C101FE3E', {
    type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 7, bBWI: 0, wLevelParameter: 0, abData: bytes('00C101FE3E'),
  }],
  ['TPDU level: I-block carrying SELECT MF', '6F0B000000000800000000000700A4000C023F0092', {
    type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 8, bBWI: 0, wLevelParameter: 0, abData: bytes('00000700A4000C023F0092'),
  }],
];

for (const [what, hex, expected] of GOLDEN) {
  test(`CCID §6.1 golden (libccid 1.5.2): ${what}`, (t) => {
    const wire = bytes(hex);
    t.deepEqual(decodePcToRdr(wire), expected, 'the firmware decodes what libccid sent');
    t.deepEqual(encodePcToRdr(expected), wire, 'the host codec encodes it as libccid did');
  });
}
