/**
 * The TPDU exchange level as libccid 1.5.2 drives it when dwFeatures has neither 0x40 nor 0x80
 * (descriptors.ts readerFeatures): IccPowerOn leaves the card NEGOTIABLE (ISO 7816-3 §9), the host
 * sends its raw PPS request in an XfrBlock, then SetParameters, then its own T=1 blocks (S(IFS) first)
 * or T=0 TPDUs. First on a simulated slot, then over the real session with the `dual` card.
 */
import test from 'ava';
import type { InvalidReply, RDR_to_PC } from '../host-driver/typed-messages.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { createIso7816PcapWriter } from '../../hal/sim/pcap.js';
import { createSimReader } from '../reader/reader.js';
import { TestReader, UsbHostDriver, bytes } from './harness.js';

const STATE = { NEGOTIABLE: 4, SPECIFIC: 5 } as const;

function hex(reply: RDR_to_PC): string {
  if (reply.type === 'Invalid' || !('abData' in reply)) return '';
  return Array.from(reply.abData, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

function readState(bus: UsbHostDriver, bSeq: number): number {
  const reply = bus.transact({ type: 'PC_to_RDR_Escape', bSlot: 0, bSeq, abData: Uint8Array.of(0x01) });
  return reply.type === 'RDR_to_PC_Escape' ? reply.abData[0] : -1;
}

function xfr(bus: UsbHostDriver, bSeq: number, data: string): Exclude<RDR_to_PC, InvalidReply> {
  return bus.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq, bBWI: 0, wLevelParameter: 0, abData: bytes(data) }, 10e9);
}

test('CCID §6.1.1 TPDU level: IccPowerOn asks the slot to leave PPS to the host; the APDU levels let the reader negotiate', (t) => {
  const tpdu = new TestReader({ config: { exchangeLevel: 'tpdu' } });
  const atr = tpdu.powerOn();
  t.is(atr.bStatus, 0, 'ICC active while NEGOTIABLE');
  t.deepEqual(tpdu.slots[0].log.negotiations, ['host']);
  t.is(readState(tpdu, 2), STATE.NEGOTIABLE);
  const extended = new TestReader();
  extended.powerOn();
  t.deepEqual(extended.slots[0].log.negotiations, ['reader']);
  t.is(readState(extended, 2), STATE.SPECIFIC);
});

test('CCID §6.1.4 / ISO 7816-3 §9 TPDU level: the host\'s PPS goes through XfrBlock as is, then SetParameters sets the rest', (t) => {
  const reader = new TestReader({ config: { exchangeLevel: 'tpdu' } });
  reader.powerOn();
  // PPS0 = 11 (PPS1 present, T=1), PPS1 = 18 (Fi 372, Di 12), PCK = F6.
  const pps = xfr(reader, 2, 'FF1118F6');
  t.is(pps.bStatus, 0);
  t.is(hex(pps), 'FF1118F6');
  t.deepEqual(reader.slots[0].log.commands, [bytes('FF1118F6')]);
  t.is(readState(reader, 3), STATE.SPECIFIC);
  const parameters = reader.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 4, bProtocolNum: 1, abProtocolData: bytes('1810004500FE00') });
  t.true(parameters.type === 'RDR_to_PC_Parameters' && parameters.bStatus === 0 && parameters.bProtocolNum === 1);
  t.like(reader.slots[0].log.parameters[0], { protocol: 1, fiIndex: 1, diIndex: 8, bwi: 4, cwi: 5, ifsc: 254 });
});

/** The reader as `serve --level tpdu` composes it; `capture` adds the contacts capture (`--contacts-pcap`) around the slot. */
function dualReader(capture = false): UsbHostDriver {
  const contacts = capture ? createIso7816PcapWriter({ sink: () => undefined }) : undefined;
  const reader = createSimReader({ card: findCard('dual')!.create(1), exchangeLevel: 'tpdu', contacts });
  const bus = new UsbHostDriver(reader.usb.host, reader.board.scheduler, reader.ccid.description.maxMessageLength);
  reader.board.scheduler.advance(50e6);
  bus.configure();
  return bus;
}

test('ISO 7816-3 §9 / §11 over the session, TPDU level, T=0/T=1 card: PPS selecting T=1, SetParameters, S(IFS), I-blocks', (t) => {
  const bus = dualReader();
  const atr = bus.powerOn(0, 1, 10e9);
  t.is(hex(atr), '3BF71800008031FE45736674652D6E66C4');
  t.is(readState(bus, 2), STATE.NEGOTIABLE);
  const pps = xfr(bus, 3, 'FF1118F6');
  t.is(pps.bStatus, 0, `bError ${pps.bError}`);
  t.is(hex(pps), 'FF1118F6');
  const parameters = bus.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 4, bProtocolNum: 1, abProtocolData: bytes('1810004500FE00') }, 10e9);
  t.is(parameters.bStatus, 0, `bError ${parameters.bError}`);
  t.is(hex(xfr(bus, 5, '00C101FE3E')), '00E101FE1E', '§11.6.2.3 S(IFS request) 254 answered');
  t.is(hex(xfr(bus, 6, '00000700A4000C023F0092')), '000002900092', 'I(0) SELECT MF → I(0) 9000');
  t.is(hex(xfr(bus, 7, '0040050084000008C9')).slice(0, 6), '00400A', 'I(1) GET CHALLENGE → 8 bytes + SW');
});

test('ISO 7816-3 §9 / §10 over the session, TPDU level, T=0/T=1 card: PPS keeping T=0 at TA1\'s rate, then T=0 TPDUs', (t) => {
  const bus = dualReader();
  bus.powerOn(0, 1, 10e9);
  const pps = xfr(bus, 2, 'FF1018F7');
  t.is(pps.bStatus, 0, `bError ${pps.bError}`);
  t.is(hex(pps), 'FF1018F7');
  const parameters = bus.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 3, bProtocolNum: 0, abProtocolData: bytes('1800000A00') }, 10e9);
  t.is(parameters.bStatus, 0, `bError ${parameters.bError}`);
  t.is(readState(bus, 4), STATE.SPECIFIC);
  t.is(hex(xfr(bus, 5, '00A4000C023F00')), '9000');
  const challenge = hex(xfr(bus, 6, '0084000008'));
  t.is(challenge.length, 20);
  t.true(challenge.endsWith('9000'));
});

test('ISO 7816-3 §9 over the session, TPDU level: no PPS (libccid\'s default protocol at Fd/Dd), SetParameters then T=0 TPDUs', (t) => {
  const bus = dualReader();
  bus.powerOn(0, 1, 10e9);
  const parameters = bus.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 2, bProtocolNum: 0, abProtocolData: bytes('1100000A00') }, 10e9);
  t.is(parameters.bStatus, 0, `bError ${parameters.bError}`);
  t.is(readState(bus, 3), STATE.SPECIFIC);
  t.is(hex(xfr(bus, 4, '00A4000C023F00')), '9000');
});

test('CCID §6.1.1 TPDU level with the contacts capture around the slot: the card still waits NEGOTIABLE for the host\'s PPS', (t) => {
  const bus = dualReader(true);
  bus.powerOn(0, 1, 10e9);
  t.is(readState(bus, 2), STATE.NEGOTIABLE);
  t.is(hex(xfr(bus, 3, 'FF1118F6')), 'FF1118F6');
});
