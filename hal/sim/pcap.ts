/**
 * Capture writers that Wireshark / tshark (4.0) decode independently: pure byte producers into a
 * caller's sink; the Node file sink is in
 * pcap-file.ts. Classic pcap (microsecond timestamps, little-endian headers).
 *
 * - USB: LINKTYPE_USB_LINUX_MMAPPED (220), the 64-byte usbmon header; each URB is an 'S' record and a
 *   'C' record sharing one URB id, as the kernel writes them.
 * - Contacts: LINKTYPE_WIRESHARK_UPPER_PDU (252), exported-PDU TLVs naming the `iso7816` dissector
 *   and the direction (0 reader → card, 1 card → reader), then the ATR or APDU bytes.
 */
import type { SetupPacket } from '../interfaces/usb-device.js';

export const LINKTYPE_USB_LINUX_MMAPPED = 220;
export const LINKTYPE_WIRESHARK_UPPER_PDU = 252;

export type PcapSink = (bytes: Uint8Array) => void;

const SNAPLEN = 262144;

/** The 24-byte pcap file header. */
export function pcapFileHeader(linktype: number): Uint8Array {
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, SNAPLEN, true);
  view.setUint32(20, linktype, true);
  return out;
}

/** One record: 16-byte header then `body`; `timeNs` is split into seconds and microseconds. */
export function pcapRecord(timeNs: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + body.length);
  const view = new DataView(out.buffer);
  const us = Math.floor(timeNs / 1000);
  view.setUint32(0, Math.floor(us / 1e6), true);
  view.setUint32(4, us % 1e6, true);
  view.setUint32(8, body.length, true);
  view.setUint32(12, body.length, true);
  out.set(body, 16);
  return out;
}

export type UsbTransferType = 'control' | 'bulk' | 'interrupt';

/** usbmon xfer_type codes. */
const XFER_TYPE: Record<UsbTransferType, number> = { interrupt: 1, control: 2, bulk: 3 };
const EINPROGRESS = 115;

export interface UsbUrbRecord {
  /** Shared by the submission and the completion of one URB. */
  id: number;
  transfer: UsbTransferType;
  /** Endpoint address with the direction bit (0x80 = IN); 0x00 / 0x80 for control by direction. */
  endpoint: number;
  /** Virtual (or wall-clock) time in nanoseconds. */
  timeNs: number;
}

export interface UsbSubmit extends UsbUrbRecord {
  setup?: SetupPacket;
  /** Requested length (IN) or the OUT data length. */
  length: number;
  /** OUT data (absent for IN). */
  data?: Uint8Array;
}

export interface UsbComplete extends UsbUrbRecord {
  /** 0 or a negative errno (-EPIPE stall, -ECONNRESET unlinked, -ENODEV gone). */
  status: number;
  /** Bytes transferred. */
  length: number;
  /** IN data (absent for OUT). */
  data?: Uint8Array;
}

export interface UsbPcapWriter {
  submit(urb: UsbSubmit): void;
  complete(urb: UsbComplete): void;
}

export interface UsbPcapOptions {
  sink: PcapSink;
  busnum?: number;
  devnum?: number;
  /** Added to every record's time (e.g. the wall-clock time at which virtual time 0 was). */
  epochNs?: number;
}

/** usbmon binary header (Linux Documentation/usb/usbmon.rst, "struct usbmon_packet", 64 bytes). */
function usbmonRecord(
  o: UsbPcapOptions, urb: UsbUrbRecord, kind: 'S' | 'C', status: number, urbLength: number,
  data: Uint8Array, setup: SetupPacket | undefined,
): Uint8Array {
  const out = new Uint8Array(64 + data.length);
  const view = new DataView(out.buffer);
  const timeNs = urb.timeNs + (o.epochNs ?? 0);
  const us = Math.floor(timeNs / 1000);
  view.setBigUint64(0, BigInt(urb.id), true);
  out[8] = kind.charCodeAt(0);
  out[9] = XFER_TYPE[urb.transfer];
  out[10] = urb.endpoint;
  out[11] = o.devnum ?? 1;
  view.setUint16(12, o.busnum ?? 1, true);
  out[14] = setup ? 0 : '-'.charCodeAt(0);
  out[15] = data.length > 0 ? 0 : (kind === 'S' ? '<' : '>').charCodeAt(0);
  view.setBigInt64(16, BigInt(Math.floor(us / 1e6)), true);
  view.setInt32(24, us % 1e6, true);
  view.setInt32(28, status, true);
  view.setUint32(32, urbLength, true);
  view.setUint32(36, data.length, true);
  if (setup) {
    out[40] = setup.bmRequestType;
    out[41] = setup.bRequest;
    view.setUint16(42, setup.wValue, true);
    view.setUint16(44, setup.wIndex, true);
    view.setUint16(46, setup.wLength, true);
  }
  out.set(data, 64);
  return pcapRecord(timeNs, out);
}

export function createUsbPcapWriter(options: UsbPcapOptions): UsbPcapWriter {
  options.sink(pcapFileHeader(LINKTYPE_USB_LINUX_MMAPPED));
  const empty = new Uint8Array(0);
  return {
    submit: (urb) => options.sink(usbmonRecord(options, urb, 'S', -EINPROGRESS, urb.length, urb.data ?? empty, urb.setup)),
    complete: (urb) => options.sink(usbmonRecord(options, urb, 'C', urb.status, urb.length, urb.data ?? empty, undefined)),
  };
}

const TAG_END_OF_OPT = 0;
const TAG_DISSECTOR_NAME = 12;
const TAG_P2P_DIRECTION = 35;

export type Iso7816Direction = 'to-card' | 'to-reader';

export interface Iso7816PcapWriter {
  /** An ATR, card → reader. */
  atr(bytes: Uint8Array, timeNs: number): void;
  /** A command APDU, reader → card. */
  command(bytes: Uint8Array, timeNs: number): void;
  /** A response APDU (data and SW1 SW2), card → reader. */
  response(bytes: Uint8Array, timeNs: number): void;
}

export interface Iso7816PcapOptions {
  sink: PcapSink;
  epochNs?: number;
}

/** Exported-PDU TLVs (2-byte tag, 2-byte length, value padded to 4 bytes; big-endian), then the PDU. */
export function exportedPdu(dissector: string, direction: Iso7816Direction, pdu: Uint8Array): Uint8Array {
  const name = new Uint8Array((dissector.length + 4) & ~3);
  for (let i = 0; i < dissector.length; i++) name[i] = dissector.charCodeAt(i);
  const out = new Uint8Array(4 + name.length + 8 + 4 + pdu.length);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setUint16(at, TAG_DISSECTOR_NAME);
  view.setUint16(at + 2, name.length);
  out.set(name, at + 4);
  at += 4 + name.length;
  view.setUint16(at, TAG_P2P_DIRECTION);
  view.setUint16(at + 2, 4);
  view.setUint32(at + 4, direction === 'to-card' ? 0 : 1);
  at += 8;
  view.setUint16(at, TAG_END_OF_OPT);
  view.setUint16(at + 2, 0);
  out.set(pdu, at + 4);
  return out;
}

export function createIso7816PcapWriter(options: Iso7816PcapOptions): Iso7816PcapWriter {
  options.sink(pcapFileHeader(LINKTYPE_WIRESHARK_UPPER_PDU));
  const record = (direction: Iso7816Direction, bytes: Uint8Array, timeNs: number): void =>
    options.sink(pcapRecord(timeNs + (options.epochNs ?? 0), exportedPdu('iso7816', direction, bytes)));
  return {
    atr: (bytes, timeNs) => record('to-reader', bytes, timeNs),
    command: (bytes, timeNs) => record('to-card', bytes, timeNs),
    response: (bytes, timeNs) => record('to-reader', bytes, timeNs),
  };
}
