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
  const command = getU32(bytes, 0);
  const seqnum = getU32(bytes, 4);
  const devid = getU32(bytes, 8);
  const direction = getU32(bytes, 12);
  const ep = getU32(bytes, 16);
  if (command === USBIP_CMD_SUBMIT) {
    return {
      kind: 'submit', seqnum, devid, direction, ep,
      transferFlags: getU32(bytes, 20),
      transferBufferLength: getU32(bytes, 24),
      startFrame: getU32(bytes, 28),
      numberOfPackets: getU32(bytes, 32),
      interval: getU32(bytes, 36),
      setup: {
        bmRequestType: bytes[40],
        bRequest: bytes[41],
        wValue: bytes[42] | (bytes[43] << 8),
        wIndex: bytes[44] | (bytes[45] << 8),
        wLength: bytes[46] | (bytes[47] << 8),
      },
    };
  }
  if (command === USBIP_CMD_UNLINK) return { kind: 'unlink', seqnum, devid, direction, ep, unlinkSeqnum: getU32(bytes, 20) };
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
  putU32(out, 0, USBIP_CMD_SUBMIT);
  putU32(out, 4, c.seqnum);
  putU32(out, 8, c.devid);
  putU32(out, 12, c.direction);
  putU32(out, 16, c.ep);
  putU32(out, 20, c.transferFlags);
  putU32(out, 24, c.transferBufferLength);
  putU32(out, 28, c.startFrame);
  putU32(out, 32, c.numberOfPackets);
  putU32(out, 36, c.interval);
  out[40] = c.setup.bmRequestType;
  out[41] = c.setup.bRequest;
  putU16le(out, 42, c.setup.wValue);
  putU16le(out, 44, c.setup.wIndex);
  putU16le(out, 46, c.setup.wLength);
  out.set(data, URB_HEADER_LENGTH);
  return out;
}

export function encodeCmdUnlink(seqnum: number, devid: number, unlinkSeqnum: number): Uint8Array {
  const out = new Uint8Array(URB_HEADER_LENGTH);
  putU32(out, 0, USBIP_CMD_UNLINK);
  putU32(out, 4, seqnum);
  putU32(out, 8, devid);
  putU32(out, 20, unlinkSeqnum);
  return out;
}

/** RET_SUBMIT: `status` is 0 or a negative errno; `data` is the IN data (empty for OUT). */
export function encodeRetSubmit(seqnum: number, status: number, actualLength: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(URB_HEADER_LENGTH + data.length);
  putU32(out, 0, USBIP_RET_SUBMIT);
  putU32(out, 4, seqnum);
  putU32(out, 20, status);
  putU32(out, 24, actualLength);
  putU32(out, 32, NOT_ISO);
  if (data.length > 0) out.set(data, URB_HEADER_LENGTH);
  return out;
}

export function encodeRetUnlink(seqnum: number, status: number): Uint8Array {
  const out = new Uint8Array(URB_HEADER_LENGTH);
  putU32(out, 0, USBIP_RET_UNLINK);
  putU32(out, 4, seqnum);
  putU32(out, 20, status);
  return out;
}

export type UrbReply =
  | { kind: 'ret-submit'; seqnum: number; status: number; actualLength: number }
  | { kind: 'ret-unlink'; seqnum: number; status: number }
  | { kind: 'unknown'; command: number; seqnum: number };

/** Decodes a 48-byte reply header (the client side: tests and tools). */
export function decodeReplyHeader(bytes: Uint8Array): UrbReply {
  const command = getU32(bytes, 0);
  const seqnum = getU32(bytes, 4);
  if (command === USBIP_RET_SUBMIT) return { kind: 'ret-submit', seqnum, status: getU32(bytes, 20) | 0, actualLength: getU32(bytes, 24) };
  if (command === USBIP_RET_UNLINK) return { kind: 'ret-unlink', seqnum, status: getU32(bytes, 20) | 0 };
  return { kind: 'unknown', command, seqnum };
}

/*
 * The per-URB codecs read and write their big-endian fields byte by byte: a DataView per message
 * costs more than the message's whole header.
 */
function getU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/** Big-endian; a negative `value` (a status) is written in two's complement. */
function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

/** The setup packet's fields are USB's, little-endian. */
function putU16le(out: Uint8Array, at: number, value: number): void {
  out[at] = value;
  out[at + 1] = value >>> 8;
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
