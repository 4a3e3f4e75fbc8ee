import test from 'ava';
import fc from 'fast-check';
import { MessageCode } from '../../firmware/ccid/constants.js';
import {
  decodePcToRdr,
  encodeDataRateAndClockFrequency,
  encodeHardwareError,
  encodeNotifySlotChange,
  encodeRdrToPc,
} from '../../firmware/ccid/messages.js';
import { decodeProtocolData, encodeProtocolData } from '../../firmware/ccid/parameters.js';
import { decodeInterrupt, decodeRdrToPc, encodePcToRdr, type PC_to_RDR_Command } from '../host-driver/typed-messages.js';
import { bytes } from './harness.js';

/*
 * Each direction is checked against the other side's independent codec: the host's encoder
 * (host-tests/host-driver) against the firmware's decoder, the firmware's encoders against the host's
 * decoder, with the specification's golden bytes in between.
 */

const byte = fc.integer({ min: 0, max: 255 });
const data = fc.uint8Array({ maxLength: 300 });

const command: fc.Arbitrary<PC_to_RDR_Command> = fc.oneof(
  fc.record({ type: fc.constant('PC_to_RDR_IccPowerOn' as const), bSlot: byte, bSeq: byte, bPowerSelect: byte }),
  fc.record({ type: fc.constant('PC_to_RDR_IccPowerOff' as const), bSlot: byte, bSeq: byte }),
  fc.record({ type: fc.constant('PC_to_RDR_GetSlotStatus' as const), bSlot: byte, bSeq: byte }),
  fc.record({ type: fc.constant('PC_to_RDR_XfrBlock' as const), bSlot: byte, bSeq: byte, bBWI: byte, wLevelParameter: fc.integer({ min: 0, max: 0xffff }), abData: data }),
  fc.record({ type: fc.constant('PC_to_RDR_GetParameters' as const), bSlot: byte, bSeq: byte }),
  fc.record({ type: fc.constant('PC_to_RDR_ResetParameters' as const), bSlot: byte, bSeq: byte }),
  fc.record({ type: fc.constant('PC_to_RDR_SetParameters' as const), bSlot: byte, bSeq: byte, bProtocolNum: byte, abProtocolData: data }),
  fc.record({ type: fc.constant('PC_to_RDR_Escape' as const), bSlot: byte, bSeq: byte, abData: data }),
  fc.record({ type: fc.constant('PC_to_RDR_IccClock' as const), bSlot: byte, bSeq: byte, bClockCommand: byte }),
  fc.record({ type: fc.constant('PC_to_RDR_T0APDU' as const), bSlot: byte, bSeq: byte, bmChanges: byte, bClassGetResponse: byte, bClassEnvelope: byte }),
  fc.record({ type: fc.constant('PC_to_RDR_Secure' as const), bSlot: byte, bSeq: byte, bBWI: byte, wLevelParameter: fc.integer({ min: 0, max: 0xffff }), abData: data }),
  fc.record({ type: fc.constant('PC_to_RDR_Mechanical' as const), bSlot: byte, bSeq: byte, bFunction: byte }),
  fc.record({ type: fc.constant('PC_to_RDR_Abort' as const), bSlot: byte, bSeq: byte }),
  fc.record({
    type: fc.constant('PC_to_RDR_SetDataRateAndClockFrequency' as const), bSlot: byte, bSeq: byte,
    dwClockFrequency: fc.integer({ min: 0, max: 0xffffffff }), dwDataRate: fc.integer({ min: 0, max: 0xffffffff }),
  }),
);

test('CCID §6.1 every PC_to_RDR command the host encodes, the firmware decodes to the same fields', (t) => {
  fc.assert(
    fc.property(command, (message) => {
      t.deepEqual(decodePcToRdr(encodePcToRdr(message)), message);
    }),
    { numRuns: 300 },
  );
});

test('CCID §6.1 decodePcToRdr is total: any byte string gives a value, never a throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (input) => {
      const message = decodePcToRdr(input);
      if (input.length < 10) t.is(message.type, 'Truncated');
      else t.is((message as { bSeq: number }).bSeq, input[6]);
    }),
    { numRuns: 500 },
  );
});

test('CCID §6.1.1 golden: IccPowerOn as libccid sends it (62 00000000 00 01 00 0000)', (t) => {
  t.deepEqual(decodePcToRdr(bytes('62000000000001000000')), { type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: 1, bPowerSelect: 0 });
});

test('CCID §6.1 dwLength that disagrees with the bytes, or data on a command without data, is Malformed with bError 1', (t) => {
  t.like(decodePcToRdr(bytes('6F05000000000200000000')), { type: 'Malformed', command: 'PC_to_RDR_XfrBlock', bSeq: 2, bError: 1 });
  t.like(decodePcToRdr(bytes('650100000000030000' + '00' + 'AA')), { type: 'Malformed', command: 'PC_to_RDR_GetSlotStatus', bError: 1 });
  t.like(decodePcToRdr(bytes('7304000000000400000000000000')), { type: 'Malformed', command: 'PC_to_RDR_SetDataRateAndClockFrequency' });
});

test('CCID §6.2.1 golden: a DataBlock with an ATR, as the firmware encodes it and the host reads it', (t) => {
  const out = new Uint8Array(300);
  const length = encodeRdrToPc(out, MessageCode.RDR_to_PC_DataBlock, 1, 2, 0x40, 0xfe, 0x10, bytes('3B00'));
  t.deepEqual(out.slice(0, length), bytes('80 02000000 01 02 40 FE 10 3B00'));
  t.deepEqual(decodeRdrToPc(out.slice(0, length)), {
    type: 'RDR_to_PC_DataBlock', bSlot: 1, bSeq: 2, bStatus: 0x40, bError: 0xfe, bChainParameter: 0x10, abData: bytes('3B00'),
  });
});

const bStatus = fc.constantFrom(0x00, 0x01, 0x02, 0x40, 0x41, 0x42, 0x80, 0x81);

test('CCID §6.2 every bulk reply the firmware encodes, the host decodes to the same fields', (t) => {
  const out = new Uint8Array(300);
  fc.assert(fc.property(byte, byte, bStatus, byte, byte, data, (bSlot, bSeq, status, bError, b9, abData) => {
    const h = { bSlot, bSeq, bStatus: status, bError };
    const encodeWith = (code: number, third: number, payload: Uint8Array | null) =>
      decodeRdrToPc(out.slice(0, encodeRdrToPc(out, code, bSlot, bSeq, status, bError, third, payload)));
    const encode = (code: number, payload: Uint8Array | null) => encodeWith(code, b9, payload);
    t.deepEqual(encode(MessageCode.RDR_to_PC_DataBlock, abData), { type: 'RDR_to_PC_DataBlock', ...h, bChainParameter: b9, abData });
    t.deepEqual(encode(MessageCode.RDR_to_PC_SlotStatus, null), { type: 'RDR_to_PC_SlotStatus', ...h, bClockStatus: b9 });
    t.deepEqual(encode(MessageCode.RDR_to_PC_Escape, abData), { type: 'RDR_to_PC_Escape', ...h, abData });
    const bProtocolNum = b9 & 1;
    const abProtocolData = Uint8Array.from({ length: bProtocolNum === 0 ? 5 : 7 }, (_, i) => abData[i] ?? i);
    t.deepEqual(encodeWith(MessageCode.RDR_to_PC_Parameters, bProtocolNum, abProtocolData), { type: 'RDR_to_PC_Parameters', ...h, bProtocolNum, abProtocolData });
    const rate = decodeRdrToPc(out.slice(0, encodeDataRateAndClockFrequency(out, bSlot, bSeq, status, bError, 4_000_000 + b9, 10_752 + bError)));
    t.deepEqual(rate, { type: 'RDR_to_PC_DataRateAndClockFrequency', ...h, dwClockFrequency: 4_000_000 + b9, dwDataRate: 10_752 + bError });
  }), { numRuns: 200 });
});

test('CCID §6.2 the host decoder is total and strict: never throws; what no reader may send is Invalid', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (input) => {
    t.is(typeof decodeRdrToPc(input).type, 'string');
    t.is(typeof decodeInterrupt(input).type, 'string');
  }), { numRuns: 300 });
  for (const [why, hex] of [
    ['shorter than a header', '81 00000000 00 00 00 00'],
    ['dwLength larger than the data', '80 01000000 00 00 00 00 00'],
    ['SlotStatus with data (§6.2.2)', '81 01000000 00 00 00 00 00 AA'],
    ['bStatus RFU bits (§6.2.6)', '81 00000000 00 00 04 00 00'],
    ['bmICCStatus 3 (RFU)', '81 00000000 00 00 03 00 00'],
    ['bmCommandStatus 3 (RFU)', '81 00000000 00 00 C0 00 00'],
    ['successful T=1 Parameters with the T=0 structure (§6.2.3)', '82 05000000 00 00 00 00 01 1100000A00'],
    ['DataRateAndClockFrequency without its two dwords (§6.2.5)', '84 04000000 00 00 00 00 00 00000000'],
    ['a bulk OUT type', '6F 00000000 00 00 00 00 00'],
  ] as const) {
    t.is(decodeRdrToPc(bytes(hex)).type, 'Invalid', why);
  }
});

test('CCID §6.3.1 NotifySlotChange packs 2 bits per slot and pads to whole bytes', (t) => {
  const out = new Uint8Array(8);
  t.deepEqual(out.slice(0, encodeNotifySlotChange(out, 1, 1, 1)), Uint8Array.of(0x50, 0x03));
  t.deepEqual(out.slice(0, encodeNotifySlotChange(out, 5, 0b10001, 0b10000)), Uint8Array.of(0x50, 0x01, 0x03));
});

test('CCID §6.3.2 HardwareError is bMessageType, bSlot, bSeq, bHardwareErrorCode', (t) => {
  const out = new Uint8Array(8);
  const length = encodeHardwareError(out, 1, 0x33, 1);
  t.deepEqual(decodeInterrupt(out.slice(0, length)), { type: 'RDR_to_PC_HardwareError', bSlot: 1, bSeq: 0x33, bHardwareErrorCode: 1 });
});

test('CCID §6.1.7 abProtocolData T=0 and T=1 round-trip through decodeProtocolData / encodeProtocolData', (t) => {
  const out = new Uint8Array(7);
  for (const [protocol, hex] of [[0, '9602FF0A03'], [1, '1813FF7402FE05']] as const) {
    const decoded = decodeProtocolData(protocol, bytes(hex), [0, 1]);
    if (!decoded.ok) return t.fail(`bError ${decoded.bError}`);
    t.deepEqual(out.slice(0, encodeProtocolData(out, decoded.parameters)), bytes(hex));
  }
});

test('CCID §6.1.7 decodeProtocolData never throws and rejects with a header or data offset', (t) => {
  fc.assert(fc.property(byte, fc.uint8Array({ maxLength: 10 }), (protocol, input) => {
    const decoded = decodeProtocolData(protocol, input, [0, 1]);
    if (!decoded.ok) t.true(decoded.bError === 1 || decoded.bError === 7 || (decoded.bError >= 10 && decoded.bError <= 16));
  }), { numRuns: 500 });
});
