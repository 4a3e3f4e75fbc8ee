/**
 * "Never throws" for the server with the real reader behind it: random but
 * well-framed URBs — any control request, any bulk OUT bytes, IN URBs of any size, unlinks of
 * anything — reach the CCID class through the USB/IP connection; nothing throws and every URB is
 * answered at most once.
 */
import test from 'ava';
import fc from 'fast-check';
import { findCard } from '../../hal/sim/cards/registry.js';
import { createSimReader } from '../reader/reader.js';
import { UsbipConnection } from '../../hal/sim/usbip/connection.js';
import { deviceInfoOf } from '../../hal/sim/usbip/device-info.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { OP_REQ_IMPORT, USBIP_VERSION, decodeReplyHeader, encodeCmdSubmit, encodeCmdUnlink } from '../../hal/sim/usbip/protocol.js';

const setup = fc.record({ bmRequestType: fc.integer({ min: 0, max: 255 }), bRequest: fc.integer({ min: 0, max: 255 }), wValue: fc.integer({ min: 0, max: 0xffff }), wIndex: fc.integer({ min: 0, max: 3 }), wLength: fc.integer({ min: 0, max: 300 }) });
const step = fc.oneof(
  fc.record({ kind: fc.constant('control' as const), setup, data: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('bulk-out' as const), data: fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(Uint8Array.of(0x62, 0, 0, 0, 0, 0, 1, 0, 0, 0), Uint8Array.of(0x65, 0, 0, 0, 0, 0, 2, 0, 0, 0))) }),
  fc.record({ kind: fc.constant('in' as const), ep: fc.integer({ min: 1, max: 4 }), length: fc.integer({ min: 0, max: 2000 }) }),
  fc.record({ kind: fc.constant('unlink' as const), back: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 200 }) }),
);

test('random URBs through USB/IP to the real CCID class: no exception, no URB answered twice', (t) => {
  fc.assert(fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
    const reader = createSimReader({ card: findCard('t1')!.create(1) });
    const exported = { info: deviceInfoOf(reader.usb.descriptors), host: reader.usb.host, endpoints: endpointsOf(reader.usb.descriptors.configuration), importer: null };
    let raw = new Uint8Array(0);
    const connection = new UsbipConnection({
      exported,
      send: (bytes) => {
        const joined = new Uint8Array(raw.length + bytes.length);
        joined.set(raw);
        joined.set(bytes, raw.length);
        raw = joined;
      },
      end: () => undefined,
    });
    const request = new Uint8Array(40);
    new DataView(request.buffer).setUint16(0, USBIP_VERSION);
    new DataView(request.buffer).setUint16(2, OP_REQ_IMPORT);
    request.set([0x31, 0x2d, 0x31], 8);
    connection.receive(request);
    raw = raw.slice(8 + 0x138);
    const inbound = new Set<number>();
    let seq = 1;
    const submit = (ep: number, direction: number, length: number, data: Uint8Array, s = { bmRequestType: 0, bRequest: 0, wValue: 0, wIndex: 0, wLength: 0 }): void => {
      if (direction === 1) inbound.add(seq);
      connection.receive(encodeCmdSubmit({ seqnum: seq++, devid: 0x10002, direction, ep, transferFlags: 0, transferBufferLength: length, startFrame: 0, numberOfPackets: 0xffffffff, interval: 0, setup: s }, data));
    };
    submit(0, 0, 0, new Uint8Array(0), { bmRequestType: 0, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
    for (const s of steps) {
      if (s.kind === 'control') {
        const input = (s.setup.bmRequestType & 0x80) !== 0;
        submit(0, input ? 1 : 0, input ? s.setup.wLength : s.data.length, input ? new Uint8Array(0) : s.data, { ...s.setup, wLength: input ? s.setup.wLength : s.data.length });
      } else if (s.kind === 'bulk-out') submit(1, 0, s.data.length, s.data);
      else if (s.kind === 'in') submit(s.ep, 1, s.length, new Uint8Array(0));
      else if (s.kind === 'unlink') connection.receive(encodeCmdUnlink(seq++, 0x10002, Math.max(1, seq - 1 - s.back)));
      else reader.board.scheduler.advance(s.ms * 1e6);
    }
    reader.board.scheduler.advance(2e9);
    const answered = new Set<number>();
    while (raw.length >= 48) {
      const reply = decodeReplyHeader(raw);
      if (reply.kind === 'unknown') return false;
      if (reply.kind === 'ret-submit' || reply.status !== 0) {
        const id = reply.kind === 'ret-submit' ? reply.seqnum : -reply.seqnum;
        if (answered.has(id)) return false;
        answered.add(id);
      }
      raw = raw.slice(48 + (reply.kind === 'ret-submit' && inbound.has(reply.seqnum) ? reply.actualLength : 0));
    }
    connection.closed();
    reader.close();
    return raw.length === 0;
  }), { numRuns: 150 });
  t.pass();
});
