/**
 * Test-only: a USB/IP client wired to a UsbipConnection in memory, decoding what the server sends.
 */
import { UsbipConnection, type UsbipExport } from '../../hal/sim/usbip/connection.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import {
  OP_REQ_IMPORT, URB_HEADER_LENGTH, USBIP_VERSION, decodeReplyHeader, encodeCmdSubmit, encodeCmdUnlink, type SetupFields,
  type UsbipDeviceInfo,
} from '../../hal/sim/usbip/protocol.js';
import type { EchoDevice } from './echo-device.js';

export type Reply =
  | { kind: 'ret-submit'; seqnum: number; status: number; actualLength: number; data: Uint8Array }
  | { kind: 'ret-unlink'; seqnum: number; status: number };

export const DEVICE_INFO: UsbipDeviceInfo = {
  path: '/sim/ccid-reader', busid: '1-1', busnum: 1, devnum: 2, speed: 2,
  idVendor: 0x1234, idProduct: 0x5678, bcdDevice: 0x0100, bDeviceClass: 0, bDeviceSubClass: 0, bDeviceProtocol: 0,
  bConfigurationValue: 1, bNumConfigurations: 1, interfaces: [{ bInterfaceClass: 0x0b, bInterfaceSubClass: 0, bInterfaceProtocol: 0 }],
};

export function exportOf(device: EchoDevice): UsbipExport {
  return { info: DEVICE_INFO, host: device.usb.host, endpoints: endpointsOf(device.usb.descriptors.configuration), importer: null };
}

export class MemoryClient {
  readonly connection: UsbipConnection;
  /** Raw bytes from the server not yet decoded. */
  raw = new Uint8Array(0);
  ended = false;
  readonly #inbound = new Set<number>();
  #seq = 1;

  constructor(readonly exported: UsbipExport, readonly device: EchoDevice) {
    this.connection = new UsbipConnection({
      exported,
      send: (bytes) => {
        const joined = new Uint8Array(this.raw.length + bytes.length);
        joined.set(this.raw);
        joined.set(bytes, this.raw.length);
        this.raw = joined;
      },
      end: () => { this.ended = true; },
    });
  }

  /** Sends OP_REQ_IMPORT and returns the reply's status. */
  import(busid = '1-1'): number {
    const req = new Uint8Array(40);
    const view = new DataView(req.buffer);
    view.setUint16(0, USBIP_VERSION);
    view.setUint16(2, OP_REQ_IMPORT);
    for (let i = 0; i < busid.length; i++) req[8 + i] = busid.charCodeAt(i);
    this.connection.receive(req);
    const status = new DataView(this.raw.buffer, this.raw.byteOffset).getUint32(4);
    this.raw = this.raw.slice(status === 0 ? 8 + 0x138 : 8);
    return status;
  }

  submit(ep: number, direction: 0 | 1, length: number, data?: Uint8Array, setup?: SetupFields): number {
    const seqnum = this.#seq++;
    if (direction === 1) this.#inbound.add(seqnum);
    const noSetup = { bmRequestType: 0, bRequest: 0, wValue: 0, wIndex: 0, wLength: 0 };
    this.connection.receive(encodeCmdSubmit({
      seqnum, devid: 0x10002, direction, ep, transferFlags: 0, transferBufferLength: length, startFrame: 0,
      numberOfPackets: 0xffffffff, interval: 0, setup: setup ?? noSetup,
    }, data));
    return seqnum;
  }

  control(setup: SetupFields, data?: Uint8Array): number {
    const direction = setup.bmRequestType & 0x80 ? 1 : 0;
    return this.submit(0, direction, direction ? setup.wLength : (data?.length ?? 0), data, setup);
  }

  unlink(target: number): number {
    const seqnum = this.#seq++;
    this.connection.receive(encodeCmdUnlink(seqnum, 0x10002, target));
    return seqnum;
  }

  /** Runs the simulator until idle, then decodes every complete reply received. */
  replies(): Reply[] {
    this.device.scheduler.runUntilIdle();
    const out: Reply[] = [];
    while (this.raw.length >= URB_HEADER_LENGTH) {
      const header = decodeReplyHeader(this.raw);
      if (header.kind === 'unknown') throw new Error(`unexpected reply command ${header.command}`);
      if (header.kind === 'ret-unlink') {
        out.push(header);
        this.raw = this.raw.slice(URB_HEADER_LENGTH);
        continue;
      }
      const dataLength = this.#inbound.delete(header.seqnum) ? header.actualLength : 0;
      out.push({ ...header, data: this.raw.slice(URB_HEADER_LENGTH, URB_HEADER_LENGTH + dataLength) });
      this.raw = this.raw.slice(URB_HEADER_LENGTH + dataLength);
    }
    return out;
  }
}
