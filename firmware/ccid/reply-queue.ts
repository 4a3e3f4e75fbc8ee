/**
 * Bulk IN scheduling. The USB device holds one message at a time, so replies wait here, in buffers
 * allocated at construction, and leave in the order they became ready:
 * - one reply buffer per slot (dwMaxCCIDMessageLength) for the answer to its pending command;
 * - one time-extension buffer per slot (CCID Rev 1.1 §6.2.6 bmCommandStatus 2), superseded by the
 *   slot's final reply, and refreshed rather than repeated while unsent;
 * - a small ring for short answers that must not disturb a slot (CMD_SLOT_BUSY, a slot that does
 *   not exist, an unknown or malformed message, CMD_ABORTED).
 * Every command gets exactly one answer, however many the host queues: when the ring is full, bulk OUT
 * is held back (UsbDevice.pauseBulkOut, a NAK on the wire) until an answer has left and freed a
 * buffer, so the next command always finds room for its answer. Only a device without flow control,
 * or a host packing several commands into one transfer, can still overflow the ring; that answer is
 * then dropped with an ERROR trace.
 */
import { TraceCategory } from '../../hal/common/trace.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { UsbDevice } from '../../hal/interfaces/usb-device.js';
import { HEADER_LENGTH } from './constants.js';

/** Room for the longest short answer: RDR_to_PC_DataRateAndClockFrequency (10 + 8). */
export const SHORT_REPLY_LENGTH = HEADER_LENGTH + 8;

export class ReplyQueue {
  readonly #replies: Uint8Array[] = [];
  readonly #replyLength: number[] = [];
  readonly #replyOrder: number[] = [];
  readonly #extensions: Uint8Array[] = [];
  readonly #extensionOrder: number[] = [];
  readonly #short: Uint8Array[] = [];
  readonly #shortLength: number[] = [];
  readonly #shortOrder: number[] = [];
  /** Reply, extension and short order stamps, in that order (0 = nothing waiting). */
  readonly #orders: readonly number[][] = [this.#replyOrder, this.#extensionOrder, this.#shortOrder];
  #order = 0;
  /** Messages waiting to leave (non-zero order stamps): pump returns at once when there are none. */
  #waiting = 0;
  #inFlight = false;
  #usb: UsbDevice | null = null;
  /** Short buffers not holding an answer. */
  #freeShort: number;
  #outPaused = false;

  readonly #trace: Trace;

  constructor(slots: number, maxMessageLength: number, shortCapacity: number, trace: Trace) {
    this.#trace = trace;
    for (let i = 0; i < slots; i++) {
      this.#replies.push(new Uint8Array(maxMessageLength));
      this.#replyLength.push(0);
      this.#replyOrder.push(0);
      this.#extensions.push(new Uint8Array(HEADER_LENGTH));
      this.#extensionOrder.push(0);
    }
    this.#freeShort = shortCapacity;
    for (let i = 0; i < shortCapacity; i++) {
      this.#short.push(new Uint8Array(SHORT_REPLY_LENGTH));
      this.#shortLength.push(0);
      this.#shortOrder.push(0);
    }
  }

  attach(usb: UsbDevice): void {
    this.#usb = usb;
  }

  /** The slot's reply buffer, to encode into; then `commit`. */
  replyBuffer(slot: number): Uint8Array {
    return this.#replies[slot];
  }

  /** The slot's reply is encoded: queue it, and drop its unsent time extension. */
  commit(slot: number, length: number): void {
    this.#replyLength[slot] = length;
    if (this.#replyOrder[slot] === 0) this.#waiting++;
    this.#replyOrder[slot] = ++this.#order;
    if (this.#extensionOrder[slot] !== 0) {
      this.#extensionOrder[slot] = 0;
      this.#waiting--;
    }
    // The only message waiting (the usual case) needs no search for the oldest.
    if (this.#waiting === 1) this.#send(0, slot);
    else this.pump();
  }

  /** A reply of this slot is waiting to leave. */
  holdsReply(slot: number): boolean {
    return this.#replyOrder[slot] !== 0;
  }

  /** The slot's time-extension buffer (10 bytes); then `commitExtension`. */
  extensionBuffer(slot: number): Uint8Array {
    return this.#extensions[slot];
  }

  commitExtension(slot: number): void {
    if (this.#extensionOrder[slot] === 0) {
      this.#extensionOrder[slot] = ++this.#order;
      this.#waiting++;
    }
    if (this.#waiting === 1) this.#send(1, slot);
    else this.pump();
  }

  /** A free short buffer's index, or -1 when the ring is full (traced: the answer is lost). */
  acquireShort(): number {
    const index = this.#shortOrder.indexOf(0);
    if (index < 0 && this.#trace.mask & TraceCategory.ERROR) this.#trace.log(TraceCategory.ERROR, 'short answer ring full: answer dropped');
    return index;
  }

  shortBuffer(index: number): Uint8Array {
    return this.#short[index];
  }

  commitShort(index: number, length: number): void {
    this.#shortLength[index] = length;
    this.#shortOrder[index] = ++this.#order;
    this.#waiting++;
    this.#freeShort--;
    this.pump();
    this.#flowControl();
  }

  /** The endpoint took the previous message. */
  inComplete(): void {
    this.#inFlight = false;
    if (this.#waiting > 0) this.pump();
  }

  /** Drop everything (de-configuration): nothing queued survives into a new host session. */
  clear(): void {
    this.#replyOrder.fill(0);
    this.#extensionOrder.fill(0);
    this.#shortOrder.fill(0);
    this.#freeShort = this.#shortOrder.length;
    this.#waiting = 0;
    this.#inFlight = false;
    this.#flowControl();
  }

  /** Hold bulk OUT back while the next command could find no short buffer for its answer. */
  #flowControl(): void {
    const pause = this.#freeShort === 0;
    if (pause === this.#outPaused || this.#usb === null) return;
    this.#outPaused = pause;
    this.#usb.pauseBulkOut?.(pause);
  }

  /** Hand the oldest ready message to the device if its endpoint is free. */
  pump(): void {
    if (this.#waiting === 0 || this.#inFlight) return;
    // The oldest ready message: the smallest order stamp across the three kinds of buffer (the
    // short ring only when some of it is in use).
    let kind = 0;
    let index = -1;
    let best = 0;
    const kinds = this.#orders;
    const last = this.#freeShort === this.#shortOrder.length ? 2 : 3;
    for (let k = 0; k < last; k++) {
      const orders = kinds[k];
      for (let i = 0; i < orders.length; i++) {
        const order = orders[i];
        if (order !== 0 && (best === 0 || order < best)) {
          best = order;
          kind = k;
          index = i;
        }
      }
    }
    if (index >= 0) this.#send(kind, index);
  }

  /** Hand message `index` of `kind` (0 reply, 1 time extension, 2 short) to the device, if it can take it. */
  #send(kind: number, index: number): void {
    const usb = this.#usb;
    if (usb === null || this.#inFlight || !usb.configured) return;
    let message: Uint8Array;
    if (kind === 0) message = this.#replies[index].subarray(0, this.#replyLength[index]);
    else if (kind === 1) message = this.#extensions[index];
    else message = this.#short[index].subarray(0, this.#shortLength[index]);
    if (!usb.sendBulk(message)) return;
    if (this.#trace.mask & TraceCategory.CCID) this.#trace.log(TraceCategory.CCID, 'bulk IN', message);
    this.#inFlight = true;
    this.#orders[kind][index] = 0;
    this.#waiting--;
    if (kind === 2) {
      this.#freeShort++;
      this.#flowControl();
    }
  }
}
