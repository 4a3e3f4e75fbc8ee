/**
 * TinyUSB's device stack on the ESP32-S3's full-speed USB-OTG port, as usb-device.c uses it: the
 * usbd core and control-transfer state machine of espressif/tinyusb 0.19.0~3 (src/device/usbd.c,
 * usbd_control.c), the descriptor callbacks of esp_tinyusb 2.2.1 (descriptors_control.c), and the
 * endpoint transfers of the DWC2 controller as the bus sees them. The bus side is the simulator's
 * SimUsbHost (hal/sim/usb-device.ts), so the USB/IP server, the host driver and the capture writers
 * work with it unchanged.
 *
 * Kept from TinyUSB:
 * - Standard requests are the core's. GET_DESCRIPTOR answers from the pointers esp_tinyusb was given
 *   (read when asked, as it does): string descriptors are the C strings widened to UTF-16, at most 31
 *   characters, index 0 the language ID; an index past the strings, DEVICE_QUALIFIER,
 *   OTHER_SPEED_CONFIGURATION and BOS stall (a full-speed-only device).
 * - SET_CONFIGURATION opens each interface through the class drivers' open() (here the application
 *   driver of usbd_app_driver_get_cb) and stalls when none claims one; a different configuration
 *   first closes the endpoints and calls reset(). Every request to an interface, standard or class,
 *   goes to its driver first; GET_INTERFACE/SET_INTERFACE are answered by the core when the driver
 *   refuses them. CLEAR_FEATURE/SET_FEATURE(ENDPOINT_HALT) are the core's, then forwarded.
 * - A class request whose SETUP callback returns true without tud_control_xfer/tud_control_status is
 *   answered later (EP0 NAKs meanwhile); the DATA and ACK stages call the driver again. A driver
 *   refusal, or usbd_edpt_stall on EP0, stalls the request.
 * - usbd_edpt_claim/release/xfer/stall as in usbd.c: a transfer on a busy endpoint fails, a transfer
 *   ends when all its bytes moved or on a short packet (OUT), completions reach xfer_cb on the
 *   TinyUSB task. A bus reset closes the endpoints at once and calls the driver's reset() on the task.
 * - Halt (usbd.c 0.19.0~3 usbd_edpt_stall/usbd_edpt_clear_stall, dcd_dwc2.c): a stall marks the
 *   endpoint busy and the controller drops the transfer armed on it, without a completion; a clear
 *   marks it not busy and resets the data toggle — a transfer the controller still had armed (the
 *   endpoint was not stalled) stays armed, one it dropped is gone: the driver re-arms.
 *
 * Bus timing: each packet takes the time of a full-speed transaction (token, data, handshake at
 * 12 Mbit/s); the host polls as fast as that allows.
 */
import type { VirtualScheduler } from '../scheduler.js';
import type { SetupPacket, UsbDescriptorSet } from '../../interfaces/usb-device.js';
import type { SimUsbHost, UsbControlResult, UsbTransferStatus } from '../usb-device.js';
import type { SimTask } from './tasks.js';
import type { Wasm } from './wasm.js';

const EMPTY = new Uint8Array(0);
/** esp_tinyusb descriptors_control.c MAX_DESC_BUF_SIZE: 31 characters after the header. */
const MAX_STRING_CHARS = 31;
/** USB 2.0 §9.2.6.4: a control request with a data stage completes within 5 s. */
const CONTROL_TIMEOUT_NS = 5e9;
/** One full-speed transaction: ~13 bytes of sync, PID, token, CRC and handshake around the data. */
function packetNs(bytes: number): number {
  return ((bytes + 13) * 8 * 1e9) / 12e6;
}

const XFER_SUCCESS = 0;
const STAGE_SETUP = 1;
const STAGE_DATA = 2;
const STAGE_ACK = 3;

interface Endpoint {
  readonly address: number;
  readonly type: number;
  readonly mps: number;
  /** usbd.c's ep_status busy. */
  busy: boolean;
  claimed: boolean;
  stalled: boolean;
  /** The controller has a transfer armed (busy and armed differ after a stall or a clear). */
  armed: boolean;
  /** The transfer in progress: C buffer, length, bytes moved so far. */
  buffer: number;
  length: number;
  moved: number;
}

interface InUrb {
  readonly handle: number;
  readonly maxLength: number;
  readonly data: Uint8Array;
  received: number;
  readonly done: (status: UsbTransferStatus, data: Uint8Array) => void;
}

interface OutUrb {
  readonly handle: number;
  readonly data: Uint8Array;
  offset: number;
  readonly done?: (status: UsbTransferStatus) => void;
}

interface Control {
  readonly setup: SetupPacket;
  readonly data: Uint8Array | null;
  /** The driver takes the DATA and ACK stages (usbd_control_set_complete_callback). */
  driver: boolean;
  /** tud_control_xfer / tud_control_status / a stall came for this request. */
  answered: boolean;
  result: UsbControlResult | null;
}

export class TinyUsb {
  readonly host: SimUsbHost;
  /** Control transfers the host gave up on (no answer within 5 s of virtual time). */
  controlTimeouts = 0;
  readonly #scheduler: VirtualScheduler;
  readonly #task: SimTask;
  readonly #wasm: () => Wasm;
  #installed = false;
  #driver = 0;
  #device = 0;
  #configuration = 0;
  #strings = 0;
  #stringCount = 0;
  #address = 0;
  #cfgNum = 0;
  #selfPowered = false;
  #remoteWakeup = false;
  readonly #interfaces = new Set<number>();
  readonly #endpoints = new Map<number, Endpoint>();
  #control: Control | null = null;
  #request = 0;
  readonly #inUrbs = new Map<number, InUrb[]>();
  readonly #outUrbs: OutUrb[] = [];
  #nextHandle = 1;
  #outPumping = false;
  readonly #inPumping = new Set<number>();

  constructor(scheduler: VirtualScheduler, task: SimTask, wasm: () => Wasm) {
    this.#scheduler = scheduler;
    this.#task = task;
    this.#wasm = wasm;
    const usb = this;
    this.host = {
      control: (setup, data) => usb.#hostControl(setup, data ?? null),
      bulkOut: (data, done) => usb.#submitOut(data, done),
      bulkIn: (maxLength, done) => usb.#submitIn(2, maxLength, done),
      interruptIn: (maxLength, done) => usb.#submitIn(3, maxLength, done),
      cancel: (handle) => usb.#cancel(handle),
      reset: () => usb.#busReset(),
      get address() { return usb.#address; },
      get configuration() { return usb.#cfgNum; },
    };
  }

  get installed(): boolean {
    return this.#installed;
  }

  get configured(): boolean {
    return this.#installed && this.#cfgNum !== 0;
  }

  /** The descriptors as the host reads them (for the USB/IP device list and capture headers). */
  get descriptors(): UsbDescriptorSet {
    const strings: Uint8Array[] = [];
    for (let i = 0; i < Math.max(1, this.#stringCount); i++) strings.push(this.#stringDescriptor(i) ?? EMPTY);
    return { device: this.#deviceDescriptor(), configuration: this.#configurationDescriptor(), strings };
  }

  // esp_tinyusb and usbd: the wasm imports.

  /** tinyusb_driver_install: the descriptors are kept by address, the class driver initialised. */
  install(port: number, device: number, configuration: number, strings: number, stringCount: number): number {
    if (this.#installed || port !== 0 || configuration === 0 || stringCount > 8) return -1;
    const wasm = this.#wasm();
    this.#driver = wasm.call('sim_usb_driver');
    this.#device = device;
    this.#configuration = configuration;
    this.#strings = strings;
    this.#stringCount = stringCount;
    if (this.#request === 0) this.#request = wasm.malloc(8);
    this.#installed = true;
    if (this.#driver) wasm.call('sim_usb_driver_init', this.#driver);
    return 0;
  }

  /** tinyusb_driver_uninstall: off the bus. */
  uninstall(): number {
    if (!this.#installed) return -1;
    this.#installed = false;
    this.#closeAll();
    this.#failUrbs();
    this.#address = 0;
    this.#cfgNum = 0;
    this.#interfaces.clear();
    this.#control = null;
    return 0;
  }

  edptOpen(rhport: number, descriptor: number): boolean {
    const d = this.#wasm().read(descriptor, 7);
    if (d[1] !== 5) return false;
    const address = d[2];
    const type = d[3] & 3;
    const mps = (d[4] | (d[5] << 8)) & 0x7ff;
    if ((address & 0x7f) === 0 || mps === 0) return false;
    void rhport;
    this.#endpoints.set(address, { address, type, mps, busy: false, claimed: false, stalled: false, armed: false, buffer: 0, length: 0, moved: 0 });
    return true;
  }

  edptXfer(rhport: number, address: number, buffer: number, length: number): boolean {
    void rhport;
    const ep = this.#endpoints.get(address);
    if (ep === undefined || ep.busy) return false;
    ep.busy = true;
    ep.armed = true;
    ep.claimed = false;
    ep.buffer = buffer;
    ep.length = length;
    ep.moved = 0;
    if (address & 0x80) this.#pumpIn(address);
    else this.#pumpOut();
    return true;
  }

  edptClaim(address: number): boolean {
    const ep = this.#endpoints.get(address);
    if (ep === undefined || ep.busy || ep.claimed) return false;
    ep.claimed = true;
    return true;
  }

  edptRelease(address: number): boolean {
    const ep = this.#endpoints.get(address);
    if (ep === undefined || !ep.claimed) return false;
    ep.claimed = false;
    return true;
  }

  edptBusy(address: number): boolean {
    return this.#endpoints.get(address)?.busy ?? false;
  }

  edptStalled(address: number): boolean {
    return this.#endpoints.get(address)?.stalled ?? false;
  }

  edptStall(address: number): void {
    if ((address & 0x7f) === 0) {
      this.#finishControl({ status: 'stall', data: EMPTY });
      return;
    }
    const ep = this.#endpoints.get(address);
    if (ep === undefined) return;
    ep.stalled = true;
    ep.busy = true;
    ep.armed = false;
    this.#stallUrbs(address);
  }

  edptClearStall(address: number): void {
    const ep = this.#endpoints.get(address);
    if (ep === undefined) return;
    ep.stalled = false;
    ep.busy = false;
    if (address & 0x80) this.#pumpIn(address);
    else this.#pumpOut();
  }

  /** tud_control_xfer from C (the driver's answer, possibly from a deferred function). */
  controlXfer(buffer: number, length: number): boolean {
    const c = this.#control;
    if (c === null || c.answered) return false;
    c.answered = true;
    const deviceToHost = (c.setup.bmRequestType & 0x80) !== 0;
    if (length === 0 || (!deviceToHost && c.setup.wLength === 0)) {
      this.#task.post(() => this.#statusStage(c));
      return true;
    }
    if (deviceToHost) {
      const data = this.#wasm().read(buffer, Math.min(length, c.setup.wLength));
      this.#task.post(() => this.#dataStage(c, data));
    } else {
      const data = c.data ?? EMPTY;
      const n = Math.min(length, data.length);
      this.#task.post(() => {
        this.#wasm().write(buffer, data.subarray(0, n));
        this.#dataStage(c, EMPTY);
      });
    }
    return true;
  }

  /** tud_control_status from C. */
  controlStatus(): boolean {
    const c = this.#control;
    if (c === null || c.answered) return false;
    c.answered = true;
    this.#task.post(() => this.#statusStage(c));
    return true;
  }

  // The control pipe.

  #hostControl(setup: SetupPacket, data: Uint8Array | null): UsbControlResult {
    if (!this.#installed) return { status: 'stall', data: EMPTY };
    const c: Control = { setup: { ...setup }, data: data === null ? null : data.slice(0, setup.wLength), driver: false, answered: false, result: null };
    // A new SETUP replaces an unfinished request (USB 2.0 §8.5.3).
    this.#control = c;
    this.#scheduler.at(this.#scheduler.now() + packetNs(8), () => this.#task.post(() => this.#processSetup(c)));
    // The host waits, in virtual time, for the device to finish the request.
    const limit = this.#scheduler.now() + CONTROL_TIMEOUT_NS;
    while (c.result === null) {
      const next = this.#scheduler.nextTime;
      if (next === undefined || next > limit) break;
      this.#scheduler.runUntil(next);
    }
    if (c.result === null) {
      this.controlTimeouts++;
      if (this.#control === c) this.#control = null;
      return { status: 'stall', data: EMPTY };
    }
    return c.result;
  }

  #finishControl(result: UsbControlResult): void {
    const c = this.#control;
    if (c === null) return;
    c.answered = true;
    c.result = result;
    this.#control = null;
  }

  #dataStage(c: Control, inData: Uint8Array): void {
    if (this.#control !== c) return;
    if (c.driver && !this.#driverControl(STAGE_DATA)) {
      this.#finishControl({ status: 'stall', data: EMPTY });
      return;
    }
    if (c.driver) this.#driverControl(STAGE_ACK);
    if (this.#control === c) this.#finishControl({ status: 'ok', data: inData });
  }

  #statusStage(c: Control): void {
    if (this.#control !== c) return;
    if (c.driver) this.#driverControl(STAGE_ACK);
    if (this.#control === c) this.#finishControl({ status: 'ok', data: EMPTY });
  }

  #driverControl(stage: number): boolean {
    if (this.#driver === 0) return false;
    return this.#wasm().call('sim_usb_driver_control', this.#driver, 0, stage, this.#request) !== 0;
  }

  /** Answer from the core (standard requests): data for an IN request, or just the status stage. */
  #reply(c: Control, data: Uint8Array | null): void {
    c.answered = true;
    if (data === null) this.#task.post(() => this.#statusStage(c));
    else this.#task.post(() => this.#dataStage(c, data.subarray(0, Math.min(data.length, c.setup.wLength))));
  }

  #stall(): void {
    this.#finishControl({ status: 'stall', data: EMPTY });
  }

  /** usbd.c process_control_request, on the TinyUSB task. */
  #processSetup(c: Control): void {
    if (this.#control !== c) return;
    const s = c.setup;
    const type = (s.bmRequestType >> 5) & 3;
    const recipient = s.bmRequestType & 0x1f;
    const w = this.#wasm();
    w.write(this.#request, Uint8Array.of(s.bmRequestType, s.bRequest, s.wValue & 0xff, s.wValue >> 8, s.wIndex & 0xff, s.wIndex >> 8, s.wLength & 0xff, s.wLength >> 8));
    if (type === 2) return this.#stall(); // vendor: tud_vendor_control_xfer_cb is TinyUSB's weak default (false)
    if (type === 3) return this.#stall();
    if (recipient === 0) {
      if (type === 1) return this.#classControl(c, s.wIndex & 0xff);
      return this.#standardDevice(c);
    }
    if (recipient === 1) {
      const itf = s.wIndex & 0xff;
      if (!this.#interfaces.has(itf)) return this.#stall();
      if (this.#invoke(c)) return;
      if (this.#control !== c) return;
      if (type !== 0) return this.#stall();
      c.driver = false;
      if (s.bRequest === 0x0a) return this.#reply(c, Uint8Array.of(0)); // GET_INTERFACE
      if (s.bRequest === 0x0b) return this.#reply(c, null); // SET_INTERFACE
      return this.#stall();
    }
    if (recipient === 2) {
      const address = s.wIndex & 0xff;
      const ep = this.#endpoints.get(address);
      if (type !== 0) {
        if (ep === undefined) return this.#stall();
        if (!this.#invoke(c) && this.#control === c) this.#stall();
        return;
      }
      if (s.bRequest === 0x00) return this.#reply(c, Uint8Array.of(ep?.stalled ? 1 : 0, 0)); // GET_STATUS
      if (s.bRequest === 0x01 || s.bRequest === 0x03) {
        if (s.wValue === 0) {
          if (s.bRequest === 0x01) this.edptClearStall(address);
          else this.edptStall(address);
        }
        if (ep !== undefined) {
          this.#invoke(c);
          c.driver = false;
        }
        if (this.#control === c && !c.answered) this.#reply(c, null);
        return;
      }
      return this.#stall();
    }
    this.#stall();
  }

  #classControl(c: Control, itf: number): void {
    if (!this.#interfaces.has(itf)) return this.#stall();
    if (!this.#invoke(c) && this.#control === c) this.#stall();
  }

  /** invoke_class_control: the driver takes the request (and its later stages) or refuses it. */
  #invoke(c: Control): boolean {
    c.driver = true;
    const taken = this.#driverControl(STAGE_SETUP);
    if (!taken) c.driver = false;
    return taken;
  }

  #standardDevice(c: Control): void {
    const s = c.setup;
    switch (s.bRequest) {
      case 0x05: // SET_ADDRESS: the DCD sends the status itself
        this.#address = s.wValue & 0x7f;
        return this.#reply(c, null);
      case 0x08: // GET_CONFIGURATION
        return this.#reply(c, Uint8Array.of(this.#cfgNum));
      case 0x09: // SET_CONFIGURATION
        if (!this.#setConfiguration(s.wValue & 0xff)) return this.#stall();
        return this.#reply(c, null);
      case 0x06: { // GET_DESCRIPTOR
        const descriptor = this.#descriptor(s.wValue >> 8, s.wValue & 0xff);
        if (descriptor === null) return this.#stall();
        return this.#reply(c, descriptor);
      }
      case 0x03: // SET_FEATURE: remote wakeup only
        if (s.wValue !== 1) return this.#stall();
        this.#remoteWakeup = true;
        return this.#reply(c, null);
      case 0x01: // CLEAR_FEATURE
        if (s.wValue !== 1) return this.#stall();
        this.#remoteWakeup = false;
        return this.#reply(c, null);
      case 0x00: // GET_STATUS
        return this.#reply(c, Uint8Array.of((this.#selfPowered ? 1 : 0) | (this.#remoteWakeup ? 2 : 0), 0));
      default:
        return this.#stall();
    }
  }

  #setConfiguration(cfg: number): boolean {
    if (cfg === this.#cfgNum) return true;
    if (this.#cfgNum !== 0) {
      this.#closeAll();
      this.#interfaces.clear();
      this.#driverReset();
    }
    this.#cfgNum = cfg;
    if (cfg === 0) return true;
    const config = this.#configurationDescriptor();
    if (config.length < 9 || config[1] !== 2 || cfg !== config[5]) {
      this.#cfgNum = 0;
      return false;
    }
    this.#selfPowered = (config[7] & 0x40) !== 0;
    let at = config[0];
    const w = this.#wasm();
    while (at + 2 <= config.length) {
      const length = config[at];
      if (length === 0) break;
      if (config[at + 1] !== 4) {
        at += length;
        continue;
      }
      const claimed = this.#driver === 0 ? 0 : w.call('sim_usb_driver_open', this.#driver, 0, this.#configuration + at, config.length - at);
      if (claimed < 9) {
        this.#cfgNum = 0;
        return false;
      }
      this.#interfaces.add(config[at + 2]);
      at += claimed;
    }
    return true;
  }

  #driverReset(): void {
    if (this.#driver) this.#wasm().call('sim_usb_driver_reset', this.#driver, 0);
  }

  // Descriptors, read from the C memory esp_tinyusb was pointed at.

  #deviceDescriptor(): Uint8Array {
    return this.#device ? this.#wasm().read(this.#device, 18) : EMPTY;
  }

  #configurationDescriptor(): Uint8Array {
    if (!this.#configuration) return EMPTY;
    const w = this.#wasm();
    const head = w.read(this.#configuration, 4);
    return w.read(this.#configuration, head[2] | (head[3] << 8));
  }

  /** tud_descriptor_string_cb of esp_tinyusb. */
  #stringDescriptor(index: number): Uint8Array | null {
    if (!this.#strings || index >= this.#stringCount) return null;
    const w = this.#wasm();
    const pointer = w.u32(this.#strings + 4 * index);
    if (pointer === 0) return null;
    if (index === 0) {
      const lang = w.read(pointer, 2);
      return Uint8Array.of(4, 3, lang[0], lang[1]);
    }
    const text = w.read(pointer, MAX_STRING_CHARS + 1);
    let n = 0;
    while (n < MAX_STRING_CHARS && text[n] !== 0) n++;
    const out = new Uint8Array(2 + 2 * n);
    out[0] = out.length;
    out[1] = 3;
    for (let i = 0; i < n; i++) out[2 + 2 * i] = text[i];
    return out;
  }

  #descriptor(type: number, index: number): Uint8Array | null {
    if (type === 1) return this.#deviceDescriptor();
    if (type === 2) return index === 0 ? this.#configurationDescriptor() : null;
    if (type === 3) return this.#stringDescriptor(index);
    return null;
  }

  // Bulk and interrupt endpoints, as the bus moves packets.

  #endpointOf(type: number, in_: boolean): Endpoint | undefined {
    for (const ep of this.#endpoints.values()) if (ep.type === type && (ep.address & 0x80) === (in_ ? 0x80 : 0)) return ep;
    return undefined;
  }

  #submitOut(data: Uint8Array, done?: (status: UsbTransferStatus) => void): number {
    const handle = this.#nextHandle++;
    if (!this.configured) {
      if (done) this.#later(() => done('no-device'));
      return handle;
    }
    this.#outUrbs.push({ handle, data: data.slice(), offset: 0, done });
    this.#pumpOut();
    return handle;
  }

  #submitIn(type: number, maxLength: number, done: (status: UsbTransferStatus, data: Uint8Array) => void): number {
    const handle = this.#nextHandle++;
    const ep = this.configured ? this.#endpointOf(type, true) : undefined;
    if (ep === undefined) {
      this.#later(() => done('no-device', EMPTY));
      return handle;
    }
    let urbs = this.#inUrbs.get(ep.address);
    if (urbs === undefined) this.#inUrbs.set(ep.address, (urbs = []));
    urbs.push({ handle, maxLength, data: new Uint8Array(maxLength), received: 0, done });
    if (ep.stalled) this.#stallUrbs(ep.address);
    else this.#pumpIn(ep.address);
    return handle;
  }

  #later(fn: () => void): void {
    this.#scheduler.at(this.#scheduler.now(), fn);
  }

  #cancel(handle: number): boolean {
    const out = this.#outUrbs.findIndex((u) => u.handle === handle);
    if (out >= 0) {
      this.#outUrbs.splice(out, 1);
      return true;
    }
    for (const urbs of this.#inUrbs.values()) {
      const i = urbs.findIndex((u) => u.handle === handle);
      if (i >= 0) {
        urbs.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  #pumpOut(): void {
    if (this.#outPumping) return;
    const urb = this.#outUrbs[0];
    const ep = this.#endpointOf(2, false);
    if (urb === undefined || ep === undefined) return;
    if (ep.stalled) {
      this.#outUrbs.shift();
      if (urb.done) this.#later(() => urb.done?.('stall'));
      this.#pumpOut();
      return;
    }
    if (!ep.armed) return; // NAK until the driver queues a transfer
    const packet = Math.min(ep.mps, urb.data.length - urb.offset, ep.length - ep.moved);
    this.#outPumping = true;
    this.#scheduler.at(this.#scheduler.now() + packetNs(packet), () => {
      this.#outPumping = false;
      if (!ep.armed || this.#outUrbs[0] !== urb || this.#endpoints.get(ep.address) !== ep) {
        this.#pumpOut();
        return;
      }
      this.#wasm().write(ep.buffer + ep.moved, urb.data.subarray(urb.offset, urb.offset + packet));
      urb.offset += packet;
      ep.moved += packet;
      if (packet < ep.mps || ep.moved === ep.length) this.#complete(ep);
      if (urb.offset === urb.data.length) {
        this.#outUrbs.shift();
        if (urb.done) this.#later(() => urb.done?.('ok'));
      }
      this.#pumpOut();
    });
  }

  #pumpIn(address: number): void {
    if (this.#inPumping.has(address)) return;
    const ep = this.#endpoints.get(address);
    const urbs = this.#inUrbs.get(address);
    if (ep === undefined || !ep.armed || urbs === undefined || urbs.length === 0 || ep.stalled) return;
    const urb = urbs[0];
    const packet = Math.min(ep.mps, ep.length - ep.moved);
    this.#inPumping.add(address);
    this.#scheduler.at(this.#scheduler.now() + packetNs(packet), () => {
      this.#inPumping.delete(address);
      if (!ep.armed || urbs[0] !== urb || this.#endpoints.get(address) !== ep) {
        this.#pumpIn(address);
        return;
      }
      if (urb.received + packet > urb.maxLength) {
        // Babble: the URB fails; the packet stays, for a URB with room.
        urbs.shift();
        this.#later(() => urb.done('overflow', urb.data.subarray(0, urb.received)));
        this.#pumpIn(address);
        return;
      }
      urb.data.set(this.#wasm().read(ep.buffer + ep.moved, packet), urb.received);
      urb.received += packet;
      ep.moved += packet;
      if (packet < ep.mps || urb.received === urb.maxLength) {
        urbs.shift();
        const data = urb.data.subarray(0, urb.received);
        this.#later(() => urb.done('ok', data));
      }
      if (ep.moved === ep.length) this.#complete(ep);
      this.#pumpIn(address);
    });
  }

  /** The transfer on `ep` ended: xfer_cb on the TinyUSB task. */
  #complete(ep: Endpoint): void {
    const moved = ep.moved;
    ep.busy = false;
    ep.armed = false;
    const address = ep.address;
    this.#task.post(() => {
      if (this.#endpoints.get(address) !== ep || this.#driver === 0) return;
      this.#wasm().call('sim_usb_driver_transfer', this.#driver, 0, address, XFER_SUCCESS, moved);
    });
  }

  #stallUrbs(address: number): void {
    if (address & 0x80) {
      const urbs = this.#inUrbs.get(address) ?? [];
      for (const urb of urbs.splice(0)) this.#later(() => urb.done('stall', EMPTY));
    } else {
      for (const urb of this.#outUrbs.splice(0)) if (urb.done) this.#later(() => urb.done?.('stall'));
    }
  }

  #closeAll(): void {
    this.#endpoints.clear();
  }

  #failUrbs(): void {
    for (const urbs of this.#inUrbs.values()) for (const urb of urbs.splice(0)) this.#later(() => urb.done('no-device', EMPTY));
    for (const urb of this.#outUrbs.splice(0)) if (urb.done) this.#later(() => urb.done?.('no-device'));
  }

  /** A bus reset: endpoints closed and transfers dropped at once, the driver's reset() on the task. */
  #busReset(): void {
    this.#failUrbs();
    this.#closeAll();
    this.#address = 0;
    const wasConfigured = this.#cfgNum !== 0;
    this.#cfgNum = 0;
    this.#interfaces.clear();
    if (this.#control) this.#finishControl({ status: 'stall', data: EMPTY });
    if (this.#installed && wasConfigured) this.#task.post(() => this.#driverReset());
  }
}
