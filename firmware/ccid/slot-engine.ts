/**
 * One CCID slot: the commands of CCID Rev 1.1 §6.1 for one card, over the Slot seam, one at a time
 * (slot-cycle.ts); a second command meanwhile gets CMD_SLOT_BUSY without disturbing the first.
 * XfrBlock and its exchange levels are xfr-block.ts's, the replies slot-replies.ts's; this file
 * dispatches, runs the other commands, and takes the events valid in every phase: both halves of an
 * abort (§5.3.1, §6.1.13), card removal, supply faults and de-configuration.
 */
import type { VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { TraceCategory } from '../../hal/common/trace.js';
import type { Slot, SlotParameters } from '../../hal/interfaces/slot.js';
import { dataRate, Dd, Fd } from '../iso7816/timing.js';
import { Chain, CommandStatus, HEADER_LENGTH, IccStatus, MessageCode, Offset, SlotErrorCode, type IccStatus as Icc } from './constants.js';
import type { ReaderConfig, ReaderDescription } from './descriptors.js';
import { runEscape } from './escape.js';
import type { MalformedMessage, PC_to_RDR_Command, UnknownMessage } from './messages.js';
import { DEFAULT_PARAMETERS, decodeProtocolData, encodeProtocolData, parametersFromAttributes } from './parameters.js';
import type { ReplyQueue } from './reply-queue.js';
import { SlotCycle } from './slot-cycle.js';
import { SlotReplies } from './slot-replies.js';
import { TimeExtensions } from './time-extension.js';
import { XfrBlock } from './xfr-block.js';


/** What a slot engine needs from the class around it. */
export interface EngineContext {
  readonly config: ReaderConfig;
  readonly description: ReaderDescription;
  readonly queue: ReplyQueue;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  presenceChanged(index: number): void;
  hardwareError(index: number, bSeq: number): void;
}

/** §6.1.1 bPowerSelect → voltage class. */
const POWER_SELECT: readonly ('auto' | VoltageClass)[] = Object.freeze(['auto', 'A', 'B', 'C']);

const NONE = -1;

export class SlotEngine {
  readonly #index: number;
  readonly #slot: Slot;
  readonly #context: EngineContext;
  readonly #queue: ReplyQueue;
  readonly #cycle: SlotCycle;
  readonly #replies: SlotReplies;
  readonly #xfr: XfrBlock;
  readonly #extensions: TimeExtensions;
  readonly #protocolData = new Uint8Array(7);

  #lastSeq = 0;
  /** §5.3.1 / §6.1.13 Abort: bSeq of the ABORT control request or of the bulk Abort still waiting for its other half. */
  #abortControlSeq = NONE;
  #abortBulkSeq = NONE;

  /** Parameters as the host last set them, and those ResetParameters restores (§6.1.5–6.1.7). */
  #parameters: SlotParameters = DEFAULT_PARAMETERS;
  #defaults: SlotParameters = DEFAULT_PARAMETERS;
  /** §6.1.10 T0APDU class bytes. */
  #classGetResponse: number;
  #classEnvelope: number;

  constructor(index: number, slot: Slot, context: EngineContext) {
    this.#index = index;
    this.#slot = slot;
    this.#context = context;
    this.#queue = context.queue;
    const description = context.description;
    const replies = new SlotReplies(index, slot, context.queue, context.trace);
    const cycle = new SlotCycle(index, context.trace, (phase) => {
      // Whatever ends a card command (its answer, abort, removal, de-configuration) ends its time extensions.
      if (phase === 'busy') extensions.stop();
      this.#xfr.left(phase);
    });
    // Only XfrBlock waits on the card with time extensions: libccid honours them for XfrBlock, Secure
    // and Escape only, so IccPowerOn and SetParameters (a long PPS) are answered directly.
    const extensions = new TimeExtensions(context.scheduler, (multiplier) => {
      if (cycle.phase !== 'busy' || cycle.pending !== 'PC_to_RDR_XfrBlock') return false;
      replies.timeExtension('PC_to_RDR_XfrBlock', cycle.pendingSeq, multiplier);
      return true;
    });
    this.#replies = replies;
    this.#cycle = cycle;
    this.#extensions = extensions;
    this.#xfr = new XfrBlock(slot, cycle, replies, extensions, description.exchangeLevel, description.maxMessageLength - HEADER_LENGTH, description.maxApduLength);
    this.#classGetResponse = description.bClassGetResponse;
    this.#classEnvelope = description.bClassEnvelope;
    slot.onPresence = (present) => this.#presence(present);
    slot.onFault = () => context.hardwareError(index, cycle.phase === 'busy' ? cycle.pendingSeq : this.#lastSeq);
  }

  get present(): boolean {
    return this.#slot.present;
  }

  /**
   * A time extension now for the card command in progress, if it takes one and its answer is not
   * queued yet: the reader's clock is not the host's, and the host's has run on (CcidClass.extendPending).
   */
  extendNow(): void {
    if (!this.#queue.holdsReply(this.#index)) this.#extensions.extend(1);
  }

  /** One decoded message addressed to this slot. */
  handle(message: PC_to_RDR_Command | UnknownMessage | MalformedMessage): void {
    const replies = this.#replies;
    this.#lastSeq = message.bSeq;
    if (message.type === 'PC_to_RDR_Abort') return this.#bulkAbort(message.bSeq);
    const name = message.type === 'Unknown' ? null : message.type === 'Malformed' ? message.command : message.type;
    if (this.#abortControlSeq !== NONE) {
      // §5.3.1: between the ABORT request and its PC_to_RDR_Abort, every command fails CMD_ABORTED.
      return replies.short(name, message.bSeq, CommandStatus.failed, SlotErrorCode.CMD_ABORTED);
    }
    if (message.type === 'Unknown') return replies.short(null, message.bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
    if (message.type === 'Malformed') return replies.short(name, message.bSeq, CommandStatus.failed, message.bError);
    if (this.#cycle.phase === 'busy' || this.#queue.holdsReply(this.#index)) {
      return replies.short(name, message.bSeq, CommandStatus.failed, SlotErrorCode.CMD_SLOT_BUSY);
    }
    if (this.#context.trace.mask & TraceCategory.CCID) this.#trace(message.type, message.bSeq);
    switch (message.type) {
      // XfrBlock first: the cases are compared in order, and nearly every message is one.
      case 'PC_to_RDR_XfrBlock': return this.#xfr.run(message.bSeq, message.bBWI, message.wLevelParameter, message.abData);
      case 'PC_to_RDR_IccPowerOn': return this.#powerOn(message.bSeq, message.bPowerSelect);
      case 'PC_to_RDR_IccPowerOff': return this.#powerOff(message.bSeq);
      case 'PC_to_RDR_GetSlotStatus': return replies.slotStatus(message.bSeq, CommandStatus.ok, 0);
      case 'PC_to_RDR_GetParameters': return this.#replyParameters(message.bSeq, CommandStatus.ok, 0);
      case 'PC_to_RDR_ResetParameters': return this.#applyParameters('PC_to_RDR_ResetParameters', message.bSeq, this.#defaults);
      case 'PC_to_RDR_SetParameters': return this.#setParameters(message.bSeq, message.bProtocolNum, message.abProtocolData);
      case 'PC_to_RDR_Escape': return this.#escape(message.bSeq, message.abData);
      case 'PC_to_RDR_IccClock': return this.#iccClock(message.bSeq, message.bClockCommand);
      case 'PC_to_RDR_T0APDU':
        return this.#t0Apdu(message.bSeq, message.bmChanges, message.bClassGetResponse, message.bClassEnvelope);
      // No PIN pad (bPINSupport 0) and no mechanism (dwMechanical 0): §6.2.6 "command not supported".
      case 'PC_to_RDR_Secure': return replies.dataBlock(message.bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED, Chain.whole, null);
      case 'PC_to_RDR_Mechanical': return replies.slotStatus(message.bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
      case 'PC_to_RDR_SetDataRateAndClockFrequency':
        return this.#setDataRate(message.bSeq, message.dwClockFrequency, message.dwDataRate);
    }
  }

  /** §5.3.1 ABORT class request for this slot. */
  controlAbort(bSeq: number): void {
    this.#cancelPending(SlotErrorCode.CMD_ABORTED, this.#replies.iccStatus());
    this.#cycle.resetChains();
    if (this.#abortBulkSeq === bSeq) {
      this.#abortBulkSeq = NONE;
      this.#abortDone(bSeq);
      return;
    }
    if (this.#abortBulkSeq !== NONE) this.#abortFailed(this.#abortBulkSeq);
    this.#abortBulkSeq = NONE;
    this.#abortControlSeq = bSeq;
  }

  /** The host de-configured or re-configured the device: forget every command. */
  reset(): void {
    if (this.#cycle.phase === 'busy') {
      this.#cycle.drop();
      this.#slot.abort();
    }
    this.#cycle.resetChains();
    this.#abortControlSeq = NONE;
    this.#abortBulkSeq = NONE;
  }

  #bulkAbort(bSeq: number): void {
    this.#trace('PC_to_RDR_Abort', bSeq);
    if (this.#abortControlSeq === bSeq) {
      this.#abortControlSeq = NONE;
      this.#abortDone(bSeq);
      return;
    }
    // The ABORT request is still to come; an older unmatched Abort gives way to this one.
    if (this.#abortBulkSeq !== NONE) this.#abortFailed(this.#abortBulkSeq);
    this.#abortBulkSeq = bSeq;
  }

  #abortDone(bSeq: number): void {
    this.#replies.short('PC_to_RDR_Abort', bSeq, CommandStatus.ok, 0);
  }

  #abortFailed(bSeq: number): void {
    this.#replies.short('PC_to_RDR_Abort', bSeq, CommandStatus.failed, SlotErrorCode.CMD_ABORTED);
  }

  #presence(present: boolean): void {
    if (!present) {
      // Removal mid-command: answer at once, ICC absent; the slot's own late answer is stale.
      this.#cancelPending(SlotErrorCode.ICC_MUTE, IccStatus.absent);
      this.#cycle.resetChains();
    }
    this.#context.presenceChanged(this.#index);
  }

  /** Answer the pending card command now with `bError`, and stop the slot's work on it. */
  #cancelPending(bError: number, icc: Icc): void {
    const cycle = this.#cycle;
    if (cycle.phase !== 'busy') return;
    cycle.drop();
    this.#slot.abort();
    this.#replies.failed(cycle.pending, cycle.pendingSeq, bError, icc, this.#parameters.protocol);
  }

  /** §6.1.1 PC_to_RDR_IccPowerOn → RDR_to_PC_DataBlock with the ATR. */
  #powerOn(bSeq: number, bPowerSelect: number): void {
    const replies = this.#replies;
    const voltage = POWER_SELECT[bPowerSelect];
    if (voltage === undefined || (voltage !== 'auto' && !this.#context.config.classes.includes(voltage))) {
      return replies.dataBlock(bSeq, CommandStatus.failed, Offset.specific, Chain.whole, null);
    }
    if (!this.#slot.present) return replies.dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.ICC_MUTE, Chain.whole, null);
    const current = this.#slot.attributes.voltage;
    // A different class needs a cold reset; the same class (or auto) on a powered card is a warm reset.
    if (voltage !== 'auto' && current !== null && current !== voltage) this.#slot.powerOff();
    const token = this.#cycle.start('PC_to_RDR_IccPowerOn', bSeq);
    // readerFeatures (descriptors.ts): at the TPDU level the host sends PPS and SetParameters itself.
    const negotiation = this.#context.description.exchangeLevel === 'tpdu' ? 'host' : 'reader';
    this.#slot.powerOn(voltage, (result) => {
      if (!this.#cycle.settle(token)) return;
      if (result.error !== null || result.atr === null) {
        return replies.dataBlock(bSeq, CommandStatus.failed, replies.errorCode(result.error ?? 'ICC_MUTE'), Chain.whole, null);
      }
      const attributes = this.#slot.attributes;
      this.#parameters = this.#defaults = parametersFromAttributes(attributes, attributes.clockStop ?? 'not-supported');
      replies.dataBlock(bSeq, CommandStatus.ok, 0, Chain.whole, result.atr);
    }, { negotiation });
  }

  /** §6.1.2 PC_to_RDR_IccPowerOff: harmless when repeated. */
  #powerOff(bSeq: number): void {
    this.#cycle.resetChains();
    this.#slot.powerOff();
    this.#replies.slotStatus(bSeq, CommandStatus.ok, 0);
  }

  /** §6.1.7 PC_to_RDR_SetParameters. */
  #setParameters(bSeq: number, bProtocolNum: number, data: Uint8Array): void {
    const decoded = decodeProtocolData(bProtocolNum, data, this.#context.config.protocols);
    if (!decoded.ok) return this.#replyParameters(bSeq, CommandStatus.failed, decoded.bError);
    this.#applyParameters('PC_to_RDR_SetParameters', bSeq, decoded.parameters);
  }

  /**
   * §6.1.6 / §6.1.7: store the parameters; on a powered card whose slot can apply them (PPS when
   * the reader negotiates), apply them first and store them only when that succeeds.
   */
  #applyParameters(command: 'PC_to_RDR_SetParameters' | 'PC_to_RDR_ResetParameters', bSeq: number, parameters: SlotParameters): void {
    const slot = this.#slot;
    if (this.#replies.iccStatus() !== IccStatus.active || slot.setParameters === undefined) {
      this.#parameters = parameters;
      return this.#replyParameters(bSeq, CommandStatus.ok, 0);
    }
    const token = this.#cycle.start(command, bSeq);
    slot.setParameters(parameters, (error) => {
      if (!this.#cycle.settle(token)) return;
      if (error !== null) {
        const attributes = slot.attributes;
        this.#parameters = parametersFromAttributes(attributes, this.#parameters.clockStop);
        return this.#replyParameters(bSeq, CommandStatus.failed, this.#replies.errorCode(error));
      }
      this.#parameters = parameters;
      this.#replyParameters(bSeq, CommandStatus.ok, 0);
    });
  }

  #replyParameters(bSeq: number, command: CommandStatus, bError: number): void {
    const length = encodeProtocolData(this.#protocolData, this.#parameters);
    this.#replies.encode(MessageCode.RDR_to_PC_Parameters, bSeq, command, bError, this.#parameters.protocol, this.#protocolData.subarray(0, length));
  }

  /** §6.1.8 PC_to_RDR_Escape: vendor commands, table in escape.ts. */
  #escape(bSeq: number, abData: Uint8Array): void {
    const out = this.#replies.buffer.subarray(HEADER_LENGTH);
    const result = runEscape(abData, out, this.#slot.attributes, this.#context.trace);
    const command = result.ok ? CommandStatus.ok : CommandStatus.failed;
    // The data is already in place after the header (copying a view onto itself is a no-op).
    this.#replies.encode(MessageCode.RDR_to_PC_Escape, bSeq, command, result.ok ? 0 : result.bError, 0, out.subarray(0, result.ok ? result.length : 0));
  }

  /** §6.1.9 PC_to_RDR_IccClock, honouring the card's clock stop indicator (ISO 7816-3 §8.3). */
  #iccClock(bSeq: number, bClockCommand: number): void {
    const replies = this.#replies;
    if (bClockCommand > 1) return replies.slotStatus(bSeq, CommandStatus.failed, Offset.specific);
    const slot = this.#slot;
    if (!this.#context.config.clockStop || slot.setClock === undefined) {
      return replies.slotStatus(bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
    }
    if (replies.iccStatus() !== IccStatus.active) return replies.slotStatus(bSeq, CommandStatus.failed, SlotErrorCode.ICC_MUTE);
    const stop = bClockCommand === 1;
    const indicator = slot.attributes.clockStop;
    if (stop && (indicator === undefined || indicator === null || indicator === 'not-supported')) {
      return replies.slotStatus(bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
    }
    const token = this.#cycle.start('PC_to_RDR_IccClock', bSeq);
    slot.setClock(stop, (error) => {
      if (!this.#cycle.settle(token)) return;
      if (error !== null) return replies.slotStatus(bSeq, CommandStatus.failed, replies.errorCode(error));
      replies.slotStatus(bSeq, CommandStatus.ok, 0);
    });
  }

  /** §6.1.10 PC_to_RDR_T0APDU: only the APDU levels map APDUs onto T=0. */
  #t0Apdu(bSeq: number, bmChanges: number, getResponse: number, envelope: number): void {
    const replies = this.#replies;
    if (this.#context.description.exchangeLevel === 'tpdu') {
      return replies.slotStatus(bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
    }
    if ((bmChanges & ~0x03) !== 0) return replies.slotStatus(bSeq, CommandStatus.failed, Offset.specific);
    if (bmChanges & 0x01) this.#classGetResponse = getResponse;
    if (bmChanges & 0x02) this.#classEnvelope = envelope;
    this.#slot.setClassBytes?.(this.#classGetResponse, this.#classEnvelope);
    replies.slotStatus(bSeq, CommandStatus.ok, 0);
  }

  /**
   * §6.1.14 PC_to_RDR_SetDataRateAndClockFrequency. The session chooses clock and rate from the ATR
   * (dwFeatures 0x10/0x20 style automation), so only the pair in force is accepted: a clock not in
   * force fails with bError 10 (dwClockFrequency), a rate not in force with 14 (dwDataRate). The
   * reply carries the pair in force either way.
   */
  #setDataRate(bSeq: number, dwClockFrequency: number, dwDataRate: number): void {
    const attributes = this.#slot.attributes;
    const active = this.#replies.iccStatus() === IccStatus.active;
    const clockHz = active ? attributes.clockHz : this.#context.config.clocksHz[0];
    const clockKHz = Math.floor(clockHz / 1000);
    const rate = active ? dataRate(attributes.F, attributes.D, clockHz) : dataRate(Fd, Dd, clockHz);
    const bError = dwClockFrequency !== clockKHz ? Offset.data : dwDataRate !== rate ? Offset.data + 4 : 0;
    this.#replies.dataRate(bSeq, bError, clockKHz, rate);
  }

  #trace(name: string, bSeq: number): void {
    const trace = this.#context.trace;
    if (trace.mask & TraceCategory.CCID) trace.log(TraceCategory.CCID, `slot ${this.#index} ${name} bSeq ${bSeq}`);
  }
}
