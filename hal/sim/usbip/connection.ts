/**
 * One USB/IP client connection, independent of the transport: bytes in through `receive`, bytes out
 * through `send`. Handshake (OP_REQ_DEVLIST, OP_REQ_IMPORT), then URBs (CMD_SUBMIT / CMD_UNLINK)
 * carried to the simulated device's host-side bus API. Malformed input ends the connection, never the
 * server. No Node APIs.
 */
import type { SimUsbHost, UsbTransferStatus } from '../usb-device.js';
import type { EndpointMap } from './endpoints.js';
import {
  ERRNO, IMPORT_BUSID_LENGTH, NOT_ISO, OP_HEADER_LENGTH, OP_REQ_DEVLIST, OP_REQ_IMPORT, URB_HEADER_LENGTH,
  USBIP_VERSION, decodeBusid, decodeOpHeader, decodeUrbHeader, encodeDevlistReply, encodeImportReply,
  encodeRetSubmit, encodeRetUnlink, submitPayloadLength, type UrbCommand, type UsbipDeviceInfo,
} from './protocol.js';

/** The one device a server exports; at most one connection imports it at a time (as usbipd does). */
export interface UsbipExport {
  readonly info: UsbipDeviceInfo;
  readonly host: SimUsbHost;
  readonly endpoints: EndpointMap;
  /** The connection that imported the device, if any. */
  importer: object | null;
}

export interface UsbipConnectionOptions {
  exported: UsbipExport;
  send(bytes: Uint8Array): void;
  /** Close the transport (after what was sent). */
  end(): void;
  /** Something happened that may have made simulator events due (the pacer runs them). */
  onActivity?(): void;
  log?(message: string): void;
}

const EMPTY = new Uint8Array(0);

/** Larger transfers are refused: libccid's largest is an extended APDU block of a few KB. */
export const MAX_TRANSFER = 1 << 20;

interface Pending {
  handle: number;
  /** A CMD_UNLINK arrived after the URB completed but before its RET_SUBMIT went out. */
  unlinkSeqnum: number | null;
}

type Submit = Extract<UrbCommand, { kind: 'submit' }>;

const STATUS: Record<UsbTransferStatus, number> = {
  ok: 0,
  stall: -ERRNO.EPIPE,
  overflow: -ERRNO.EOVERFLOW,
  'no-device': -ERRNO.ENODEV,
};

export class UsbipConnection {
  readonly #o: UsbipConnectionOptions;
  #buffer = EMPTY;
  #phase: 'handshake' | 'urbs' | 'closed' = 'handshake';
  readonly #pending = new Map<number, Pending>();

  constructor(options: UsbipConnectionOptions) {
    this.#o = options;
  }

  get imported(): boolean {
    return this.#phase === 'urbs';
  }

  receive(chunk: Uint8Array): void {
    if (this.#phase === 'closed') return;
    // Usually nothing is left from the last chunk: then this one is parsed where it is.
    let joined = chunk;
    if (this.#buffer.length > 0) {
      joined = new Uint8Array(this.#buffer.length + chunk.length);
      joined.set(this.#buffer);
      joined.set(chunk, this.#buffer.length);
    }
    let offset = 0;
    for (;;) {
      const used = this.#phase === 'handshake' ? this.#handshake(joined.subarray(offset)) : this.#phase === 'urbs' ? this.#urb(joined.subarray(offset)) : 0;
      if (used === 0) break;
      offset += used;
    }
    // The loop may have closed the connection (a method call TypeScript's narrowing does not see).
    // Kept bytes are copied: the transport may reuse the chunk's memory.
    this.#buffer = this.#isOpen() && offset < joined.length ? joined.slice(offset) : EMPTY;
    this.#o.onActivity?.();
  }

  #isOpen(): boolean {
    return this.#phase !== 'closed';
  }

  /** The transport went away: forget the URBs and give the device back, as an unplug would. */
  closed(): void {
    if (this.#phase === 'closed') return;
    const wasImported = this.#phase === 'urbs';
    this.#phase = 'closed';
    this.#buffer = EMPTY;
    if (!wasImported) return;
    for (const pending of this.#pending.values()) this.#o.exported.host.cancel(pending.handle);
    this.#pending.clear();
    if (this.#o.exported.importer === this) {
      this.#o.exported.importer = null;
      this.#o.exported.host.reset();
    }
    this.#o.onActivity?.();
  }

  #fail(reason: string): number {
    this.#o.log?.(`usbip: ${reason}; closing the connection`);
    this.#o.end();
    this.closed();
    return 0;
  }

  /** Returns the bytes consumed, 0 when more are needed (or the connection ended). */
  #handshake(bytes: Uint8Array): number {
    if (bytes.length < OP_HEADER_LENGTH) return 0;
    const op = decodeOpHeader(bytes);
    if (op.version !== USBIP_VERSION) return this.#fail(`unsupported version 0x${op.version.toString(16)}`);
    if (op.code === OP_REQ_DEVLIST) {
      this.#o.send(encodeDevlistReply([this.#o.exported.info]));
      this.#o.end();
      this.closed();
      return 0;
    }
    if (op.code !== OP_REQ_IMPORT) return this.#fail(`unknown operation 0x${op.code.toString(16)}`);
    if (bytes.length < OP_HEADER_LENGTH + IMPORT_BUSID_LENGTH) return 0;
    const busid = decodeBusid(bytes.subarray(OP_HEADER_LENGTH, OP_HEADER_LENGTH + IMPORT_BUSID_LENGTH));
    const exported = this.#o.exported;
    if (busid !== exported.info.busid || exported.importer !== null) {
      this.#o.log?.(`usbip: import of '${busid}' refused (${busid !== exported.info.busid ? 'unknown bus id' : 'in use'})`);
      this.#o.send(encodeImportReply(null));
      this.#o.end();
      this.closed();
      return 0;
    }
    exported.importer = this;
    // A fresh attachment starts from a bus reset, as a plug-in does.
    exported.host.reset();
    this.#o.send(encodeImportReply(exported.info));
    this.#phase = 'urbs';
    return OP_HEADER_LENGTH + IMPORT_BUSID_LENGTH;
  }

  #urb(bytes: Uint8Array): number {
    if (bytes.length < URB_HEADER_LENGTH) return 0;
    const command = decodeUrbHeader(bytes);
    if (command.kind === 'unknown') return this.#fail(`unknown command ${command.command}`);
    if (command.kind === 'unlink') {
      this.#unlink(command.seqnum, command.unlinkSeqnum);
      return URB_HEADER_LENGTH;
    }
    const iso = command.numberOfPackets !== NOT_ISO && command.numberOfPackets !== 0;
    if (command.transferBufferLength > MAX_TRANSFER || (iso && command.numberOfPackets > 1024)) {
      return this.#fail(`submit of ${command.transferBufferLength} bytes refused`);
    }
    const total = URB_HEADER_LENGTH + submitPayloadLength(command);
    if (bytes.length < total) return 0;
    if (iso) {
      this.#o.send(encodeRetSubmit(command.seqnum, -ERRNO.EINVAL, 0, EMPTY));
      return total;
    }
    // Bulk OUT data is copied by the device when the URB is submitted (SimUsbHost.bulkOut): a view
    // is enough; a control request's data is the class's to keep.
    const end = URB_HEADER_LENGTH + command.transferBufferLength;
    const data = command.direction !== 0 ? null : command.ep === 0 ? bytes.slice(URB_HEADER_LENGTH, end) : bytes.subarray(URB_HEADER_LENGTH, end);
    this.#submit(command, data);
    return total;
  }

  #submit(command: Submit, data: Uint8Array | null): void {
    const { host, endpoints } = this.#o.exported;
    const seqnum = command.seqnum;
    if (command.ep === 0) {
      const result = host.control(command.setup, data);
      const reply = result.data.subarray(0, command.transferBufferLength);
      const status = result.status === 'ok' ? 0 : -ERRNO.EPIPE;
      const actual = command.direction === 1 ? reply.length : status === 0 ? command.transferBufferLength : 0;
      this.#o.send(encodeRetSubmit(seqnum, status, actual, command.direction === 1 ? reply : EMPTY));
      return;
    }
    const kind = endpoints.byAddress.get(command.ep | (command.direction === 1 ? 0x80 : 0));
    if (kind === undefined) {
      this.#o.send(encodeRetSubmit(seqnum, -ERRNO.EPIPE, 0, EMPTY));
      return;
    }
    const pending: Pending = { handle: 0, unlinkSeqnum: null };
    this.#pending.set(seqnum, pending);
    const finish = (status: UsbTransferStatus, actual: number, inData: Uint8Array): void => {
      if (this.#pending.get(seqnum) !== pending) return;
      this.#pending.delete(seqnum);
      this.#o.send(encodeRetSubmit(seqnum, STATUS[status], actual, inData));
      if (pending.unlinkSeqnum !== null) this.#o.send(encodeRetUnlink(pending.unlinkSeqnum, 0));
    };
    if (kind === 'bulk-out') {
      const length = data?.length ?? 0;
      pending.handle = host.bulkOut(data ?? EMPTY, (status) => finish(status, status === 'ok' ? length : 0, EMPTY));
    } else {
      const done = (status: UsbTransferStatus, inData: Uint8Array): void => finish(status, inData.length, inData);
      const length = command.transferBufferLength;
      pending.handle = kind === 'bulk-in' ? host.bulkIn(length, done) : host.interruptIn(length, done);
    }
  }

  /** Both orders of the race: still pending → unlinked (-ECONNRESET, no RET_SUBMIT); already done → 0 after the RET_SUBMIT. */
  #unlink(seqnum: number, target: number): void {
    const pending = this.#pending.get(target);
    if (pending === undefined) {
      this.#o.send(encodeRetUnlink(seqnum, 0));
    } else if (this.#o.exported.host.cancel(pending.handle)) {
      this.#pending.delete(target);
      this.#o.send(encodeRetUnlink(seqnum, -ERRNO.ECONNRESET));
    } else {
      pending.unlinkSeqnum = seqnum;
    }
  }
}
