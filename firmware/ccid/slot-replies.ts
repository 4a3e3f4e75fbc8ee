/**
 * How one CCID slot answers (CCID Rev 1.1 §6.2): each RDR_to_PC message encoded into the slot's
 * reply buffer (or the time-extension buffer, or the short ring) with bStatus from the slot's state
 * (§6.2.6 bmICCStatus, bmCommandStatus), bClockStatus (§6.2.2), and the bError of each SlotError.
 */
import { TraceCategory } from '../../hal/common/trace.js';
import type { ReaderState, Slot, SlotError } from '../../hal/interfaces/slot.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { ClockStatus, CommandStatus, IccStatus, MessageCode, Offset, SlotErrorCode, bStatus, slotErrorName } from './constants.js';
import { encodeDataRateAndClockFrequency, encodeRdrToPc, ResponseCode, type PC_to_RDR_Name } from './messages.js';
import type { ReplyQueue } from './reply-queue.js';

/** §6.2.6 bmICCStatus of a present card in `state`. */
function stateStatus(state: ReaderState): IccStatus {
  return state === 'POWERED' || state === 'NEGOTIABLE' || state === 'SPECIFIC' ? IccStatus.active : IccStatus.inactive;
}

export class SlotReplies {
  readonly #index: number;
  readonly #slot: Slot;
  readonly #queue: ReplyQueue;
  readonly #trace: Trace;

  constructor(index: number, slot: Slot, queue: ReplyQueue, trace: Trace) {
    this.#index = index;
    this.#slot = slot;
    this.#queue = queue;
    this.#trace = trace;
  }

  /** The slot's reply buffer (a reply whose data is built in place, after the header). */
  get buffer(): Uint8Array {
    return this.#queue.replyBuffer(this.#index);
  }

  /** §6.2.6 bmICCStatus. */
  iccStatus(): IccStatus {
    const slot = this.#slot;
    if (!slot.present) return IccStatus.absent;
    return stateStatus(slot.readerState ?? slot.attributes.state);
  }


  /** §6.2.6 bError for a SlotError. */
  errorCode(error: SlotError): number {
    // abData is no APDU: a length error, so bError is the offset of dwLength (§6.2.6), as for a message.
    return error === 'BAD_APDU_LENGTH' ? Offset.dwLength : SlotErrorCode[error];
  }

  /** §6.2.1 RDR_to_PC_DataBlock. */
  dataBlock(bSeq: number, command: CommandStatus, bError: number, chain: number, data: Uint8Array | null): void {
    // encode() written out, bStatus too: every piece of every response comes this way.
    const queue = this.#queue;
    const length = encodeRdrToPc(queue.replyBuffer(this.#index), MessageCode.RDR_to_PC_DataBlock, this.#index, bSeq, (command << 6) | this.iccStatus(), bError, chain, data);
    if (command === CommandStatus.failed) this.#traceError(MessageCode.RDR_to_PC_DataBlock, bSeq, bError);
    queue.commit(this.#index, length);
  }

  /** §6.2.2 RDR_to_PC_SlotStatus, with bClockStatus. */
  slotStatus(bSeq: number, command: CommandStatus, bError: number): void {
    this.encode(MessageCode.RDR_to_PC_SlotStatus, bSeq, command, bError, this.#clockStatus(), null);
  }

  /** §6.2.5 RDR_to_PC_DataRateAndClockFrequency. */
  dataRate(bSeq: number, bError: number, clockKHz: number, rate: number): void {
    const status = bStatus(this.iccStatus(), bError === 0 ? CommandStatus.ok : CommandStatus.failed);
    this.#queue.commit(this.#index, encodeDataRateAndClockFrequency(this.buffer, this.#index, bSeq, status, bError, clockKHz, rate));
  }

  /** Any reply through the slot's own buffer; `icc` when the slot's state does not say it yet (removal). */
  encode(code: number, bSeq: number, command: CommandStatus, bError: number, b9: number, data: Uint8Array | null, icc = this.iccStatus()): void {
    const length = encodeRdrToPc(this.#queue.replyBuffer(this.#index), code, this.#index, bSeq, bStatus(icc, command), bError, b9, data);
    if (command === CommandStatus.failed) this.#traceError(code, bSeq, bError);
    this.#queue.commit(this.#index, length);
  }

  /** The failed reply to `command`, no data, with an explicit ICC status; `protocol` for a Parameters reply. */
  failed(command: PC_to_RDR_Name, bSeq: number, bError: number, icc: IccStatus, protocol: number): void {
    const code = ResponseCode[command];
    this.encode(code, bSeq, CommandStatus.failed, bError, code === MessageCode.RDR_to_PC_Parameters ? protocol : 0, null, icc);
  }

  /**
   * §6.2.6 bmCommandStatus 2 in the reply type of `pending` (Windows rejects any other), bError = the
   * multiplier (1…255), through the slot's time-extension buffer.
   */
  timeExtension(pending: PC_to_RDR_Name, bSeq: number, multiplier: number): void {
    const bError = multiplier === 1 ? 1 : Math.max(1, Math.min(255, Math.round(multiplier)));
    const code = ResponseCode[pending];
    const status = (CommandStatus.timeExtension << 6) | this.iccStatus(); // bStatus(), written out
    // The buffer holds the last one encoded (nothing else writes it): a command's periodic extensions
    // are all alike, so they are encoded once.
    const key = code | (bSeq << 8) | (status << 16) | (bError << 24);
    if (key !== this.#extensionKey) {
      encodeRdrToPc(this.#queue.extensionBuffer(this.#index), code, this.#index, bSeq, status, bError, 0, null);
      this.#extensionKey = key;
    }
    this.#queue.commitExtension(this.#index);
  }

  /** What the time-extension buffer holds: bMessageType, bSeq, bStatus, bError packed (-1: nothing yet). */
  #extensionKey = -1;

  /** A short answer that leaves the slot's state alone (busy, aborted, unknown, malformed): `name` null for an unknown message. */
  short(name: PC_to_RDR_Name | null, bSeq: number, command: CommandStatus, bError: number): void {
    shortReply(this.#queue, this.#index, name, bSeq, bStatus(this.iccStatus(), command), bError);
    if (command === CommandStatus.failed) this.#traceError(name === null ? MessageCode.RDR_to_PC_SlotStatus : ResponseCode[name], bSeq, bError);
  }

  #clockStatus(): number {
    const attributes = this.#slot.attributes;
    if (!attributes.clockStopped) return ClockStatus.running;
    return attributes.clockStop === 'high' ? ClockStatus.stoppedHigh : ClockStatus.stoppedLow;
  }

  #traceError(code: number, bSeq: number, bError: number): void {
    const trace = this.#trace;
    if (trace.mask & TraceCategory.ERROR) {
      trace.log(TraceCategory.ERROR, `slot ${this.#index} reply 0x${code.toString(16)} bSeq ${bSeq} failed ${slotErrorName(bError)}`);
    }
  }
}

/**
 * Queue a short failed or empty reply of the type that answers `name` (SlotStatus for an unknown
 * message). The ring being full drops it (reply-queue.ts). DataRateAndClockFrequency keeps its
 * fixed 8 data bytes, zero here.
 */
export function shortReply(queue: ReplyQueue, bSlot: number, name: PC_to_RDR_Name | null, bSeq: number, status: number, bError: number): void {
  const index = queue.acquireShort();
  if (index < 0) return;
  const buffer = queue.shortBuffer(index);
  const code = name === null ? MessageCode.RDR_to_PC_SlotStatus : ResponseCode[name];
  const length = code === MessageCode.RDR_to_PC_DataRateAndClockFrequency
    ? encodeDataRateAndClockFrequency(buffer, bSlot, bSeq, status, bError, 0, 0)
    : encodeRdrToPc(buffer, code, bSlot, bSeq, status, bError, 0, null);
  queue.commitShort(index, length);
}
