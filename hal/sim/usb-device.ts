/**
 * A simulated full-speed USB device: the real `UsbDevice` interface for the class above it, plus a
 * host-side API (`host`) for whoever plays the bus (tests, the USB/IP server, `ccid-reader sim`).
 *
 * The device answers the standard requests of USB 2.0 §9.4 itself from the descriptors it was given
 * and forwards class and vendor requests to `onControl`. Bulk and interrupt IN messages are cut into
 * `wMaxPacketSize` packets, and a message whose length is a multiple of the packet size gets a
 * zero-length packet (USB 2.0 §5.8.3), so an IN URB completes exactly as on hardware: on a short
 * packet, a zero-length packet or a full buffer. OUT URBs reach the class in packets.
 *
 * Everything the device tells the class (OUT data, IN completion) and every URB completion goes
 * through the scheduler, never re-entrantly inside the call that caused it. `onControl` and
 * `onConfigured` are the exceptions: control transfers are answered synchronously (the interface
 * requires it). No Node APIs: this runs inside XS too.
 */
import type { Scheduler } from '../interfaces/scheduler.js';
import type {
  SetupPacket,
  UsbDevice,
  UsbDeviceOptions,
} from '../interfaces/usb-device.js';

/** Options of the simulated device: the board's `UsbDeviceOptions` plus the simulator's clock. */
export interface SimUsbDeviceOptions extends UsbDeviceOptions {
  scheduler: Scheduler;
  /** wMaxPacketSize of every non-control endpoint; 64 (full speed) unless told. */
  packetSize?: number;
  /**
   * Largest piece of an OUT transfer handed to `onBulkOut` at once, a multiple of `packetSize`:
   * one packet by default; the ESP32-S3 driver (hal/moddable/usb-device.c) hands over 512 bytes.
   */
  outChunkSize?: number;
}

/** How a URB ended, as libusb and USB/IP report it. */
export type UsbTransferStatus =
  /** Completed (IN: short packet, zero-length packet or full buffer). */
  | 'ok'
  /** The device stalled the request. */
  | 'stall'
  /** A packet did not fit in what was left of the IN buffer (babble). */
  | 'overflow'
  /** The device was closed or the bus reset while the URB was pending. */
  | 'no-device';

export interface UsbControlResult {
  status: 'ok' | 'stall';
  /** IN stage data, already trimmed to wLength; empty for OUT requests and stalls. */
  data: Uint8Array;
}

/** The bus side of the simulated device. */
export interface SimUsbHost {
  /** One control transfer, answered at once (the device may not delay a control transfer). */
  control(setup: SetupPacket, data?: Uint8Array | null): UsbControlResult;
  /** Submit one bulk OUT URB; the bytes are copied. `done` runs after the class has received them. */
  bulkOut(data: Uint8Array, done?: (status: UsbTransferStatus) => void): number;
  /** Submit one bulk IN URB of `maxLength` bytes. Returns a handle for `cancel`. */
  bulkIn(maxLength: number, done: (status: UsbTransferStatus, data: Uint8Array) => void): number;
  /** Submit one interrupt IN URB of `maxLength` bytes. Returns a handle for `cancel`. */
  interruptIn(maxLength: number, done: (status: UsbTransferStatus, data: Uint8Array) => void): number;
  /**
   * Unlink a pending URB: true when it was still pending (its `done` will never run), false when it
   * had already completed or was unknown (its `done` has run or is queued to run).
   */
  cancel(handle: number): boolean;
  /** Bus reset: address 0, unconfigured; pending URBs end with 'no-device', queued IN messages are dropped. */
  reset(): void;
  readonly address: number;
  readonly configuration: number;
}

type InDone = (status: UsbTransferStatus, data: Uint8Array) => void;

interface InUrb {
  handle: number;
  maxLength: number;
  received: number;
  buffer: Uint8Array;
  done: InDone;
}

interface OutUrb {
  handle: number;
  data: Uint8Array;
  /** Bytes already handed to the class (a paused endpoint stops between chunks). */
  offset: number;
  done: ((status: UsbTransferStatus) => void) | undefined;
}

/** One IN endpoint: the message the class queued (at most one) and the host's pending URBs. */
class InEndpoint {
  message: Uint8Array | null = null;
  /** Bytes of `message` already moved to the host. */
  sent = 0;
  /** The trailing zero-length packet is still owed. */
  zlpOwed = false;
  readonly urbs: InUrb[] = [];
}

const REQUEST_GET_STATUS = 0x00;
const REQUEST_CLEAR_FEATURE = 0x01;
const REQUEST_SET_FEATURE = 0x03;
const REQUEST_SET_ADDRESS = 0x05;
const REQUEST_GET_DESCRIPTOR = 0x06;
const REQUEST_GET_CONFIGURATION = 0x08;
const REQUEST_SET_CONFIGURATION = 0x09;
const REQUEST_GET_INTERFACE = 0x0a;
const REQUEST_SET_INTERFACE = 0x0b;

const DESCRIPTOR_DEVICE = 1;
const DESCRIPTOR_CONFIGURATION = 2;
const DESCRIPTOR_STRING = 3;

const EMPTY = new Uint8Array(0);

export class SimUsbDevice implements UsbDevice {
  readonly host: SimUsbHost;
  readonly descriptors: UsbDeviceOptions['descriptors'];
  readonly #options: SimUsbDeviceOptions;
  readonly #scheduler: Scheduler;
  readonly #packetSize: number;
  readonly #outChunkSize: number;
  readonly #bulkIn = new InEndpoint();
  readonly #interruptIn = new InEndpoint();
  readonly #outUrbs: OutUrb[] = [];
  #configuration = 0;
  #address = 0;
  #closed = false;
  #nextHandle = 1;
  #pumpScheduled = false;
  /** The class holds bulk OUT back (pauseBulkOut): packets wait in their URB, as a NAKed endpoint's do. */
  #outPaused = false;

  constructor(options: SimUsbDeviceOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler;
    this.#packetSize = options.packetSize ?? 64;
    this.#outChunkSize = options.outChunkSize ?? this.#packetSize;
    if (this.#outChunkSize % this.#packetSize !== 0) throw new RangeError('outChunkSize must be a multiple of packetSize');
    this.descriptors = options.descriptors;
    const device = this;
    this.host = {
      control: (setup, data) => device.#control(setup, data ?? null),
      bulkOut: (data, done) => device.#submitOut(data, done),
      bulkIn: (maxLength, done) => device.#submitIn(device.#bulkIn, maxLength, done),
      interruptIn: (maxLength, done) => device.#submitIn(device.#interruptIn, maxLength, done),
      cancel: (handle) => device.#cancel(handle),
      reset: () => device.#busReset(),
      get address() { return device.#address; },
      get configuration() { return device.#configuration; },
    };
  }

  get configured(): boolean {
    return this.#configuration !== 0 && !this.#closed;
  }

  sendBulk(message: Uint8Array): boolean {
    return this.#queue(this.#bulkIn, message);
  }

  sendInterrupt(message: Uint8Array): boolean {
    if (message.length > this.#packetSize) throw new RangeError('interrupt message longer than one packet');
    return this.#queue(this.#interruptIn, message);
  }

  pauseBulkOut(paused: boolean): void {
    if (paused === this.#outPaused) return;
    this.#outPaused = paused;
    if (!paused && this.#outUrbs.length > 0) this.#schedulePump();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#configuration = 0;
    this.#failAll();
  }

  #queue(endpoint: InEndpoint, message: Uint8Array): boolean {
    if (!this.configured || endpoint.message !== null) return false;
    endpoint.message = message.slice();
    endpoint.sent = 0;
    endpoint.zlpOwed = message.length % this.#packetSize === 0;
    this.#schedulePump();
    return true;
  }

  #submitOut(data: Uint8Array, done: ((status: UsbTransferStatus) => void) | undefined): number {
    const handle = this.#nextHandle++;
    if (!this.configured) {
      if (done) this.#scheduler.at(this.#scheduler.now(), () => done('no-device'));
      return handle;
    }
    this.#outUrbs.push({ handle, data: data.slice(), offset: 0, done });
    this.#schedulePump();
    return handle;
  }

  #submitIn(endpoint: InEndpoint, maxLength: number, done: InDone): number {
    const handle = this.#nextHandle++;
    if (!this.configured) {
      this.#scheduler.at(this.#scheduler.now(), () => done('no-device', EMPTY));
      return handle;
    }
    // The buffer grows with what arrives: hosts ask for dwMaxCCIDMessageLength (64 KB) and most
    // answers are a few bytes.
    endpoint.urbs.push({ handle, maxLength, received: 0, buffer: EMPTY, done });
    this.#schedulePump();
    return handle;
  }

  #cancel(handle: number): boolean {
    for (const list of [this.#bulkIn.urbs, this.#interruptIn.urbs, this.#outUrbs]) {
      const index = (list as { handle: number }[]).findIndex((urb) => urb.handle === handle);
      if (index >= 0) {
        list.splice(index, 1);
        return true;
      }
    }
    return false;
  }

  #busReset(): void {
    const wasConfigured = this.#configuration !== 0;
    this.#configuration = 0;
    this.#address = 0;
    this.#failAll();
    if (wasConfigured) this.#options.onConfigured?.(0);
  }

  #failAll(): void {
    const urbs = [...this.#bulkIn.urbs, ...this.#interruptIn.urbs];
    const outs = this.#outUrbs.splice(0);
    for (const endpoint of [this.#bulkIn, this.#interruptIn]) {
      endpoint.urbs.length = 0;
      endpoint.message = null;
      endpoint.zlpOwed = false;
    }
    const now = this.#scheduler.now();
    for (const urb of urbs) this.#scheduler.at(now, () => urb.done('no-device', EMPTY));
    for (const urb of outs) {
      const done = urb.done;
      if (done) this.#scheduler.at(now, () => done('no-device'));
    }
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    this.#scheduler.at(this.#scheduler.now(), () => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Move data between the class and the host's URBs; runs from the scheduler only. */
  #pump(): void {
    const size = this.#outChunkSize;
    while (this.#outUrbs.length > 0 && this.configured && !this.#outPaused) {
      const urb = this.#outUrbs[0];
      const data = urb.data;
      // USB 2.0 §5.8.3: a transfer is a run of full packets ended by a short or zero-length one.
      if (data.length === 0) this.#options.onBulkOut(data);
      while (urb.offset < data.length && !this.#outPaused) {
        const end = Math.min(urb.offset + size, data.length);
        const chunk = data.subarray(urb.offset, end);
        urb.offset = end;
        this.#options.onBulkOut(chunk);
      }
      if (urb.offset < data.length || this.#outUrbs[0] !== urb) break;
      this.#outUrbs.shift();
      urb.done?.('ok');
    }
    this.#pumpIn(this.#bulkIn, 'bulk');
    this.#pumpIn(this.#interruptIn, 'interrupt');
  }

  #pumpIn(endpoint: InEndpoint, name: 'bulk' | 'interrupt'): void {
    const size = this.#packetSize;
    while (endpoint.message !== null && endpoint.urbs.length > 0) {
      const urb = endpoint.urbs[0];
      const message = endpoint.message;
      // Full packets that neither end the message nor fill the URB complete nothing: they move at
      // once, all but the last of those that fit (the last goes through the checks below).
      const full = Math.min(Math.floor((message.length - endpoint.sent) / size), Math.floor((urb.maxLength - urb.received) / size)) - 1;
      if (full > 0) {
        const bytes = full * size;
        if (urb.received + bytes + size > urb.buffer.length) {
          const grown = new Uint8Array(Math.min(urb.maxLength, Math.max(2 * urb.buffer.length, urb.received + bytes + size, 64)));
          grown.set(urb.buffer.subarray(0, urb.received));
          urb.buffer = grown;
        }
        urb.buffer.set(message.subarray(endpoint.sent, endpoint.sent + bytes), urb.received);
        urb.received += bytes;
        endpoint.sent += bytes;
      }
      const packet = Math.min(size, message.length - endpoint.sent);
      if (packet === 0 && !endpoint.zlpOwed) break;
      if (urb.received + packet > urb.maxLength) {
        // Babble: the URB fails; the packet stays queued, so a host that retries with room gets it.
        endpoint.urbs.shift();
        urb.done('overflow', urb.buffer.subarray(0, urb.received));
        continue;
      }
      if (urb.received + packet > urb.buffer.length) {
        const grown = new Uint8Array(Math.min(urb.maxLength, Math.max(2 * urb.buffer.length, urb.received + packet, 64)));
        grown.set(urb.buffer.subarray(0, urb.received));
        urb.buffer = grown;
      }
      urb.buffer.set(message.subarray(endpoint.sent, endpoint.sent + packet), urb.received);
      urb.received += packet;
      endpoint.sent += packet;
      if (packet === 0) endpoint.zlpOwed = false;
      const finished = endpoint.sent === message.length && !endpoint.zlpOwed;
      if (packet < size || urb.received === urb.maxLength) {
        endpoint.urbs.shift();
        urb.done('ok', urb.buffer.subarray(0, urb.received));
      }
      if (finished) {
        endpoint.message = null;
        this.#options.onInComplete?.(name);
      }
    }
  }

  #control(setup: SetupPacket, data: Uint8Array | null): UsbControlResult {
    if (this.#closed) return { status: 'stall', data: EMPTY };
    const type = (setup.bmRequestType >> 5) & 3;
    if (type !== 0) {
      const reply = this.#options.onControl(setup, data);
      if (reply === 'stall') return { status: 'stall', data: EMPTY };
      if (reply === 'ack') return { status: 'ok', data: EMPTY };
      return { status: 'ok', data: reply.slice(0, setup.wLength) };
    }
    const reply = this.#standard(setup);
    if (reply === null) return { status: 'stall', data: EMPTY };
    return { status: 'ok', data: reply.slice(0, setup.wLength) };
  }

  /** USB 2.0 §9.4 standard requests; null means STALL. */
  #standard(setup: SetupPacket): Uint8Array | null {
    const recipient = setup.bmRequestType & 0x1f;
    const deviceToHost = (setup.bmRequestType & 0x80) !== 0;
    switch (setup.bRequest) {
      case REQUEST_GET_DESCRIPTOR:
        return deviceToHost && recipient === 0 ? this.#descriptor(setup.wValue >> 8, setup.wValue & 0xff) : null;
      case REQUEST_SET_ADDRESS:
        if (recipient !== 0 || setup.wValue > 127) return null;
        this.#address = setup.wValue;
        return EMPTY;
      case REQUEST_SET_CONFIGURATION: {
        if (recipient !== 0 || setup.wValue > 1) return null;
        const changed = setup.wValue !== this.#configuration;
        this.#configuration = setup.wValue;
        // USB 2.0 §9.1.1.5: (re)configuring resets the endpoints; what they held is gone.
        if (setup.wValue === 0) this.#failAll();
        for (const endpoint of [this.#bulkIn, this.#interruptIn]) {
          endpoint.message = null;
          endpoint.zlpOwed = false;
        }
        if (changed || setup.wValue === 1) this.#options.onConfigured?.(setup.wValue);
        return EMPTY;
      }
      case REQUEST_GET_CONFIGURATION:
        return Uint8Array.of(this.#configuration);
      case REQUEST_GET_STATUS:
        // Device: self-powered bit from the configuration's bmAttributes; interface/endpoint: zero.
        if (recipient === 0) return Uint8Array.of((this.descriptors.configuration[7] >> 6) & 1, 0);
        return Uint8Array.of(0, 0);
      case REQUEST_GET_INTERFACE:
        return this.#configuration !== 0 && recipient === 1 ? Uint8Array.of(0) : null;
      case REQUEST_SET_INTERFACE:
        return this.#configuration !== 0 && recipient === 1 && setup.wValue === 0 ? EMPTY : null;
      case REQUEST_CLEAR_FEATURE:
      case REQUEST_SET_FEATURE:
        // ENDPOINT_HALT (0) on an endpoint, or DEVICE_REMOTE_WAKEUP (1) on the device: accepted.
        return (recipient === 2 && setup.wValue === 0) || (recipient === 0 && setup.wValue === 1) ? EMPTY : null;
      default:
        return null;
    }
  }

  /** GET_DESCRIPTOR: device, configuration and strings; everything else (DEVICE_QUALIFIER, BOS) stalls. */
  #descriptor(type: number, index: number): Uint8Array | null {
    if (type === DESCRIPTOR_DEVICE && index === 0) return this.descriptors.device;
    if (type === DESCRIPTOR_CONFIGURATION && index === 0) return this.descriptors.configuration;
    if (type === DESCRIPTOR_STRING && index < this.descriptors.strings.length) return this.descriptors.strings[index];
    return null;
  }
}
