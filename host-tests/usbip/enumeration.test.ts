/**
 * What a Linux kernel sends after `usbip attach` (its USB/IP client, then the USB 2.0 §9.1.2
 * enumeration), played against the real reader through the USB/IP connection: device descriptor (64
 * then 18 bytes), DEVICE_QUALIFIER (stalled: full-speed only), configuration (9 bytes, then whole),
 * strings, SET_CONFIGURATION, CLEAR_FEATURE(HALT), then a first CCID command on the bulk pipes.
 */
import test from 'ava';
import { findCard } from '../../hal/sim/cards/registry.js';
import { createSimReader } from '../reader/reader.js';
import { deviceInfoOf } from '../../hal/sim/usbip/device-info.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { MemoryClient, type Reply } from './memory-client.js';

const IN = 0x80;
const getDescriptor = (type: number, index: number, length: number, langid = 0) => ({ bmRequestType: IN, bRequest: 6, wValue: (type << 8) | index, wIndex: langid, wLength: length });
const data = (reply: Reply | undefined): Uint8Array => (reply?.kind === 'ret-submit' ? reply.data : new Uint8Array(0));

test('a kernel-style enumeration of the reader over USB/IP, then GetSlotStatus', (t) => {
  const reader = createSimReader({ card: findCard('t0-fs')!.create(1) });
  const info = deviceInfoOf(reader.usb.descriptors);
  const endpoints = endpointsOf(reader.usb.descriptors.configuration);
  const client = new MemoryClient({ info, host: reader.usb.host, endpoints, importer: null }, { scheduler: reader.board.scheduler, usb: reader.usb });
  t.is(client.import(), 0);
  t.deepEqual(info.interfaces, [{ bInterfaceClass: 0x0b, bInterfaceSubClass: 0, bInterfaceProtocol: 0 }]);

  client.control(getDescriptor(1, 0, 64));
  const [device64] = client.replies();
  t.like(device64, { status: 0, actualLength: 18 });
  t.is(data(device64)[7], 64, 'bMaxPacketSize0');
  t.is(data(device64)[8] | (data(device64)[9] << 8), info.idVendor);

  client.control(getDescriptor(6, 0, 10));
  t.like(client.replies()[0], { status: -32 }, 'DEVICE_QUALIFIER stalls on a full-speed device');

  client.control(getDescriptor(2, 0, 9));
  const total = data(client.replies()[0]);
  const wTotalLength = total[2] | (total[3] << 8);
  t.true(wTotalLength <= 255, 'the whole configuration fits a 255-byte read');
  client.control(getDescriptor(2, 0, wTotalLength));
  const configuration = data(client.replies()[0]);
  t.is(configuration.length, wTotalLength);
  // CCID §5.1: the 54-byte class descriptor follows the interface descriptor directly.
  const iface = configuration.indexOf(4, 9) - 1;
  t.is(configuration[iface + 9], 54);
  t.is(configuration[iface + 10], 0x21);
  t.deepEqual([...endpoints.byAddress.values()].sort(), ['bulk-in', 'bulk-out', 'interrupt-in']);

  client.control(getDescriptor(3, 0, 255));
  const langids = data(client.replies()[0]);
  const langid = langids[2] | (langids[3] << 8);
  const device = data(device64);
  for (const index of [device[14], device[15], device[16]].filter((i) => i !== 0)) {
    client.control(getDescriptor(3, index, 255, langid));
    const text = data(client.replies()[0]);
    t.is(text[1], 3);
    t.true(text[0] > 2);
  }

  client.control({ bmRequestType: 0x00, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
  client.control({ bmRequestType: 0x02, bRequest: 1, wValue: 0, wIndex: endpoints.addressOf['bulk-in'], wLength: 0 });
  t.deepEqual(client.replies().map((r) => r.kind === 'ret-submit' && r.status), [0, 0]);
  t.is(reader.usb.host.configuration, 1);

  // PC_to_RDR_GetSlotStatus, bSeq 9 → RDR_to_PC_SlotStatus with the same bSeq (the card is present).
  client.submit(endpoints.addressOf['bulk-out'] & 0x0f, 0, 10, Uint8Array.of(0x65, 0, 0, 0, 0, 0, 9, 0, 0, 0));
  const inUrb = client.submit(endpoints.addressOf['bulk-in'] & 0x0f, 1, 271);
  reader.board.scheduler.advance(100e6);
  const status = client.replies().find((r) => r.seqnum === inUrb);
  t.deepEqual([...data(status).subarray(0, 7)], [0x81, 0, 0, 0, 0, 0, 9]);
  t.not(data(status)[7] & 3, 2, 'bmICCStatus: present');
});
