/**
 * A host for CCID tests and scenarios: the CCID class on simulated slots and a simulated USB device,
 * driven through the device's bus side in virtual time. No Node APIs (scenarios run in XS).
 */
import { CcidClass } from '../../firmware/ccid/ccid-class.js';
import type { ReaderConfig } from '../../firmware/ccid/descriptors.js';
import {
  decodeInterrupt,
  decodeRdrToPc,
  encodePcToRdr,
  type PC_to_RDR_Command,
  type RDR_to_PC,
} from '../../firmware/ccid/messages.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { SimSlot, type SimSlotOptions } from '../../hal/sim/sim-slot.js';
import { SimUsbDevice, type SimUsbHost, type UsbTransferStatus } from '../../hal/sim/usb-device.js';

export const TEST_CONFIG: ReaderConfig = Object.freeze({
  slots: 1,
  classes: ['C', 'B', 'A'],
  clocksHz: [4e6],
  clockStop: true,
  maxBaud: 500_000,
  protocols: [0, 1],
  exchangeLevel: 'extended-apdu',
  maxApduLength: 4096,
});

export interface ReaderOptions {
  config?: Partial<ReaderConfig>;
  /** Options of each simulated slot (the scheduler is added). */
  slots?: Partial<SimSlotOptions>[];
  trace?: Trace;
  /** Leave the device unconfigured. */
  unconfigured?: boolean;
}

export class TestReader {
  readonly scheduler = new VirtualScheduler();
  readonly slots: SimSlot[];
  readonly ccid: CcidClass;
  readonly device: SimUsbDevice;
  readonly host: SimUsbHost;
  readonly #out = new Uint8Array(70000);

  constructor(options: ReaderOptions = {}) {
    const slotOptions = options.slots ?? [{}];
    const config: ReaderConfig = { ...TEST_CONFIG, slots: slotOptions.length, ...options.config };
    this.slots = slotOptions.map((o) => new SimSlot({ scheduler: this.scheduler, ...o }));
    this.ccid = new CcidClass({
      usb: SimUsbDevice,
      usbOptions: { scheduler: this.scheduler },
      slots: this.slots,
      config,
      trace: options.trace,
    });
    this.device = this.ccid.usb as SimUsbDevice;
    this.host = this.device.host;
    if (!options.unconfigured) this.configure();
  }

  configure(): void {
    const result = this.host.control({ bmRequestType: 0, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
    if (result.status !== 'ok') throw new Error('SET_CONFIGURATION stalled');
  }

  /** Encode and submit one command on bulk OUT. */
  send(message: PC_to_RDR_Command): void {
    const length = encodePcToRdr(this.#out, message);
    this.host.bulkOut(this.#out.subarray(0, length));
  }

  sendRaw(bytes: Uint8Array): void {
    this.host.bulkOut(bytes);
  }

  /** Run the scheduler until `isDone()` or until `timeoutNs` of virtual time have passed. */
  runUntil(isDone: () => boolean, timeoutNs: number): boolean {
    const deadline = this.scheduler.now() + timeoutNs;
    while (!isDone()) {
      const next = this.scheduler.nextTime;
      if (next === undefined || next > deadline) return false;
      this.scheduler.runUntil(next);
    }
    return true;
  }

  /** Read one bulk IN transfer (URB of `maxLength`, by default dwMaxCCIDMessageLength); null on timeout. */
  readRaw(timeoutNs = 5e9, maxLength = this.ccid.description.maxMessageLength): { status: UsbTransferStatus; data: Uint8Array } | null {
    let result: { status: UsbTransferStatus; data: Uint8Array } | null = null;
    const handle = this.host.bulkIn(maxLength, (status, data) => {
      result = { status, data: data.slice() };
    });
    if (!this.runUntil(() => result !== null, timeoutNs)) this.host.cancel(handle);
    return result;
  }

  read(timeoutNs = 5e9): RDR_to_PC | null {
    const raw = this.readRaw(timeoutNs);
    return raw === null ? null : decodeRdrToPc(raw.data);
  }

  /** Send, then read the reply. Throws when none comes: a test failure with a message. */
  transact(message: PC_to_RDR_Command, timeoutNs = 5e9): RDR_to_PC {
    this.send(message);
    const reply = this.read(timeoutNs);
    if (reply === null) throw new Error(`no reply to ${message.type} bSeq ${message.bSeq}`);
    return reply;
  }

  readInterrupt(timeoutNs = 1e6): Uint8Array | null {
    let result: Uint8Array | null = null;
    const handle = this.host.interruptIn(64, (_status, data) => {
      result = data.slice();
    });
    if (!this.runUntil(() => result !== null, timeoutNs)) this.host.cancel(handle);
    return result;
  }

  interrupt(timeoutNs = 1e6): ReturnType<typeof decodeInterrupt> | null {
    const raw = this.readInterrupt(timeoutNs);
    return raw === null ? null : decodeInterrupt(raw);
  }

  /** Power on slot `bSlot` and return the reply. */
  powerOn(bSlot = 0, bSeq = 1): RDR_to_PC {
    return this.transact({ type: 'PC_to_RDR_IccPowerOn', bSlot, bSeq, bPowerSelect: 0 });
  }
}

export function bytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}
