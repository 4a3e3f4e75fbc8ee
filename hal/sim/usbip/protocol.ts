/**
 * Linux USB/IP wire format (kernel Documentation/usb/usbip_protocol.rst), pure codecs: bytes in,
 * typed records out, no I/O. All integers are big-endian, except the 8-byte setup packet, which is
 * the USB one (little-endian fields). Decoding is total: an unknown operation or command is a value.
 */

export const USBIP_VERSION = 0x0111;
export const OP_REQ_DEVLIST = 0x8005;
export const OP_REP_DEVLIST = 0x0005;
export const OP_REQ_IMPORT = 0x8003;
export const OP_REP_IMPORT = 0x0003;

export const USBIP_CMD_SUBMIT = 1;
export const USBIP_CMD_UNLINK = 2;
export const USBIP_RET_SUBMIT = 3;
export const USBIP_RET_UNLINK = 4;

/** Every operation (handshake) message starts with this: version, code, status. */
export const OP_HEADER_LENGTH = 8;
/** OP_REQ_IMPORT carries busid[32] after the operation header. */
export const IMPORT_BUSID_LENGTH = 32;
/** CMD_SUBMIT, RET_SUBMIT, CMD_UNLINK, RET_UNLINK: one 48-byte header each. */
export const URB_HEADER_LENGTH = 48;
/** The device record in OP_REP_DEVLIST / OP_REP_IMPORT (without interface records). */
export const DEVICE_RECORD_LENGTH = 0x138;
/** number_of_packets for a transfer that is not isochronous. */
export const NOT_ISO = 0xffffffff;

/** Linux errno values carried (negated) in the status fields. */
export const ERRNO = Object.freeze({ ENODEV: 19, EPIPE: 32, EOVERFLOW: 75, ECONNRESET: 104, EINVAL: 22 });

/** What the server exports: the fields of `struct usbip_usb_device` plus the interfaces for DEVLIST. */
export interface UsbipDeviceInfo {
  path: string;
  busid: string;
  busnum: number;
  devnum: number;
  /** 2 = full speed. */
  speed: number;
  idVendor: number;
  idProduct: number;
  bcdDevice: number;
  bDeviceClass: number;
  bDeviceSubClass: number;
  bDeviceProtocol: number;
  bConfigurationValue: number;
  bNumConfigurations: number;
  interfaces: readonly { bInterfaceClass: number; bInterfaceSubClass: number; bInterfaceProtocol: number }[];
}

export interface OpHeader {
  version: number;
  code: number;
  status: number;
}

export function decodeOpHeader(bytes: Uint8Array): OpHeader {
  const view = viewOf(bytes);
  return { version: view.getUint16(0), code: view.getUint16(2), status: view.getUint32(4) };
}

/** busid[32] of OP_REQ_IMPORT: a NUL-terminated string. */
export function decodeBusid(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return String.fromCharCode(...bytes.subarray(0, end < 0 ? bytes.length : end));
}

export function encodeOpHeader(code: number, status: number): Uint8Array {
  const out = new Uint8Array(OP_HEADER_LENGTH);
  const view = viewOf(out);
  view.setUint16(0, USBIP_VERSION);
  view.setUint16(2, code);
  view.setUint32(4, status);
  return out;
}

function writeString(out: Uint8Array, offset: number, length: number, text: string): void {
  for (let i = 0; i < text.length && i < length - 1; i++) out[offset + i] = text.charCodeAt(i) & 0x7f;
}

/** `struct usbip_usb_device`: path[256], busid[32], busnum, devnum, speed, ids, classes. */
export function encodeDeviceRecord(device: UsbipDeviceInfo): Uint8Array {
  const out = new Uint8Array(DEVICE_RECORD_LENGTH);
  const view = viewOf(out);
  writeString(out, 0, 256, device.path);
  writeString(out, 256, 32, device.busid);
  view.setUint32(288, device.busnum);
  view.setUint32(292, device.devnum);
  view.setUint32(296, device.speed);
  view.setUint16(300, device.idVendor);
  view.setUint16(302, device.idProduct);
  view.setUint16(304, device.bcdDevice);
  out[306] = device.bDeviceClass;
  out[307] = device.bDeviceSubClass;
  out[308] = device.bDeviceProtocol;
  out[309] = device.bConfigurationValue;
  out[310] = device.bNumConfigurations;
  out[311] = device.interfaces.length;
  return out;
}

export function encodeDevlistReply(devices: readonly UsbipDeviceInfo[]): Uint8Array {
  const parts: Uint8Array[] = [encodeOpHeader(OP_REP_DEVLIST, 0), u32(devices.length)];
  for (const device of devices) {
    parts.push(encodeDeviceRecord(device));
    for (const i of device.interfaces) parts.push(Uint8Array.of(i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol, 0));
  }
  return concat(parts);
}

/** OP_REP_IMPORT: status 0 and the device record, or a non-zero status alone. */
export function encodeImportReply(device: UsbipDeviceInfo | null): Uint8Array {
  if (device === null) return encodeOpHeader(OP_REP_IMPORT, 1);
  return concat([encodeOpHeader(OP_REP_IMPORT, 0), encodeDeviceRecord(device)]);
}

export interface SetupFields {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

export type UrbCommand =
  | {
      kind: 'submit';
      seqnum: number;
      devid: number;
      /** 0 OUT, 1 IN. */
      direction: number;
      ep: number;
      transferFlags: number;
      transferBufferLength: number;
      startFrame: number;
      numberOfPackets: number;
      interval: number;
      setup: SetupFields;
    }
  | { kind: 'unlink'; seqnum: number; devid: number; direction: number; ep: number; unlinkSeqnum: number }
  | { kind: 'unknown'; command: number; seqnum: number };

/** Decodes a 48-byte URB header (the caller guarantees 48 bytes). */
export function decodeUrbHeader(bytes: Uint8Array): UrbCommand {
  const view = viewOf(bytes);
  const command = view.getUint32(0);
  const seqnum = view.getUint32(4);
  const devid = view.getUint32(8);
  const direction = view.getUint32(12);
  const ep = view.getUint32(16);
  if (command === USBIP_CMD_SUBMIT) {
    return {
      kind: 'submit', seqnum, devid, direction, ep,
      transferFlags: view.getUint32(20),
      transferBufferLength: view.getUint32(24),
      startFrame: view.getUint32(28),
      numberOfPackets: view.getUint32(32),
      interval: view.getUint32(36),
      setup: {
        bmRequestType: bytes[40],
        bRequest: bytes[41],
        wValue: view.getUint16(42, true),
        wIndex: view.getUint16(44, true),
        wLength: view.getUint16(46, true),
      },
    };
  }
  if (command === USBIP_CMD_UNLINK) return { kind: 'unlink', seqnum, devid, direction, ep, unlinkSeqnum: view.getUint32(20) };
  return { kind: 'unknown', command, seqnum };
}

/**
 * Bytes that follow a CMD_SUBMIT header: the OUT data, then one 16-byte descriptor per ISO packet.
 * Framing only; whether the server accepts that much is its own decision.
 */
export function submitPayloadLength(command: Extract<UrbCommand, { kind: 'submit' }>): number {
  const data = command.direction === 0 ? command.transferBufferLength : 0;
  const iso = command.numberOfPackets === NOT_ISO ? 0 : command.numberOfPackets * 16;
  return data + iso;
}

export function encodeCmdSubmit(c: Omit<Extract<UrbCommand, { kind: 'submit' }>, 'kind'>, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(URB_HEADER_LENGTH + data.length);
  const view = viewOf(out);
  view.setUint32(0, USBIP_CMD_SUBMIT);
  view.setUint32(4, c.seqnum);
  view.setUint32(8, c.devid);
  view.setUint32(12, c.direction);
  view.setUint32(16, c.ep);
  view.setUint32(20, c.transferFlags);
  view.setUint32(24, c.transferBufferLength);
  view.setUint32(28, c.startFrame);
  view.setUint32(32, c.numberOfPackets);
  view.setUint32(36, c.interval);
  out[40] = c.setup.bmRequestType;
  out[41] = c.setup.bRequest;
  view.setUint16(42, c.setup.wValue, true);
  view.setUint16(44, c.setup.wIndex, true);
  view.setUint16(46, c.setup.wLength, true);
  out.set(data, URB_HEADER_LENGTH);
  return out;
}

export function encodeCmdUnlink(seqnum: number, devid: number, unlinkSeqnum: number): Uint8Array {
  const out = new Uint8Array(URB_HEADER_LENGTH);
  const view = viewOf(out);
  view.setUint32(0, USBIP_CMD_UNLINK);
  view.setUint32(4, seqnum);
  view.setUint32(8, devid);
  view.setUint32(20, unlinkSeqnum);
  return out;
}

/** RET_SUBMIT: `status` is 0 or a negative errno; `data` is the IN data (empty for OUT). */
export function encodeRetSubmit(seqnum: number, status: number, actualLength: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(URB_HEADER_LENGTH + data.length);
  const view = viewOf(out);
  view.setUint32(0, USBIP_RET_SUBMIT);
  view.setUint32(4, seqnum);
  view.setInt32(20, status);
  view.setUint32(24, actualLength);
  view.setUint32(32, NOT_ISO);
  out.set(data, URB_HEADER_LENGTH);
  return out;
}

export function encodeRetUnlink(seqnum: number, status: number): Uint8Array {
  const out = new Uint8Array(URB_HEADER_LENGTH);
  const view = viewOf(out);
  view.setUint32(0, USBIP_RET_UNLINK);
  view.setUint32(4, seqnum);
  view.setInt32(20, status);
  return out;
}

export type UrbReply =
  | { kind: 'ret-submit'; seqnum: number; status: number; actualLength: number }
  | { kind: 'ret-unlink'; seqnum: number; status: number }
  | { kind: 'unknown'; command: number; seqnum: number };

/** Decodes a 48-byte reply header (the client side: tests and tools). */
export function decodeReplyHeader(bytes: Uint8Array): UrbReply {
  const view = viewOf(bytes);
  const command = view.getUint32(0);
  const seqnum = view.getUint32(4);
  if (command === USBIP_RET_SUBMIT) return { kind: 'ret-submit', seqnum, status: view.getInt32(20), actualLength: view.getUint32(24) };
  if (command === USBIP_RET_UNLINK) return { kind: 'ret-unlink', seqnum, status: view.getInt32(20) };
  return { kind: 'unknown', command, seqnum };
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  viewOf(out).setUint32(0, value);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
