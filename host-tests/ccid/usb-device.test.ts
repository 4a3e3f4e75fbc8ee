import test from 'ava';
import { ClassRequest } from '../host-driver/ccid-messages.js';
import type { SetupPacket } from '../../hal/interfaces/usb-device.js';
import { TestReader } from './harness.js';

const getDescriptor = (type: number, index: number, wLength: number): SetupPacket => ({
  bmRequestType: 0x80, bRequest: 6, wValue: (type << 8) | index, wIndex: type === 3 && index > 0 ? 0x0409 : 0, wLength,
});

test('USB 2.0 §9.4.3 GET_DESCRIPTOR device: 8 then 18 bytes, trimmed to wLength', (t) => {
  const { host } = new TestReader({ unconfigured: true });
  const short = host.control(getDescriptor(1, 0, 8));
  t.is(short.status, 'ok');
  t.is(short.data.length, 8);
  const full = host.control(getDescriptor(1, 0, 255));
  t.is(full.data.length, 18);
  t.deepEqual([full.data[8], full.data[9], full.data[10], full.data[11]], [0x09, 0x12, 0x01, 0x00]);
});

test('USB 2.0 §9.4.3 GET_DESCRIPTOR configuration read once with wLength 255 returns all of it', (t) => {
  const { host } = new TestReader({ unconfigured: true });
  const head = host.control(getDescriptor(2, 0, 9));
  const total = head.data[2] | (head.data[3] << 8);
  t.true(total <= 255);
  const full = host.control(getDescriptor(2, 0, 255));
  t.is(full.data.length, total);
});

test('USB 2.0 §9.4.3 GET_DESCRIPTOR strings: language list and UTF-16LE strings; missing index and DEVICE_QUALIFIER stall', (t) => {
  const { host } = new TestReader({ unconfigured: true });
  t.deepEqual(host.control(getDescriptor(3, 0, 255)).data, Uint8Array.of(4, 3, 0x09, 0x04));
  const product = host.control(getDescriptor(3, 2, 255)).data;
  t.is(product[1], 3);
  t.is(String.fromCharCode(...Array.from({ length: (product[0] - 2) / 2 }, (_, i) => product[2 + 2 * i])), 'ccid-reader ESP32-S3 CCID');
  t.is(host.control(getDescriptor(3, 9, 255)).status, 'stall');
  t.is(host.control(getDescriptor(6, 0, 10)).status, 'stall');
});

test('USB 2.0 §9.4.7 / §9.4.2 SET_CONFIGURATION(1) then GET_CONFIGURATION = 1; SET_CONFIGURATION(2) stalls', (t) => {
  const reader = new TestReader({ unconfigured: true });
  const { host } = reader;
  t.deepEqual(host.control({ bmRequestType: 0x80, bRequest: 8, wValue: 0, wIndex: 0, wLength: 1 }).data, Uint8Array.of(0));
  reader.configure();
  t.deepEqual(host.control({ bmRequestType: 0x80, bRequest: 8, wValue: 0, wIndex: 0, wLength: 1 }).data, Uint8Array.of(1));
  t.is(host.control({ bmRequestType: 0, bRequest: 9, wValue: 2, wIndex: 0, wLength: 0 }).status, 'stall');
  t.true(reader.device.configured);
});

test('USB 2.0 §9.4 GET_STATUS, SET_INTERFACE(0), CLEAR_FEATURE(ENDPOINT_HALT) are answered by the device', (t) => {
  const { host } = new TestReader();
  t.deepEqual(host.control({ bmRequestType: 0x80, bRequest: 0, wValue: 0, wIndex: 0, wLength: 2 }).data, Uint8Array.of(0, 0));
  t.is(host.control({ bmRequestType: 0x01, bRequest: 11, wValue: 0, wIndex: 0, wLength: 0 }).status, 'ok');
  t.is(host.control({ bmRequestType: 0x01, bRequest: 11, wValue: 1, wIndex: 0, wLength: 0 }).status, 'stall');
  t.is(host.control({ bmRequestType: 0x02, bRequest: 1, wValue: 0, wIndex: 0x81, wLength: 0 }).status, 'ok');
});

test('CCID §5.3.2 / §5.3.3 GET_CLOCK_FREQUENCIES and GET_DATA_RATES return exactly the advertised counts', (t) => {
  const reader = new TestReader();
  const config = reader.host.control(getDescriptor(2, 0, 255)).data;
  const ccid = config.subarray(18, 18 + 54);
  t.is(ccid[1], 0x21);
  const clocks = reader.host.control({ bmRequestType: 0xa1, bRequest: ClassRequest.GET_CLOCK_FREQUENCIES, wValue: 0, wIndex: 0, wLength: 1024 });
  const rates = reader.host.control({ bmRequestType: 0xa1, bRequest: ClassRequest.GET_DATA_RATES, wValue: 0, wIndex: 0, wLength: 1024 });
  t.is(clocks.data.length, 4 * ccid[18]);
  t.is(rates.data.length, 4 * ccid[27]);
  t.true(ccid[27] > 0);
  const view = new DataView(rates.data.buffer, rates.data.byteOffset);
  t.is(view.getUint32(0, true), Math.floor(4e6 / 2048), 'the lowest rate: 4 MHz, Fi 2048, Di 1');
  t.is(reader.host.control({ bmRequestType: 0xa1, bRequest: 0x7f, wValue: 0, wIndex: 0, wLength: 4 }).status, 'stall');
});

test('Sim USB: an IN URB completes on a short packet; a long message spans URBs of 64 bytes', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  // The echo of 100 bytes + SW + the 10-byte header: a 112-byte DataBlock, packets of 64 and 48.
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: new Uint8Array(100) });
  const pieces: number[] = [];
  for (let i = 0; i < 2; i++) pieces.push(reader.readRaw(5e9, 64)?.data.length ?? -1);
  t.deepEqual(pieces, [64, 48]);
});

test('Sim USB: a URB too small for the next packet ends with overflow, like babble on hardware', (t) => {
  const reader = new TestReader();
  reader.send({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 1 });
  t.is(reader.readRaw(5e9, 4)?.status, 'overflow');
});

test('Sim USB: cancel unlinks a pending URB (its callback never runs); a bus reset fails the others with no-device', (t) => {
  const reader = new TestReader();
  let called = 0;
  const first = reader.host.bulkIn(64, () => called++);
  t.true(reader.host.cancel(first));
  t.false(reader.host.cancel(first));
  let status = '';
  reader.host.bulkIn(64, (s) => { status = s; });
  reader.host.reset();
  reader.scheduler.advance(1e6);
  t.is(called, 0);
  t.is(status, 'no-device');
  t.false(reader.device.configured);
});

test('Sim USB: completions come from the scheduler, never inside the call', (t) => {
  const reader = new TestReader();
  reader.send({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 1 });
  reader.scheduler.advance(1e6);
  let done = false;
  reader.host.bulkIn(64, () => { done = true; });
  t.false(done);
  reader.scheduler.advance(0);
  t.true(done);
});

test('USB 2.0 §9.1.1.5 SET_CONFIGURATION again drops what the endpoints held; the class starts afresh', (t) => {
  const reader = new TestReader();
  reader.readInterrupt();
  reader.send({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 1 });
  reader.scheduler.advance(1e6);
  reader.configure();
  t.deepEqual(reader.readInterrupt(), Uint8Array.of(0x50, 0x03), 'the slot bitmap is reported again');
  t.is(reader.readRaw(100e6), null, 'the stale reply is gone');
  t.is(reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 2 }).bSeq, 2);
});
