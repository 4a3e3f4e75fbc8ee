/**
 * A USB/IP client of one imported device over a socket (what the libusb stand-in is, in TypeScript):
 * one URB at a time, replies in order. For benches and tests that talk to `ccid-reader serve` as a
 * host would, without pcscd.
 */
import type { Socket } from 'node:net';
import {
  NOT_ISO, OP_REQ_IMPORT, URB_HEADER_LENGTH, USBIP_VERSION, decodeReplyHeader, encodeCmdSubmit, type SetupFields,
} from '../../hal/sim/usbip/protocol.js';

/** OP_REP_IMPORT: 8-byte header and the 0x138-byte device record. */
const IMPORT_REPLY = 8 + 0x138;

/** A USB/IP client of one imported device: one URB at a time, replies in order. */
export class UsbipClient {
  #buffer: Buffer = Buffer.alloc(0);
  #seq = 1;
  #waiting: ((bytes: Buffer) => void) | null = null;
  #need = 0;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#deliver();
    });
  }

  #deliver(): void {
    if (this.#waiting === null || this.#buffer.length < this.#need) return;
    const bytes = this.#buffer.subarray(0, this.#need);
    this.#buffer = this.#buffer.subarray(this.#need);
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting(bytes);
  }

  #read(length: number): Promise<Buffer> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#need = length;
      this.#deliver();
    });
  }

  async import(): Promise<void> {
    const request = Buffer.alloc(40);
    request.writeUInt16BE(USBIP_VERSION, 0);
    request.writeUInt16BE(OP_REQ_IMPORT, 2);
    request.write('1-1', 8);
    this.socket.write(request);
    const reply = await this.#read(IMPORT_REPLY);
    if (reply.readUInt32BE(4) !== 0) throw new Error('import refused');
  }

  /** One URB; resolves with the IN data (or empty for OUT). */
  async submit(ep: number, direction: 0 | 1, length: number, data?: Uint8Array, setup?: SetupFields): Promise<Buffer> {
    const seqnum = this.#seq++;
    this.socket.write(encodeCmdSubmit({
      seqnum, devid: 0x10002, direction, ep, transferFlags: 0, transferBufferLength: length, startFrame: 0,
      numberOfPackets: NOT_ISO, interval: 0, setup: setup ?? { bmRequestType: 0, bRequest: 0, wValue: 0, wIndex: 0, wLength: 0 },
    }, data));
    const header = decodeReplyHeader(await this.#read(URB_HEADER_LENGTH));
    if (header.kind !== 'ret-submit' || header.seqnum !== seqnum) throw new Error(`unexpected reply ${JSON.stringify(header)}`);
    if (header.status !== 0) throw new Error(`URB failed with status ${header.status}`);
    return direction === 1 ? Buffer.from(await this.#read(header.actualLength)) : Buffer.alloc(0);
  }
}

