/**
 * One CCID slot: the commands of CCID Rev 1.1 §6.1 for one card, over the Slot seam. At most one
 * command is pending per slot (§6.1: "one command at a time per slot"); a command is pending from
 * its arrival until its reply is queued, and a second one meanwhile gets CMD_SLOT_BUSY without
 * disturbing the first.
 */
import type { VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { Scheduler, TimerHandle } from '../../hal/interfaces/scheduler.js';
import { TraceCategory } from '../../hal/common/trace.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { Slot, SlotError, SlotParameters, TransmitResult } from '../../hal/interfaces/slot.js';
import {
  Chain,
  ClockStatus,
  CommandStatus,
  HEADER_LENGTH,
  IccStatus,
  MessageCode,
  Offset,
  SlotErrorCode,
  bStatus,
  slotErrorName,
} from './constants.js';
import type { ReaderConfig, ReaderDescription } from './descriptors.js';
import { runEscape } from './escape.js';
import {
  ResponseCode,
  encodeDataRateAndClockFrequency,
  encodeRdrToPc,
  type MalformedMessage,
  type PC_to_RDR_Command,
  type PC_to_RDR_Name,
  type UnknownMessage,
} from './messages.js';
import { DEFAULT_PARAMETERS, decodeProtocolData, encodeProtocolData, parametersFromAttributes } from './parameters.js';
import { ReplyQueue } from './reply-queue.js';
import { extensionPeriodNs } from './time-extension.js';
import { dataRate, Dd, Fd } from '../iso7816/timing.js';

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

/** Commands whose reply waits for the card. */
type CardCommand =
  | 'PC_to_RDR_IccPowerOn'
  | 'PC_to_RDR_XfrBlock'
  | 'PC_to_RDR_SetParameters'
  | 'PC_to_RDR_ResetParameters'
  | 'PC_to_RDR_IccClock';

const NONE = -1;

/**
 * Where a slot is in its command cycle. Abort halves and card removal are valid in every phase and
 * handled beside the table (STYLE lesson 10: events valid everywhere belong to the parent).
 * - idle: nothing in progress;
 * - busy: a card command waits for the Slot (`#pending` names it);
 * - commandChain: an extended APDU arrives in pieces (wLevelParameter 01/03, §6.1.4);
 * - responseChain: a response leaves in pieces (bChainParameter 01/03, §6.2.1).
 */
type Phase = 'idle' | 'busy' | 'commandChain' | 'responseChain';

const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = Object.freeze({
  idle: Object.freeze<Phase[]>(['busy', 'commandChain']),
  busy: Object.freeze<Phase[]>(['idle', 'responseChain']),
  // A chain ends (last piece, error) or is abandoned (another card command, power) through idle.
  commandChain: Object.freeze<Phase[]>(['idle', 'commandChain']),
  responseChain: Object.freeze<Phase[]>(['idle', 'responseChain']),
});

export class SlotEngine {
  readonly #index: number;
  readonly #slot: Slot;
  readonly #context: EngineContext;
  readonly #queue: ReplyQueue;
  readonly #maxData: number;
  /** Command APDU / TPDU buffer: a copy of abData (the bulk OUT buffer is reused at once). */
  readonly #command: Uint8Array;
  readonly #protocolData = new Uint8Array(7);

  #phase: Phase = 'idle';
  /** The card command in progress (meaningful in phase busy). */
  #pending: CardCommand = 'PC_to_RDR_IccPowerOn';
  #pendingSeq = 0;
  #lastSeq = 0;
  /** Bumped whenever a pending command is answered by the class itself: later slot callbacks for it are stale. */
  #token = 0;

  /** Phase commandChain: bytes of the chained command APDU so far. */
  #commandLength = 0;
  /** Phase responseChain: the response being sent in pieces, and how far. */
  #response: Uint8Array | null = null;
  #responseOffset = 0;

  /** §5.3.1 / §6.1.13 Abort: bSeq of the ABORT control request or of the bulk Abort still waiting for its other half. */
  #abortControlSeq = NONE;
  #abortBulkSeq = NONE;

  /** Parameters as the host last set them, and those ResetParameters restores (§6.1.5–6.1.7). */
  #parameters: SlotParameters = DEFAULT_PARAMETERS;
  #defaults: SlotParameters = DEFAULT_PARAMETERS;
  /** §6.1.10 T0APDU class bytes. */
  #classGetResponse: number;
  #classEnvelope: number;

  /** Phase busy with an XfrBlock: the reader's own next time extension (time-extension.ts), and its period. */
  #extensionTimer: TimerHandle | null = null;
  #extensionPeriodNs = 0;
  readonly #extensionDue = (): void => {
    this.#extensionTimer = null;
    if (this.#phase === 'busy') this.#timeExtension(this.#pendingSeq, 1);
  };

  constructor(index: number, slot: Slot, context: EngineContext) {
    this.#index = index;
    this.#slot = slot;
    this.#context = context;
    this.#queue = context.queue;
    this.#maxData = context.description.maxMessageLength - HEADER_LENGTH;
    this.#command = new Uint8Array(context.description.maxApduLength);
    this.#classGetResponse = context.description.bClassGetResponse;
    this.#classEnvelope = context.description.bClassEnvelope;
    slot.onPresence = (present) => this.#presence(present);
    slot.onFault = () => context.hardwareError(index, this.#phase === 'busy' ? this.#pendingSeq : this.#lastSeq);
  }

  get present(): boolean {
    return this.#slot.present;
  }

  /** One decoded message addressed to this slot. */
  handle(message: PC_to_RDR_Command | UnknownMessage | MalformedMessage): void {
    this.#lastSeq = message.bSeq;
    if (message.type === 'PC_to_RDR_Abort') return this.#bulkAbort(message.bSeq);
    if (this.#abortControlSeq !== NONE) {
      // §5.3.1: between the ABORT request and its PC_to_RDR_Abort, every command fails CMD_ABORTED.
      return this.#short(message, CommandStatus.failed, SlotErrorCode.CMD_ABORTED);
    }
    if (message.type === 'Unknown') return this.#short(message, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
    if (message.type === 'Malformed') return this.#short(message, CommandStatus.failed, message.bError);
    if (this.#phase === 'busy' || this.#queue.holdsReply(this.#index)) {
      return this.#short(message, CommandStatus.failed, SlotErrorCode.CMD_SLOT_BUSY);
    }
    this.#trace(message.type, message.bSeq);
    switch (message.type) {
      case 'PC_to_RDR_IccPowerOn': return this.#powerOn(message.bSeq, message.bPowerSelect);
      case 'PC_to_RDR_IccPowerOff': return this.#powerOff(message.bSeq);
      case 'PC_to_RDR_GetSlotStatus': return this.#slotStatus(message.bSeq, CommandStatus.ok, 0);
      case 'PC_to_RDR_XfrBlock': return this.#xfrBlock(message.bSeq, message.bBWI, message.wLevelParameter, message.abData);
      case 'PC_to_RDR_GetParameters': return this.#replyParameters(message.bSeq, CommandStatus.ok, 0);
      case 'PC_to_RDR_ResetParameters': return this.#applyParameters('PC_to_RDR_ResetParameters', message.bSeq, this.#defaults);
      case 'PC_to_RDR_SetParameters': return this.#setParameters(message.bSeq, message.bProtocolNum, message.abProtocolData);
      case 'PC_to_RDR_Escape': return this.#escape(message.bSeq, message.abData);
      case 'PC_to_RDR_IccClock': return this.#iccClock(message.bSeq, message.bClockCommand);
      case 'PC_to_RDR_T0APDU':
        return this.#t0Apdu(message.bSeq, message.bmChanges, message.bClassGetResponse, message.bClassEnvelope);
      // No PIN pad (bPINSupport 0) and no mechanism (dwMechanical 0): §6.2.6 "command not supported".
      case 'PC_to_RDR_Secure': return this.#dataBlock(message.bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED, Chain.whole, null);
      case 'PC_to_RDR_Mechanical': return this.#slotStatus(message.bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
      case 'PC_to_RDR_SetDataRateAndClockFrequency':
        return this.#setDataRate(message.bSeq, message.dwClockFrequency, message.dwDataRate);
    }
  }

  /** §5.3.1 ABORT class request for this slot. */
  controlAbort(bSeq: number): void {
    this.#cancelPending(SlotErrorCode.CMD_ABORTED, this.#iccStatus());
    this.#resetChains();
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
    if (this.#phase === 'busy') {
      this.#token++;
      this.#enter('idle');
      this.#slot.abort();
    }
    this.#resetChains();
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
    this.#shortReply('PC_to_RDR_Abort', bSeq, CommandStatus.ok, 0, this.#iccStatus());
  }

  #abortFailed(bSeq: number): void {
    this.#shortReply('PC_to_RDR_Abort', bSeq, CommandStatus.failed, SlotErrorCode.CMD_ABORTED, this.#iccStatus());
  }

  #presence(present: boolean): void {
    if (!present) {
      // Removal mid-command: answer at once, ICC absent; the slot's own late answer is stale.
      this.#cancelPending(SlotErrorCode.ICC_MUTE, IccStatus.absent);
      this.#resetChains();
    }
    this.#context.presenceChanged(this.#index);
  }

  /** Answer the pending card command now with `bError`, and stop the slot's work on it. */
  #cancelPending(bError: number, icc: IccStatus): void {
    if (this.#phase !== 'busy') return;
    this.#token++;
    this.#enter('idle');
    this.#slot.abort();
    this.#reply(this.#pending, this.#pendingSeq, CommandStatus.failed, bError, icc);
  }

  /** Checked transition; leaving a chain phase forgets its data. */
  #enter(next: Phase): void {
    const from = this.#phase;
    if (!TRANSITIONS[from].includes(next)) throw new Error(`CCID slot ${this.#index}: ${from} → ${next} is not a transition`);
    if (from === 'commandChain' && next !== 'commandChain') this.#commandLength = 0;
    if (from === 'responseChain' && next !== 'responseChain') this.#response = null;
    // Whatever ends a card command (its answer, abort, removal, de-configuration) ends its time extensions.
    if (from === 'busy' && next !== 'busy') this.#disarmExtension();
    this.#phase = next;
    const trace = this.#context.trace;
    if (from !== next && trace.mask & TraceCategory.CCID) trace.log(TraceCategory.CCID, `slot ${this.#index} ${from} → ${next}`);
  }

  /** Abandon a chain in either direction. */
  #resetChains(): void {
    if (this.#phase === 'commandChain' || this.#phase === 'responseChain') this.#enter('idle');
  }

  /** A card command begins: any chain in progress is abandoned. */
  #start(command: CardCommand, bSeq: number): number {
    this.#resetChains();
    this.#enter('busy');
    this.#pending = command;
    this.#pendingSeq = bSeq;
    return ++this.#token;
  }

  /**
   * The slot answered for `token`: leave busy for `next` and return true; false when that command
   * was already answered by the class (abort, removal, de-configuration).
   */
  #settle(token: number, next: 'idle' | 'responseChain' = 'idle'): boolean {
    if (token !== this.#token || this.#phase !== 'busy') return false;
    this.#enter(next);
    return true;
  }

  /** §6.1.1 PC_to_RDR_IccPowerOn → RDR_to_PC_DataBlock with the ATR. */
  #powerOn(bSeq: number, bPowerSelect: number): void {
    const voltage = POWER_SELECT[bPowerSelect];
    if (voltage === undefined || (voltage !== 'auto' && !this.#context.config.classes.includes(voltage))) {
      return this.#dataBlock(bSeq, CommandStatus.failed, Offset.specific, Chain.whole, null);
    }
    if (!this.#slot.present) return this.#dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.ICC_MUTE, Chain.whole, null);
    const current = this.#slot.attributes.voltage;
    // A different class needs a cold reset; the same class (or auto) on a powered card is a warm reset.
    if (voltage !== 'auto' && current !== null && current !== voltage) this.#slot.powerOff();
    const token = this.#start('PC_to_RDR_IccPowerOn', bSeq);
    // readerFeatures (descriptors.ts): at the TPDU level the host sends PPS and SetParameters itself.
    const negotiation = this.#context.description.exchangeLevel === 'tpdu' ? 'host' : 'reader';
    this.#slot.powerOn(voltage, (result) => {
      if (!this.#settle(token)) return;
      if (result.error !== null || result.atr === null) {
        return this.#dataBlock(bSeq, CommandStatus.failed, this.#errorCode(result.error ?? 'ICC_MUTE'), Chain.whole, null);
      }
      const attributes = this.#slot.attributes;
      this.#parameters = this.#defaults = parametersFromAttributes(attributes, attributes.clockStop ?? 'not-supported');
      this.#dataBlock(bSeq, CommandStatus.ok, 0, Chain.whole, result.atr);
    }, { negotiation });
  }

  /** §6.1.2 PC_to_RDR_IccPowerOff: harmless when repeated. */
  #powerOff(bSeq: number): void {
    this.#resetChains();
    this.#slot.powerOff();
    this.#slotStatus(bSeq, CommandStatus.ok, 0);
  }

  /** §6.1.4 PC_to_RDR_XfrBlock at the configured exchange level. */
  #xfrBlock(bSeq: number, bBWI: number, wLevelParameter: number, abData: Uint8Array): void {
    const level = this.#context.description.exchangeLevel;
    if (level === 'extended-apdu') {
      switch (wLevelParameter) {
        case Chain.whole:
          this.#resetChains();
          break;
        case Chain.begins:
          this.#resetChains();
          return this.#appendCommand(bSeq, abData, false);
        case Chain.continues:
        case Chain.ends:
          if (this.#phase !== 'commandChain') return this.#failChain(bSeq);
          return this.#appendCommand(bSeq, abData, wLevelParameter === Chain.ends);
        case Chain.more:
          if (this.#phase !== 'responseChain') return this.#failChain(bSeq);
          return this.#sendResponsePiece(bSeq);
        default:
          return this.#failChain(bSeq);
      }
    }
    if (abData.length > this.#command.length) {
      return this.#dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.XFR_OVERRUN, Chain.whole, null);
    }
    this.#command.set(abData);
    this.#transmit(bSeq, bBWI, abData.length);
  }

  #failChain(bSeq: number): void {
    this.#resetChains();
    this.#dataBlock(bSeq, CommandStatus.failed, Offset.wLevelParameter, Chain.whole, null);
  }

  /** Extended APDU level command chaining: keep the piece; ask for more or send the whole APDU. */
  #appendCommand(bSeq: number, abData: Uint8Array, last: boolean): void {
    const length = this.#phase === 'commandChain' ? this.#commandLength : 0;
    if (length + abData.length > this.#command.length) {
      this.#resetChains();
      return this.#dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.XFR_OVERRUN, Chain.whole, null);
    }
    this.#command.set(abData, length);
    if (!last) {
      this.#enter('commandChain');
      this.#commandLength = length + abData.length;
      return this.#dataBlock(bSeq, CommandStatus.ok, 0, Chain.more, null);
    }
    this.#transmit(bSeq, 0, length + abData.length);
  }

  #transmit(bSeq: number, bBWI: number, length: number): void {
    if (!this.#cardActive(bSeq)) {
      this.#resetChains();
      return;
    }
    const token = this.#start('PC_to_RDR_XfrBlock', bSeq);
    this.#extensionPeriodNs = extensionPeriodNs(this.#slot.attributes);
    this.#armExtension();
    const extended = this.#context.description.exchangeLevel === 'extended-apdu';
    const done = (result: TransmitResult): void => {
      const response = result.error === null ? result.response : null;
      const chained = extended && response !== null && response.length > this.#maxData;
      if (!this.#settle(token, chained ? 'responseChain' : 'idle')) return;
      if (response === null) {
        return this.#dataBlock(bSeq, CommandStatus.failed, this.#errorCode(result.error ?? 'HW_ERROR'), Chain.whole, null);
      }
      if (chained) {
        this.#response = response;
        this.#responseOffset = 0;
        return this.#sendResponsePiece(bSeq);
      }
      // Short APDU and TPDU levels: one DataBlock, or nothing (§6.1.4).
      if (response.length > this.#maxData) {
        return this.#dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.XFR_OVERRUN, Chain.whole, null);
      }
      this.#dataBlock(bSeq, CommandStatus.ok, 0, Chain.whole, response);
    };
    const waiting = (multiplier: number): void => {
      if (token === this.#token && this.#phase === 'busy') this.#timeExtension(bSeq, multiplier);
    };
    const command = this.#command.subarray(0, length);
    const slot = this.#slot;
    if (this.#context.description.exchangeLevel === 'tpdu' && slot.transmitTpdu !== undefined) {
      slot.transmitTpdu(command, bBWI, done, waiting);
    } else {
      slot.transmitApdu(command, done, waiting);
    }
  }

  /** Extended APDU level response chaining (§6.2.1 bChainParameter), in phase responseChain. */
  #sendResponsePiece(bSeq: number): void {
    const response = this.#response as Uint8Array;
    const offset = this.#responseOffset;
    const rest = response.length - offset;
    const n = Math.min(rest, this.#maxData);
    const last = n === rest;
    const chain = offset === 0 ? Chain.begins : last ? Chain.ends : Chain.continues;
    this.#responseOffset = offset + n;
    if (last) this.#enter('idle');
    this.#dataBlock(bSeq, CommandStatus.ok, 0, chain, response.subarray(offset, offset + n));
  }

  /** A card command needs a powered card: otherwise fail with ICC_MUTE and the ICC status saying why. */
  #cardActive(bSeq: number): boolean {
    if (this.#iccStatus() === IccStatus.active) return true;
    this.#dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.ICC_MUTE, Chain.whole, null);
    return false;
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
    if (this.#iccStatus() !== IccStatus.active || slot.setParameters === undefined) {
      this.#parameters = parameters;
      return this.#replyParameters(bSeq, CommandStatus.ok, 0);
    }
    const token = this.#start(command, bSeq);
    slot.setParameters(parameters, (error) => {
      if (!this.#settle(token)) return;
      if (error !== null) {
        const attributes = slot.attributes;
        this.#parameters = parametersFromAttributes(attributes, this.#parameters.clockStop);
        return this.#replyParameters(bSeq, CommandStatus.failed, this.#errorCode(error));
      }
      this.#parameters = parameters;
      this.#replyParameters(bSeq, CommandStatus.ok, 0);
    });
  }

  #replyParameters(bSeq: number, command: CommandStatus, bError: number): void {
    const length = encodeProtocolData(this.#protocolData, this.#parameters);
    this.#encode(MessageCode.RDR_to_PC_Parameters, bSeq, command, bError, this.#parameters.protocol, this.#protocolData.subarray(0, length));
  }

  /** §6.1.8 PC_to_RDR_Escape: vendor commands, table in escape.ts. */
  #escape(bSeq: number, abData: Uint8Array): void {
    const out = this.#queue.replyBuffer(this.#index).subarray(HEADER_LENGTH);
    const result = runEscape(abData, out, this.#slot.attributes, this.#context.trace);
    const command = result.ok ? CommandStatus.ok : CommandStatus.failed;
    // The data is already in place after the header (copying a view onto itself is a no-op).
    this.#encode(MessageCode.RDR_to_PC_Escape, bSeq, command, result.ok ? 0 : result.bError, 0, out.subarray(0, result.ok ? result.length : 0));
  }

  /** §6.1.9 PC_to_RDR_IccClock, honouring the card's clock stop indicator (ISO 7816-3 §8.3). */
  #iccClock(bSeq: number, bClockCommand: number): void {
    if (bClockCommand > 1) return this.#slotStatus(bSeq, CommandStatus.failed, Offset.specific);
    const slot = this.#slot;
    if (!this.#context.config.clockStop || slot.setClock === undefined) {
      return this.#slotStatus(bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
    }
    if (this.#iccStatus() !== IccStatus.active) return this.#slotStatus(bSeq, CommandStatus.failed, SlotErrorCode.ICC_MUTE);
    const stop = bClockCommand === 1;
    const indicator = slot.attributes.clockStop;
    if (stop && (indicator === undefined || indicator === null || indicator === 'not-supported')) {
      return this.#slotStatus(bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
    }
    const token = this.#start('PC_to_RDR_IccClock', bSeq);
    slot.setClock(stop, (error) => {
      if (!this.#settle(token)) return;
      if (error !== null) return this.#slotStatus(bSeq, CommandStatus.failed, this.#errorCode(error));
      this.#slotStatus(bSeq, CommandStatus.ok, 0);
    });
  }

  /** §6.1.10 PC_to_RDR_T0APDU: only the APDU levels map APDUs onto T=0. */
  #t0Apdu(bSeq: number, bmChanges: number, getResponse: number, envelope: number): void {
    if (this.#context.description.exchangeLevel === 'tpdu') {
      return this.#slotStatus(bSeq, CommandStatus.failed, SlotErrorCode.CMD_NOT_SUPPORTED);
    }
    if ((bmChanges & ~0x03) !== 0) return this.#slotStatus(bSeq, CommandStatus.failed, Offset.specific);
    if (bmChanges & 0x01) this.#classGetResponse = getResponse;
    if (bmChanges & 0x02) this.#classEnvelope = envelope;
    this.#slot.setClassBytes?.(this.#classGetResponse, this.#classEnvelope);
    this.#slotStatus(bSeq, CommandStatus.ok, 0);
  }

  /**
   * §6.1.14 PC_to_RDR_SetDataRateAndClockFrequency. The session chooses clock and rate from the ATR
   * (dwFeatures 0x10/0x20 style automation), so only the pair in force is accepted: a clock not in
   * force fails with bError 10 (dwClockFrequency), a rate not in force with 14 (dwDataRate). The
   * reply carries the pair in force either way.
   */
  #setDataRate(bSeq: number, dwClockFrequency: number, dwDataRate: number): void {
    const attributes = this.#slot.attributes;
    const active = this.#iccStatus() === IccStatus.active;
    const clockHz = active ? attributes.clockHz : this.#context.config.clocksHz[0];
    const clockKHz = Math.floor(clockHz / 1000);
    const rate = active ? dataRate(attributes.F, attributes.D, clockHz) : dataRate(Fd, Dd, clockHz);
    const bError = dwClockFrequency !== clockKHz ? Offset.data : dwDataRate !== rate ? Offset.data + 4 : 0;
    const buffer = this.#queue.replyBuffer(this.#index);
    const status = bStatus(this.#iccStatus(), bError === 0 ? CommandStatus.ok : CommandStatus.failed);
    this.#queue.commit(this.#index, encodeDataRateAndClockFrequency(buffer, this.#index, bSeq, status, bError, clockKHz, rate));
  }

  /**
   * §6.2.6 bmCommandStatus 2 in the pending command's own reply type (Windows rejects any other),
   * bError = the card's multiplier (T=1 WTX), 1 when the reader asks on its own; the periodic one
   * starts counting again. Only XfrBlock waits on the card here (Escape answers at once, Secure is
   * not supported): libccid honours time extensions for XfrBlock, Secure and Escape only, so
   * IccPowerOn and SetParameters (a long PPS) are answered directly.
   */
  #timeExtension(bSeq: number, multiplier: number): void {
    const pending = this.#pending;
    if (pending !== 'PC_to_RDR_XfrBlock') return;
    const buffer = this.#queue.extensionBuffer(this.#index);
    const bError = Math.max(1, Math.min(255, Math.round(multiplier)));
    encodeRdrToPc(buffer, ResponseCode[pending], this.#index, bSeq, bStatus(this.#iccStatus(), CommandStatus.timeExtension), bError, 0, null);
    this.#queue.commitExtension(this.#index);
    this.#armExtension();
  }

  /** The next time extension of the reader's own, one period from now (time-extension.ts). */
  #armExtension(): void {
    this.#disarmExtension();
    const scheduler = this.#context.scheduler;
    this.#extensionTimer = scheduler.at(scheduler.now() + this.#extensionPeriodNs, this.#extensionDue);
  }

  #disarmExtension(): void {
    if (this.#extensionTimer === null) return;
    this.#context.scheduler.cancel(this.#extensionTimer);
    this.#extensionTimer = null;
  }

  #errorCode(error: SlotError): number {
    // abData is no APDU: a length error, so bError is the offset of dwLength (§6.2.6), as for a message.
    return error === 'BAD_APDU_LENGTH' ? Offset.dwLength : SlotErrorCode[error];
  }

  #iccStatus(): IccStatus {
    const slot = this.#slot;
    if (!slot.present) return IccStatus.absent;
    const state = slot.attributes.state;
    return state === 'POWERED' || state === 'NEGOTIABLE' || state === 'SPECIFIC' ? IccStatus.active : IccStatus.inactive;
  }

  #clockStatus(): number {
    const attributes = this.#slot.attributes;
    if (!attributes.clockStopped) return ClockStatus.running;
    return attributes.clockStop === 'high' ? ClockStatus.stoppedHigh : ClockStatus.stoppedLow;
  }

  #dataBlock(bSeq: number, command: CommandStatus, bError: number, chain: number, data: Uint8Array | null): void {
    this.#encode(MessageCode.RDR_to_PC_DataBlock, bSeq, command, bError, chain, data);
  }

  #slotStatus(bSeq: number, command: CommandStatus, bError: number): void {
    this.#encode(MessageCode.RDR_to_PC_SlotStatus, bSeq, command, bError, this.#clockStatus(), null);
  }

  #encode(code: number, bSeq: number, command: CommandStatus, bError: number, b9: number, data: Uint8Array | null, icc = this.#iccStatus()): void {
    const buffer = this.#queue.replyBuffer(this.#index);
    const length = encodeRdrToPc(buffer, code, this.#index, bSeq, bStatus(icc, command), bError, b9, data);
    if (command === CommandStatus.failed) this.#traceError(code, bSeq, bError);
    this.#queue.commit(this.#index, length);
  }

  /** The reply to `command` through the slot's own buffer, with an explicit ICC status. */
  #reply(command: PC_to_RDR_Name, bSeq: number, status: CommandStatus, bError: number, icc: IccStatus): void {
    const code = ResponseCode[command];
    const b9 = code === MessageCode.RDR_to_PC_Parameters ? this.#parameters.protocol : 0;
    this.#encode(code, bSeq, status, bError, b9, null, icc);
  }

  /** A short answer that leaves the slot's state alone (busy, aborted, unknown, malformed). */
  #short(message: PC_to_RDR_Command | UnknownMessage | MalformedMessage, command: CommandStatus, bError: number): void {
    const name = message.type === 'Unknown' ? null : message.type === 'Malformed' ? message.command : message.type;
    this.#shortReply(name, message.bSeq, command, bError, this.#iccStatus());
  }

  #shortReply(name: PC_to_RDR_Name | null, bSeq: number, command: CommandStatus, bError: number, icc: IccStatus): void {
    shortReply(this.#queue, this.#index, name, bSeq, bStatus(icc, command), bError);
    if (command === CommandStatus.failed) this.#traceError(name === null ? MessageCode.RDR_to_PC_SlotStatus : ResponseCode[name], bSeq, bError);
  }

  #trace(name: string, bSeq: number): void {
    const trace = this.#context.trace;
    if (trace.mask & TraceCategory.CCID) trace.log(TraceCategory.CCID, `slot ${this.#index} ${name} bSeq ${bSeq}`);
  }

  #traceError(code: number, bSeq: number, bError: number): void {
    const trace = this.#context.trace;
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
