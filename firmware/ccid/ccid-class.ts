/**
 * The USB CCID device class (CCID Rev 1.1): descriptors from the board's capabilities, bulk OUT
 * reassembly, dispatch to one SlotEngine per slot, bulk IN scheduling, the class-specific control
 * requests (§5.3) and the interrupt messages (§6.3).
 *
 *   new CcidClass({ usb: board.usb.io, usbOptions: board.usb.options, slots, config, scheduler, trace })
 *
 * The class builds the UsbDevice itself (ECMA-419: the IO constructor is injected, its options
 * are fixed at construction), so the descriptors and callbacks it passes are the whole contract.
 */
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import type { SetupPacket, ControlReply, UsbDevice, UsbDeviceConstructor, UsbDeviceOptions } from '../../hal/interfaces/usb-device.js';
import { silentTrace, TraceCategory } from '../../hal/common/trace.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { Slot } from '../../hal/interfaces/slot.js';
import { MessageAssembler } from './assembler.js';
import { ClassRequest, CommandStatus, HardwareErrorCode, IccStatus, Offset, SlotErrorCode, bStatus } from './constants.js';
import { describeReader, type ReaderConfig, type ReaderDescription } from './descriptors.js';
import { decodePcToRdr, encodeHardwareError, encodeNotifySlotChange } from './messages.js';
import { ReplyQueue } from './reply-queue.js';
import { SlotEngine, type EngineContext } from './slot-engine.js';
import { shortReply } from './slot-replies.js';

export interface CcidClassOptions<Extra extends object = object> {
  /** The board's USB device constructor (TinyUSB on the ESP32-S3, SimUsbDevice in the simulator). */
  usb: UsbDeviceConstructor | (new (options: UsbDeviceOptions & Extra) => UsbDevice);
  /** Extra options the board's USB device needs (the simulator's `scheduler`), merged into its options. */
  usbOptions?: Extra;
  /** One Slot per card slot, index = bSlot. The class takes over their onPresence and onFault. */
  slots: readonly Slot[];
  config: ReaderConfig;
  /** The slots' clock: the reader's own time extensions during long card commands (time-extension.ts). */
  scheduler: Scheduler;
  trace?: Trace;
}

/** Full-speed wMaxPacketSize of the bulk endpoints (descriptors.ts). */
const PACKET_SIZE = 64;
const NONE = -1;

export class CcidClass<Extra extends object = object> {
  readonly usb: UsbDevice;
  readonly description: ReaderDescription;
  readonly #engines: SlotEngine[] = [];
  readonly #queue: ReplyQueue;
  readonly #assembler: MessageAssembler;
  readonly #trace: Trace;
  readonly #interrupt = new Uint8Array(8);
  #interruptBusy = false;
  /** Slots whose presence changed since the host last heard (§6.3.1 bit 1). */
  #changed = 0;
  /** Per slot, the bSeq a pending HardwareError reports, or NONE. */
  readonly #hardwareErrors: number[] = [];

  constructor(options: CcidClassOptions<Extra>) {
    const config = options.config;
    if (options.slots.length !== config.slots) throw new RangeError('config.slots differs from the slots given');
    if (config.exchangeLevel === 'tpdu' && options.slots.some((slot) => slot.transmitTpdu === undefined)) {
      throw new RangeError('the TPDU level needs Slot.transmitTpdu');
    }
    this.description = describeReader(config);
    this.#trace = options.trace ?? silentTrace;
    const description = this.description;
    this.#queue = new ReplyQueue(config.slots, description.maxMessageLength, 2 * config.slots + 4, this.#trace);
    this.#assembler = new MessageAssembler(description.maxMessageLength, PACKET_SIZE, this.#dispatch);
    const context: EngineContext = {
      config,
      description,
      queue: this.#queue,
      scheduler: options.scheduler,
      trace: this.#trace,
      presenceChanged: (index) => this.#presenceChanged(index),
      hardwareError: (index, bSeq) => this.#hardwareError(index, bSeq),
    };
    options.slots.forEach((slot, index) => {
      this.#engines.push(new SlotEngine(index, slot, context));
      this.#hardwareErrors.push(NONE);
    });
    const callbacks: UsbDeviceOptions = {
      descriptors: description.descriptors,
      onControl: (setup, data) => this.#control(setup, data),
      onBulkOut: (data) => this.#assembler.push(data),
      onConfigured: (configuration) => this.#configured(configuration),
      onInComplete: (endpoint) => (endpoint === 'bulk' ? this.#queue.inComplete() : this.#interruptComplete()),
    };
    this.usb = new options.usb({ ...(options.usbOptions ?? ({} as Extra)), ...callbacks });
    this.#queue.attach(this.usb);
  }

  close(): void {
    this.usb.close();
    for (const engine of this.#engines) engine.reset();
  }

  /**
   * CCID Rev 1.1 §6.2.6: a time extension now for each slot's card command in progress. For a
   * reader whose own clock can fall behind its host's (a simulation slower than real time, a
   * starved CPU): its own time extensions (time-extension.ts) come in its time, these in the host's.
   */
  extendPending(): void {
    for (const engine of this.#engines) engine.extendNow();
  }

  /** One whole bulk OUT message; an arrow the assembler calls directly (one call per message). */
  readonly #dispatch = (bytes: Uint8Array): void => {
    if (this.#trace.mask & TraceCategory.CCID) this.#trace.log(TraceCategory.CCID, 'bulk OUT', bytes);
    const message = decodePcToRdr(bytes);
    if (message.type === 'Truncated') {
      if (this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, `dropped ${message.length}-byte fragment on bulk OUT`);
      return;
    }
    const engine = this.#engines[message.bSlot];
    if (engine !== undefined) return engine.handle(message);
    // §6.2.6: bError 5 (offset of bSlot) for a slot that does not exist; an unknown message stays "not supported".
    const name = message.type === 'Unknown' ? null : message.type === 'Malformed' ? message.command : message.type;
    const bError = message.type === 'Unknown' ? SlotErrorCode.CMD_NOT_SUPPORTED : Offset.bSlot;
    shortReply(this.#queue, message.bSlot, name, message.bSeq, bStatus(IccStatus.absent, CommandStatus.failed), bError);
  };

  /** §5.3 class-specific requests to interface 0; everything else stalls. */
  #control(setup: SetupPacket, data: Uint8Array | null): ControlReply {
    if ((setup.wIndex & 0xff) !== 0) return 'stall';
    if (setup.bmRequestType === 0x21 && setup.bRequest === ClassRequest.ABORT) {
      // §5.3.1: wValue = bSeq << 8 | bSlot.
      const engine = this.#engines[setup.wValue & 0xff];
      if (engine === undefined || (data !== null && data.length !== 0)) return 'stall';
      engine.controlAbort(setup.wValue >> 8);
      return 'ack';
    }
    if (setup.bmRequestType === 0xa1 && setup.bRequest === ClassRequest.GET_CLOCK_FREQUENCIES) return this.description.clockFrequencies;
    if (setup.bmRequestType === 0xa1 && setup.bRequest === ClassRequest.GET_DATA_RATES) return this.description.dataRates;
    return 'stall';
  }

  /** SET_CONFIGURATION (or bus reset): a new host session starts from nothing queued. */
  #configured(configuration: number): void {
    this.#assembler.reset();
    this.#queue.clear();
    for (const engine of this.#engines) engine.reset();
    this.#hardwareErrors.fill(NONE);
    this.#interruptBusy = false;
    this.#changed = 0;
    if (configuration === 0) return;
    // §6.3.1: report the slots that hold a card as changed, so the host learns them at once.
    this.#changed = this.#presentMask();
    this.#pumpInterrupt();
  }

  #presentMask(): number {
    let mask = 0;
    this.#engines.forEach((engine, index) => {
      if (engine.present) mask |= 1 << index;
    });
    return mask;
  }

  #presenceChanged(index: number): void {
    this.#changed |= 1 << index;
    this.#pumpInterrupt();
  }

  #hardwareError(index: number, bSeq: number): void {
    this.#hardwareErrors[index] = bSeq;
    this.#pumpInterrupt();
  }

  #interruptComplete(): void {
    this.#interruptBusy = false;
    this.#pumpInterrupt();
  }

  /** §6.3: HardwareError first, then one NotifySlotChange summing up every change not yet reported. */
  #pumpInterrupt(): void {
    if (this.#interruptBusy || !this.usb.configured) return;
    const faulty = this.#hardwareErrors.findIndex((bSeq) => bSeq !== NONE);
    if (faulty >= 0) {
      const length = encodeHardwareError(this.#interrupt, faulty, this.#hardwareErrors[faulty], HardwareErrorCode.overcurrent);
      if (this.usb.sendInterrupt(this.#interrupt.subarray(0, length))) {
        this.#interruptBusy = true;
        this.#hardwareErrors[faulty] = NONE;
      }
      return;
    }
    if (this.#changed === 0) return;
    const length = encodeNotifySlotChange(this.#interrupt, this.#engines.length, this.#presentMask(), this.#changed);
    if (this.usb.sendInterrupt(this.#interrupt.subarray(0, length))) {
      this.#interruptBusy = true;
      this.#changed = 0;
    }
  }
}
