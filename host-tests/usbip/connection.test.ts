import test from 'ava';
import fc from 'fast-check';
import { OP_REQ_DEVLIST, USBIP_VERSION, encodeOpHeader } from '../../hal/sim/usbip/protocol.js';
import { UsbipConnection } from '../../hal/sim/usbip/connection.js';
import { createEchoDevice, xfrBlock } from './echo-device.js';
import { MemoryClient, exportOf } from './memory-client.js';

const GET_DESCRIPTOR = (type: number, length: number) => ({ bmRequestType: 0x80, bRequest: 6, wValue: type << 8, wIndex: 0, wLength: length });
const SET_CONFIGURATION = { bmRequestType: 0x00, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 };

function attached(): MemoryClient {
  const device = createEchoDevice();
  const client = new MemoryClient(exportOf(device), device);
  if (client.import() !== 0) throw new Error('import refused');
  client.control(SET_CONFIGURATION);
  client.replies();
  return client;
}

test('OP_REQ_DEVLIST: one device record with its interface, then the server closes', (t) => {
  const device = createEchoDevice();
  const client = new MemoryClient(exportOf(device), device);
  client.connection.receive(encodeOpHeader(OP_REQ_DEVLIST, 0));
  const view = new DataView(client.raw.buffer);
  t.is(view.getUint16(0), USBIP_VERSION);
  t.is(view.getUint16(2), 0x0005);
  t.is(view.getUint32(8), 1);
  t.is(client.raw.length, 12 + 0x138 + 4);
  t.is(view.getUint16(12 + 300), 0x1234);
  t.is(client.raw[12 + 0x138], 0x0b);
  t.true(client.ended);
});

test('OP_REQ_IMPORT: unknown bus id refused; a second importer refused while the first holds the device', (t) => {
  const device = createEchoDevice();
  const exported = exportOf(device);
  t.is(new MemoryClient(exported, device).import('9-9'), 1);
  const first = new MemoryClient(exported, device);
  t.is(first.import(), 0);
  const second = new MemoryClient(exported, device);
  t.is(second.import(), 1);
  t.true(second.ended);
  first.connection.closed();
  t.is(new MemoryClient(exported, device).import(), 0);
});

test('control: GET_DESCRIPTOR answered and trimmed to the buffer; a stalled class request is -EPIPE', (t) => {
  const client = attached();
  const seq = client.control(GET_DESCRIPTOR(1, 8));
  const stalled = client.control({ bmRequestType: 0xa1, bRequest: 0x7f, wValue: 0, wIndex: 0, wLength: 4 });
  const [reply, stall] = client.replies();
  t.like(reply, { kind: 'ret-submit', seqnum: seq, status: 0, actualLength: 8 });
  t.deepEqual(reply.kind === 'ret-submit' && [...reply.data], [18, 1, 0x00, 0x02, 0, 0, 0, 64]);
  t.like(stall, { kind: 'ret-submit', seqnum: stalled, status: -32, actualLength: 0 });
});

test('bulk: a 64-byte message completes a 64-byte IN URB, and the zero-length packet completes the next', (t) => {
  const client = attached();
  client.submit(1, 0, 64, xfrBlock(7, new Uint8Array(54).fill(0xaa)));
  const first = client.submit(2, 1, 64);
  const second = client.submit(2, 1, 64);
  const replies = client.replies();
  t.like(replies[0], { kind: 'ret-submit', status: 0, actualLength: 64 });
  t.like(replies.find((r) => r.seqnum === first), { status: 0, actualLength: 64 });
  t.like(replies.find((r) => r.seqnum === second), { status: 0, actualLength: 0 });
});

test('bulk: a 300-byte message reaches a large IN URB whole, packetised on the way out and back', (t) => {
  const client = attached();
  const payload = Uint8Array.from({ length: 290 }, (_, i) => i & 0xff);
  client.submit(1, 0, 300, xfrBlock(3, payload));
  const seq = client.submit(2, 1, 4096);
  const reply = client.replies().find((r) => r.seqnum === seq);
  t.like(reply, { status: 0, actualLength: 300 });
  t.deepEqual(reply?.kind === 'ret-submit' ? [...reply.data.subarray(10)] : [], [...payload]);
});

test('unlink of a pending URB: RET_UNLINK -ECONNRESET and no RET_SUBMIT', (t) => {
  const client = attached();
  const target = client.submit(3, 1, 8);
  const unlink = client.unlink(target);
  t.deepEqual(client.replies(), [{ kind: 'ret-unlink', seqnum: unlink, status: -104 }]);
});

test('unlink racing a completion: RET_SUBMIT first, then RET_UNLINK 0', (t) => {
  const client = attached();
  client.submit(1, 0, 12, xfrBlock(1, Uint8Array.of(1, 2)));
  const target = client.submit(2, 1, 64);
  // The echo is queued in the scheduler but its RET_SUBMIT has not gone out yet.
  client.device.scheduler.advance(0);
  const unlink = client.unlink(target);
  const replies = client.replies().filter((r) => r.seqnum === target || r.seqnum === unlink);
  t.is(replies.length, 2);
  t.like(replies[0], { kind: 'ret-submit', seqnum: target, status: 0 });
  t.like(replies[1], { kind: 'ret-unlink', seqnum: unlink, status: 0 });
});

test('unlink of a URB already answered: RET_UNLINK 0', (t) => {
  const client = attached();
  const target = client.control(GET_DESCRIPTOR(1, 18));
  client.replies();
  const unlink = client.unlink(target);
  t.deepEqual(client.replies(), [{ kind: 'ret-unlink', seqnum: unlink, status: 0 }]);
});

test('an endpoint the device does not have is a stall; a closed device is -ENODEV', (t) => {
  const client = attached();
  const missing = client.submit(5, 1, 8);
  t.like(client.replies()[0], { seqnum: missing, status: -32 });
  client.device.usb.close();
  const gone = client.submit(2, 1, 64);
  t.like(client.replies()[0], { seqnum: gone, status: -19 });
});

test('disconnect: pending URBs are dropped and the device is reset to unconfigured', (t) => {
  const client = attached();
  client.submit(2, 1, 64);
  t.is(client.exported.host.configuration, 1);
  client.connection.closed();
  t.is(client.exported.host.configuration, 0);
  t.is(client.exported.importer, null);
});

test('malformed input ends the connection without throwing, in any split', (t) => {
  const device = createEchoDevice();
  const exported = exportOf(device);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), fc.boolean(), (bytes, cut, imported) => {
    const client = new MemoryClient(exported, device);
    if (imported && client.import() !== 0) return false;
    client.connection.receive(bytes.subarray(0, cut));
    client.connection.receive(bytes.subarray(cut));
    device.scheduler.runUntilIdle();
    client.connection.closed();
    return exported.importer === null;
  }));
  t.pass();
});

test('a wrong version or a huge transfer closes the connection', (t) => {
  const device = createEchoDevice();
  let ended = 0;
  const connection = new UsbipConnection({ exported: exportOf(device), send: () => {}, end: () => { ended++; } });
  connection.receive(Uint8Array.of(0x01, 0x06, 0x80, 0x05, 0, 0, 0, 0));
  t.is(ended, 1);
  const client = attached();
  const header = new Uint8Array(48);
  const view = new DataView(header.buffer);
  view.setUint32(0, 1);
  view.setUint32(24, 0x7fffffff);
  client.connection.receive(header);
  t.true(client.ended);
});
