/**
 * A small CCID host driver, the way libccid drives a reader: enumerate, IccPowerOn, GetParameters,
 * XfrBlock at the short or extended APDU level (command and response chaining, §6.1.4), time
 * extensions (bmCommandStatus 2: wait for the real answer), NotifySlotChange on the interrupt pipe.
 * It speaks to the simulated device's bus side, calls back from the scheduler's loop, and uses no
 * Node API, so the XS bench runs it too. One command at a time, as CCID requires per slot; the hosts
 * of several slots of one reader share a CcidBus, which reads bulk IN and the interrupt pipe for all
 * of them and routes each message by bSlot (as libccid's multi-slot reader thread does).
 */
import type { SimUsbHost, UsbTransferStatus } from '../../hal/sim/usb-device.js';
import {
  Chain, decodeResponse, encodeCommand, errorName, exchangeLevel, findClassDescriptor, PC_to_RDR, RDR_to_PC,
  type CcidClassDescriptor, type ExchangeLevel, type IccStatus, type RdrMessage,
} from './ccid-messages.js';

export type CcidHostEvent =
  | { kind: 'slot-change'; present: boolean; changed: boolean }
  | { kind: 'time-extension'; multiplier: number }
  | { kind: 'chain'; direction: 'command' | 'response'; level: number; length: number };

export interface CcidHostOptions {
  usb: SimUsbHost;
  /** bSlot of the card slot this host drives. */
  slot?: number;
  /** Shared pipes when the hosts of several slots drive one reader (then `bus.open()` enumerates, once). */
  bus?: CcidBus;
  onEvent?(event: CcidHostEvent): void;
}

/** Error is a CCID bError name, or a host-side name for a transport or protocol failure. */
export interface PowerOnReply { error: string | null; atr: Uint8Array | null; iccStatus: IccStatus | null }
export interface TransmitReply { error: string | null; response: Uint8Array | null }
export interface SlotStatusReply { error: string | null; iccStatus: IccStatus | null }
export interface ParametersReply { error: string | null; protocol: number | null; bmFindexDindex: number | null }


function transportError(status: UsbTransferStatus): string {
  return `USB_${status.toUpperCase().replace('-', '_')}`;
}

/**
 * Enumerate (device and configuration descriptors, SET_ADDRESS, SET_CONFIGURATION 1): the CCID class
 * descriptor, or what went wrong.
 */
function enumerate(usb: SimUsbHost): CcidClassDescriptor | string {
  const device = usb.control({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0100, wIndex: 0, wLength: 18 });
  if (device.status !== 'ok' || device.data.length !== 18) return 'device descriptor not served';
  // Enumeration order of USB 2.0 §9.1.2: the address first, then the configuration.
  if (usb.control({ bmRequestType: 0x00, bRequest: 5, wValue: 1, wIndex: 0, wLength: 0 }).status !== 'ok') return 'SET_ADDRESS stalled';
  // Windows and libusb read the whole configuration set with wLength 255, as Osmocom's CCID
  // conformance suite does too: the whole set must fit in it.
  const config = usb.control({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0200, wIndex: 0, wLength: 255 });
  if (config.status !== 'ok') return 'configuration descriptor not served';
  const descriptor = findClassDescriptor(config.data);
  if (descriptor === null) return 'no 54-byte CCID class descriptor in the configuration';
  if (usb.control({ bmRequestType: 0x00, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 }).status !== 'ok') return 'SET_CONFIGURATION stalled';
  return descriptor;
}

type BulkInCallback = (status: UsbTransferStatus, bytes: Uint8Array) => void;

/**
 * The bulk IN and interrupt pipes of one reader, shared by the hosts of its slots: one bulk IN
 * transfer is pending while any slot waits, and each message goes to the slot its bSlot names.
 */
export class CcidBus {
  readonly #usb: SimUsbHost;
  readonly #waiting = new Map<number, BulkInCallback>();
  readonly #interruptListeners: ((bytes: Uint8Array) => void)[] = [];
  #reading = false;
  #descriptor: CcidClassDescriptor | null = null;

  constructor(usb: SimUsbHost) {
    this.#usb = usb;
  }

  get descriptor(): CcidClassDescriptor | null {
    return this.#descriptor;
  }

  /** Enumerate once and start polling the interrupt pipe for every slot. */
  open(): string | null {
    const result = enumerate(this.#usb);
    if (typeof result === 'string') return result;
    this.#descriptor = result;
    this.#pollInterrupt();
    return null;
  }

  /** The next bulk IN message for `slot`. */
  read(slot: number, callback: BulkInCallback): void {
    this.#waiting.set(slot, callback);
    this.#pump();
  }

  onInterrupt(listener: (bytes: Uint8Array) => void): void {
    this.#interruptListeners.push(listener);
  }

  #pump(): void {
    if (this.#reading || this.#waiting.size === 0) return;
    this.#reading = true;
    this.#usb.bulkIn(this.#descriptor?.dwMaxCCIDMessageLength ?? 271, (status, bytes) => {
      this.#reading = false;
      if (status !== 'ok') {
        // A failed pipe fails every slot waiting on it.
        const waiting = [...this.#waiting.values()];
        this.#waiting.clear();
        for (const callback of waiting) callback(status, bytes);
        return;
      }
      const slot = bytes.length > 5 ? bytes[5] : -1;
      const callback = this.#waiting.get(slot);
      this.#waiting.delete(slot);
      callback?.(status, bytes);
      this.#pump();
    });
  }

  #pollInterrupt(): void {
    this.#usb.interruptIn(8, (status, bytes) => {
      if (status !== 'ok') return;
      for (const listener of this.#interruptListeners) listener(bytes);
      this.#pollInterrupt();
    });
  }
}

export class CcidHost {
  readonly #usb: SimUsbHost;
  readonly #bus: CcidBus | null;
  readonly #slot: number;
  readonly #onEvent: (event: CcidHostEvent) => void;
  #seq = 0;
  #busy = false;
  #descriptor: CcidClassDescriptor | null = null;

  constructor(options: CcidHostOptions) {
    this.#usb = options.usb;
    this.#bus = options.bus ?? null;
    this.#slot = options.slot ?? 0;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  get descriptor(): CcidClassDescriptor | null {
    return this.#descriptor;
  }

  get level(): ExchangeLevel | null {
    return this.#descriptor === null ? null : exchangeLevel(this.#descriptor.dwFeatures);
  }

  /**
   * Enumerate and start polling the interrupt pipe; with a bus, take the bus's enumeration (open the
   * bus first) and listen to its interrupt pipe.
   */
  open(): string | null {
    const bus = this.#bus;
    if (bus !== null) {
      this.#descriptor = bus.descriptor;
      if (this.#descriptor === null) return 'the bus is not open';
      bus.onInterrupt((bytes) => this.#slotChange(bytes));
      return null;
    }
    const result = enumerate(this.#usb);
    if (typeof result === 'string') return result;
    this.#descriptor = result;
    this.#pollInterrupt();
    return null;
  }

  powerOn(done: (reply: PowerOnReply) => void): void {
    // bPowerSelect 0: automatic voltage selection.
    this.#exchange(PC_to_RDR.IccPowerOn, [0, 0, 0], undefined, RDR_to_PC.DataBlock, (m) => {
      if (typeof m === 'string') return done({ error: m, atr: null, iccStatus: null });
      done({ error: failure(m), atr: failure(m) === null ? m.data : null, iccStatus: m.iccStatus });
    });
  }

  getSlotStatus(done: (reply: SlotStatusReply) => void): void {
    this.#exchange(PC_to_RDR.GetSlotStatus, [0, 0, 0], undefined, RDR_to_PC.SlotStatus, (m) => done(slotStatus(m)));
  }

  getParameters(done: (reply: ParametersReply) => void): void {
    this.#exchange(PC_to_RDR.GetParameters, [0, 0, 0], undefined, RDR_to_PC.Parameters, (m) => {
      if (typeof m === 'string') return done({ error: m, protocol: null, bmFindexDindex: null });
      const error = failure(m);
      // §6.2.3: abProtocolDataStructure starts with bmFindexDindex for both T=0 and T=1.
      done({ error, protocol: error === null ? m.specific : null, bmFindexDindex: error === null && m.data.length > 0 ? m.data[0] : null });
    });
  }

  /** Send one APDU and get the response APDU, chaining as the exchange level requires. */
  transmit(apdu: Uint8Array, done: (reply: TransmitReply) => void): void {
    const d = this.#descriptor;
    if (d === null) return done({ error: 'NOT_OPEN', response: null });
    const level = exchangeLevel(d.dwFeatures);
    if (level !== 'short-apdu' && level !== 'extended-apdu') return done({ error: `UNSUPPORTED_LEVEL_${level.toUpperCase()}`, response: null });
    const room = d.dwMaxCCIDMessageLength - 10;
    if (apdu.length <= room) return this.#xfr(apdu, Chain.whole, [], done);
    if (level === 'short-apdu') return done({ error: 'APDU_TOO_LONG', response: null });
    this.#sendChain(apdu, 0, room, done);
  }

  /** Command chaining: begins (0x01), continues (0x03)…, ends (0x02); the reader answers 0x10 to each part but the last. */
  #sendChain(apdu: Uint8Array, offset: number, room: number, done: (reply: TransmitReply) => void): void {
    const end = Math.min(offset + room, apdu.length);
    const last = end === apdu.length;
    const level = offset === 0 ? Chain.begins : last ? Chain.ends : Chain.continues;
    this.#onEvent({ kind: 'chain', direction: 'command', level, length: end - offset });
    const part = apdu.subarray(offset, end);
    if (last) return this.#xfr(part, level, [], done);
    this.#exchange(PC_to_RDR.XfrBlock, [0, level, 0], part, RDR_to_PC.DataBlock, (m) => {
      if (typeof m === 'string') return done({ error: m, response: null });
      const error = failure(m);
      if (error !== null) return done({ error, response: null });
      if (m.specific !== Chain.more) return done({ error: `BAD_CHAIN_PARAMETER_0x${m.specific.toString(16)}`, response: null });
      this.#sendChain(apdu, end, room, done);
    });
  }

  /** One XfrBlock, then response chaining: while bChainParameter says more, ask with wLevelParameter 0x10. */
  #xfr(data: Uint8Array, level: number, parts: Uint8Array[], done: (reply: TransmitReply) => void): void {
    this.#exchange(PC_to_RDR.XfrBlock, [0, level & 0xff, level >> 8], data, RDR_to_PC.DataBlock, (m) => {
      if (typeof m === 'string') return done({ error: m, response: null });
      const error = failure(m);
      if (error !== null) return done({ error, response: null });
      parts.push(m.data);
      const chained = parts.length > 1 || m.specific !== Chain.whole;
      if (chained) this.#onEvent({ kind: 'chain', direction: 'response', level: m.specific, length: m.data.length });
      if (m.specific === Chain.begins || m.specific === Chain.continues) return this.#xfr(new Uint8Array(0), Chain.more, parts, done);
      if (m.specific !== Chain.whole && m.specific !== Chain.ends) return done({ error: `BAD_CHAIN_PARAMETER_0x${m.specific.toString(16)}`, response: null });
      done({ error: null, response: concat(parts) });
    });
  }

  /** Send one command, then read answers until the one that is not a time extension. */
  #exchange(type: number, specific: [number, number, number], data: Uint8Array | undefined, expected: number, done: (m: RdrMessage | string) => void): void {
    if (this.#busy) throw new Error('CcidHost: one command at a time');
    this.#busy = true;
    const seq = this.#seq;
    this.#seq = (this.#seq + 1) & 0xff;
    let finished = false;
    // A failed OUT also fails the pending IN URB: report the first of the two only.
    const finish = (m: RdrMessage | string) => {
      if (finished) return;
      finished = true;
      this.#busy = false;
      done(m);
    };
    this.#usb.bulkOut(encodeCommand(type, this.#slot, seq, specific, data), (status) => {
      if (status !== 'ok') finish(transportError(status));
    });
    const read = () => {
      // A reader never sends more than dwMaxCCIDMessageLength (§5.1); longer responses come chained.
      this.#readIn((status, bytes) => {
        if (status !== 'ok') return finish(transportError(status));
        const m = decodeResponse(bytes);
        if (typeof m === 'string') return finish(`BAD_RESPONSE: ${m}`);
        if (m.seq !== seq || m.slot !== this.#slot) return finish(`BAD_RESPONSE: bSlot ${m.slot} bSeq ${m.seq}, expected ${this.#slot} ${seq}`);
        if (m.type !== expected) return finish(`BAD_RESPONSE: message type 0x${m.type.toString(16)}, expected 0x${expected.toString(16)}`);
        if (m.commandStatus === 'time-extension') {
          this.#onEvent({ kind: 'time-extension', multiplier: m.bError });
          return read();
        }
        finish(m);
      });
    };
    read();
  }

  #readIn(callback: BulkInCallback): void {
    if (this.#bus !== null) this.#bus.read(this.#slot, callback);
    else this.#usb.bulkIn(this.#descriptor?.dwMaxCCIDMessageLength ?? 271, callback);
  }

  #pollInterrupt(): void {
    this.#usb.interruptIn(8, (status, bytes) => {
      if (status !== 'ok') return;
      this.#slotChange(bytes);
      this.#pollInterrupt();
    });
  }

  /** NotifySlotChange (§6.3.1): two bits per slot (b0 present, b1 changed), slot 0 in the low bits of the first byte. */
  #slotChange(bytes: Uint8Array): void {
    const at = 1 + (this.#slot >> 2);
    if (bytes.length <= at || bytes[0] !== 0x50) return;
    const bits = (bytes[at] >> ((this.#slot & 3) * 2)) & 3;
    this.#onEvent({ kind: 'slot-change', present: (bits & 1) !== 0, changed: (bits & 2) !== 0 });
  }
}

function failure(m: RdrMessage): string | null {
  return m.commandStatus === 'failed' ? errorName(m.bError) : null;
}

function slotStatus(m: RdrMessage | string): SlotStatusReply {
  if (typeof m === 'string') return { error: m, iccStatus: null };
  return { error: failure(m), iccStatus: m.iccStatus };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
