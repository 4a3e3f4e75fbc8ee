/**
 * What the Windows in-box usbccid driver relies on (CCID Rev 1.1 §5.3 class requests, §6.2.6): both class
 * requests answered with exactly the advertised counts and never held up by a busy slot, the lists
 * consistent with the class descriptor's clock and rate fields, and time extensions only ever of
 * the pending command's own reply type.
 */
import test from 'ava';
import { ClassRequest, Feature, RDR_to_PC } from '../host-driver/ccid-messages.js';
import { TestReader, bytes } from './harness.js';

function dwords(data: Uint8Array): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: data.length / 4 }, (_, i) => view.getUint32(i * 4, true));
}

function classDescriptor(reader: TestReader): DataView {
  const configuration = reader.host.control({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0200, wIndex: 0, wLength: 255 }).data;
  return new DataView(configuration.buffer, configuration.byteOffset + 18, 54);
}

function request(reader: TestReader, bRequest: number, wLength: number): { status: string; data: Uint8Array } {
  return reader.host.control({ bmRequestType: 0xa1, bRequest, wValue: 0, wIndex: 0, wLength });
}

test('CCID §5.3.2 / §5.3.3 with wLength exactly 4 × bNumClockSupported / 4 × bNumDataRatesSupported: the whole lists, holding dwDefaultClock, dwMaximumClock, dwDataRate, dwMaxDataRate', (t) => {
  const reader = new TestReader({ config: { clocksHz: [4e6, 5e6, 8e6] } });
  const ccid = classDescriptor(reader);
  const clocks = request(reader, ClassRequest.GET_CLOCK_FREQUENCIES, 4 * ccid.getUint8(18));
  const rates = request(reader, ClassRequest.GET_DATA_RATES, 4 * ccid.getUint8(27));
  t.is(clocks.status, 'ok');
  t.is(rates.status, 'ok');
  t.deepEqual(dwords(clocks.data), [4000, 5000, 8000], 'kHz, dwDefaultClock first');
  t.is(ccid.getUint32(10, true), 4000, 'dwDefaultClock');
  t.is(ccid.getUint32(14, true), Math.max(...dwords(clocks.data)), 'dwMaximumClock');
  const list = dwords(rates.data);
  t.is(list.length, ccid.getUint8(27));
  t.true(list.includes(ccid.getUint32(19, true)), 'dwDataRate (Fd/Dd at the default clock) is listed');
  t.is(ccid.getUint32(23, true), Math.max(...list), 'dwMaxDataRate is the highest listed');
});

test('CCID §5.3 class requests are answered at once while the slot works on a long XfrBlock, which then completes', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 2e9 }) }] });
  reader.powerOn();
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('00B0000000') });
  reader.scheduler.advance(1e9);
  t.is(request(reader, ClassRequest.GET_CLOCK_FREQUENCIES, 1024).status, 'ok');
  t.is(request(reader, ClassRequest.GET_DATA_RATES, 1024).status, 'ok');
  let final = reader.read();
  while (final?.type === 'RDR_to_PC_DataBlock' && final.bStatus >> 6 === 2) final = reader.read();
  t.true(final?.type === 'RDR_to_PC_DataBlock' && final.bSeq === 2 && final.bStatus === 0);
});

test('CCID §6.2.6 time extensions are only ever of the pending command\'s reply type: Escape and Secure answer directly with their own', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 2e9, waiting: [2] }) }] });
  reader.powerOn();
  const escape = reader.transact({ type: 'PC_to_RDR_Escape', bSlot: 0, bSeq: 2, abData: Uint8Array.of(0x01) });
  t.true(escape.type === 'RDR_to_PC_Escape' && escape.bStatus >> 6 === 0);
  const secure = reader.transact({ type: 'PC_to_RDR_Secure', bSlot: 0, bSeq: 3, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  t.true(secure.type === 'RDR_to_PC_DataBlock' && secure.bStatus >> 6 === 1, 'no PIN pad: failed at once');
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 4, bBWI: 0, wLevelParameter: 0, abData: bytes('00B0000000') });
  const types = new Set<number>();
  for (;;) {
    const raw = reader.readRaw();
    if (raw === null) return t.fail('no answer');
    types.add(raw.data[0]);
    if (raw.data[7] >> 6 !== 2) break;
  }
  t.deepEqual([...types], [RDR_to_PC.DataBlock]);
});

test('CCID §5.1 dwFeatures 0x10 and 0x20: clock and rate follow the negotiation, so SetDataRateAndClockFrequency is never needed and accepts the pair in force', (t) => {
  const reader = new TestReader();
  t.is(reader.ccid.description.features & (Feature.autoClock | Feature.autoBaud), Feature.autoClock | Feature.autoBaud);
  reader.powerOn();
  const reply = reader.transact({ type: 'PC_to_RDR_SetDataRateAndClockFrequency', bSlot: 0, bSeq: 2, dwClockFrequency: 4000, dwDataRate: 10752 });
  t.true(reply.type === 'RDR_to_PC_DataRateAndClockFrequency' && reply.bStatus === 0);
});
