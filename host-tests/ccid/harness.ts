/**
 * A host for CCID tests and scenarios: the CCID class on simulated slots and a simulated USB device,
 * driven through the device's bus side in virtual time. No Node APIs (scenarios run in XS).
 */
import { CcidClass } from '../../firmware/ccid/ccid-class.js';
import type { ReaderConfig } from '../../firmware/ccid/descriptors.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { SimSlot, type SimSlotOptions } from '../../hal/sim/sim-slot.js';
import { SimUsbDevice, type SimUsbHost, type UsbTransferStatus } from '../../hal/sim/usb-device.js';
import {
  decodeInterrupt,
  decodeRdrToPc,
  encodePcToRdr,
  type InvalidReply,
  type PC_to_RDR_Command,
  type RDR_to_PC,
} from '../host-driver/typed-messages.js';

export const TEST_CONFIG: ReaderConfig = Object.freeze<ReaderConfig>({
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
  /** Bulk OUT delivery to the class: one packet (default) or larger pieces, as the ESP32-S3 driver does. */
  outChunkSize?: number;
}

/** The host's side of the bus: send commands, read replies and interrupts, in virtual time. */
export class UsbHostDriver {
  constructor(
    readonly host: SimUsbHost,
    readonly scheduler: VirtualScheduler,
    /** Default bulk IN URB size (libccid reads dwMaxCCIDMessageLength). */
    readonly urbLength: number,
  ) {}

  configure(): void {
    const result = this.host.control({ bmRequestType: 0, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
    if (result.status !== 'ok') throw new Error('SET_CONFIGURATION stalled');
  }

  /** Encode (with the host's own codec, not the firmware's) and submit one command on bulk OUT. */
  send(message: PC_to_RDR_Command): void {
    this.host.bulkOut(encodePcToRdr(message));
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

  /** Read one bulk IN transfer (URB of `maxLength`); null on timeout. */
  readRaw(timeoutNs = 5e9, maxLength = this.urbLength): { status: UsbTransferStatus; data: Uint8Array } | null {
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

  /** Send, then read the reply. Throws when none comes or it is not well formed: a test failure with a message. */
  transact(message: PC_to_RDR_Command, timeoutNs = 5e9): Exclude<RDR_to_PC, InvalidReply> {
    this.send(message);
    const reply = this.read(timeoutNs);
    if (reply === null) throw new Error(`no reply to ${message.type} bSeq ${message.bSeq}`);
    if (reply.type === 'Invalid') throw new Error(`invalid reply to ${message.type}: ${reply.reason}`);
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
  powerOn(bSlot = 0, bSeq = 1, timeoutNs = 5e9): Exclude<RDR_to_PC, InvalidReply> {
    return this.transact({ type: 'PC_to_RDR_IccPowerOn', bSlot, bSeq, bPowerSelect: 0 }, timeoutNs);
  }
}

/** The CCID class on simulated slots (hal/sim/sim-slot.ts) and a simulated USB device, configured. */
export class TestReader extends UsbHostDriver {
  readonly slots: SimSlot[];
  readonly ccid: CcidClass<{ scheduler: VirtualScheduler; outChunkSize: number | undefined }>;
  readonly device: SimUsbDevice;

  constructor(options: ReaderOptions = {}) {
    const scheduler = new VirtualScheduler();
    const slotOptions = options.slots ?? [{}];
    const config: ReaderConfig = { ...TEST_CONFIG, slots: slotOptions.length, ...options.config };
    const slots = slotOptions.map((o) => new SimSlot({ scheduler, ...o }));
    const usbOptions = { scheduler, outChunkSize: options.outChunkSize };
    const ccid = new CcidClass({ usb: SimUsbDevice, usbOptions, slots, config, scheduler, trace: options.trace });
    const device = ccid.usb as SimUsbDevice;
    super(device.host, scheduler, ccid.description.maxMessageLength);
    this.slots = slots;
    this.ccid = ccid;
    this.device = device;
    if (!options.unconfigured) this.configure();
  }
}

export function bytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}
