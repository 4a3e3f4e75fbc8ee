import test from 'ava';
import fc from 'fast-check';
import { MessageCode } from '../../firmware/ccid/constants.js';
import {
  decodeInterrupt,
  decodePcToRdr,
  decodeRdrToPc,
  encodeHardwareError,
  encodeNotifySlotChange,
  encodePcToRdr,
  encodeRdrToPc,
  type PC_to_RDR_Command,
} from '../../firmware/ccid/messages.js';
import { decodeProtocolData, encodeProtocolData } from '../../firmware/ccid/parameters.js';
import { bytes } from './harness.js';

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

test('CCID §6.1 every PC_to_RDR command round-trips through encodePcToRdr / decodePcToRdr', (t) => {
  const out = new Uint8Array(400);
  fc.assert(
    fc.property(command, (message) => {
      const length = encodePcToRdr(out, message);
      t.deepEqual(decodePcToRdr(out.slice(0, length)), message);
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

test('CCID §6.2 RDR_to_PC encoders decode back; decodeRdrToPc is total', (t) => {
  const out = new Uint8Array(300);
  const length = encodeRdrToPc(out, MessageCode.RDR_to_PC_DataBlock, 1, 2, 0x40, 0xfe, 0x10, bytes('3B00'));
  t.deepEqual(decodeRdrToPc(out.slice(0, length)), {
    type: 'RDR_to_PC_DataBlock', bSlot: 1, bSeq: 2, bStatus: 0x40, bError: 0xfe, bChainParameter: 0x10, abData: bytes('3B00'),
  });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (input) => {
    t.is(typeof decodeRdrToPc(input).type, 'string');
    t.is(typeof decodeInterrupt(input).type, 'string');
  }), { numRuns: 300 });
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
