/**
 * Our capture writers, read back by tshark: the ISO 7816 contact capture (exported PDU) and the usbmon
 * capture of URBs made through the USB/IP server to the test echo device.
 */
import test from 'ava';
import { interopTimeout } from './pcscd.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPcapFile } from '../../hal/sim/pcap-file.js';
import { createIso7816PcapWriter, createUsbPcapWriter } from '../../hal/sim/pcap.js';
import { recordUsbHost } from '../../hal/sim/pcap-usb-host.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { createEchoDevice, xfrBlock } from '../usbip/echo-device.js';
import { DEVICE_INFO, MemoryClient } from '../usbip/memory-client.js';
import { tsharkFields, tsharkProblems } from './tshark.js';

const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g)!.map((b) => parseInt(b, 16)));

test('ISO 7816 capture (LINKTYPE 252, iso7816 dissector): tshark decodes the ATR, the command and its response', async (t) => {
  interopTimeout(t);
  const dir = mkdtempSync(join(tmpdir(), 'ccid-pcap-'));
  try {
    const file = openPcapFile(join(dir, 'contacts.pcap'));
    const writer = createIso7816PcapWriter({ sink: file.sink });
    writer.atr(hex('3B959640F00F100A096A'), 1_000_000);
    writer.command(hex('00A4000C023F00'), 2_000_000);
    writer.response(hex('9000'), 3_000_000);
    writer.command(hex('00B0000004'), 4_000_000);
    writer.response(hex('000102039000'), 5_000_000);
    file.close();
    const path = join(dir, 'contacts.pcap');
    const rows = await tsharkFields(path, 'iso7816', ['frame.number', 'frame.time_epoch', 'iso7816.atr.init_char', 'iso7816.atr.ta1.fi', 'iso7816.apdu.ins', 'iso7816.apdu.p1', 'iso7816.apdu.sw1', 'iso7816.apdu.sw2']);
    t.is(rows.length, 5);
    t.deepEqual(rows[0].slice(2, 4), ['0x3b', '512']);
    t.deepEqual(rows[1].slice(4, 6), ['0xa4', '0x00']);
    t.deepEqual(rows[2].slice(6, 8), ['0x90', '0x00']);
    t.is(rows[3][4], '0xb0');
    t.deepEqual(rows[4].slice(6, 8), ['0x90', '0x00']);
    t.is(Number(rows[1][1]), 0.002);
    t.deepEqual(await tsharkProblems(path), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usbmon capture (LINKTYPE 220): tshark learns the CCID class from GET_DESCRIPTOR and decodes each message', async (t) => {
  interopTimeout(t);
  const dir = mkdtempSync(join(tmpdir(), 'ccid-pcap-'));
  try {
    const path = join(dir, 'usb.pcap');
    const file = openPcapFile(path);
    const device = createEchoDevice();
    const writer = createUsbPcapWriter({ sink: file.sink, busnum: DEVICE_INFO.busnum, devnum: DEVICE_INFO.devnum });
    const host = recordUsbHost(device.usb.host, writer, device.scheduler, endpointsOf(device.usb.descriptors.configuration));
    const client = new MemoryClient({ info: DEVICE_INFO, host, endpoints: endpointsOf(device.usb.descriptors.configuration), importer: null }, device);
    client.import();
    client.control({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0100, wIndex: 0, wLength: 18 });
    client.control({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0200, wIndex: 0, wLength: 255 });
    client.control({ bmRequestType: 0x00, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
    client.submit(1, 0, 17, xfrBlock(5, hex('00A4000C023F00')));
    client.submit(2, 1, 271);
    const pendingIn = client.submit(2, 1, 271);
    client.replies();
    client.unlink(pendingIn);
    client.replies();
    file.close();
    const rows = await tsharkFields(path, 'usbccid', ['frame.number', 'usbccid.bMessageType', 'usbccid.dwLength', 'usbccid.bSeq', 'usb.data_len', 'usb.urb_id'],
      ['-d', 'usbccid.subdissector,iso7816']);
    t.deepEqual(rows.map((r) => r.slice(1, 5)), [['0x6f', '7', '5', '17'], ['0x80', '7', '5', '17']]);
    const apdu = await tsharkFields(path, 'iso7816.apdu.ins', ['iso7816.apdu.ins', 'iso7816.apdu.lc'], ['-d', 'usbccid.subdissector,iso7816']);
    t.deepEqual(apdu[0], ['0xa4', '0x02']);
    // Every URB appears twice, as 'S' then 'C' with the same id; the unlinked one completes -ECONNRESET.
    const urbs = await tsharkFields(path, 'usb', ['usb.urb_id', 'usb.urb_type', 'usb.urb_status']);
    const ids = new Map<string, string[]>();
    for (const [id, type, status] of urbs) ids.set(id, [...(ids.get(id) ?? []), `${type}:${status}`]);
    for (const [id, events] of ids) t.is(events.length, 2, `URB ${id}: ${events.join(' ')}`);
    t.true([...ids.values()].some((e) => e[1] === "'C':-104"), JSON.stringify([...ids.values()]));
    t.deepEqual(await tsharkProblems(path), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
