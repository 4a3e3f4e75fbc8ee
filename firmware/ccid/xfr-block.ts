/**
 * CCID Rev 1.1 §6.1.4 PC_to_RDR_XfrBlock for one slot, at the exchange level the reader advertises
 * (§5.1 dwFeatures): a TPDU or a short APDU in one message each way; at the extended APDU level,
 * command chaining in wLevelParameter and response chaining in bChainParameter (§6.2.1), with the
 * pieces kept in buffers sized at construction. While the card works, the reader's time extensions
 * (time-extension.ts) keep the host waiting.
 */
import type { Slot, TransmitResult } from '../../hal/interfaces/slot.js';
import { waitingTimeNs } from '../iso7816/timing.js';
import { Chain, CommandStatus, IccStatus, Offset, SlotErrorCode } from './constants.js';
import type { ExchangeLevel } from './descriptors.js';
import type { Phase, SlotCycle } from './slot-cycle.js';
import type { SlotReplies } from './slot-replies.js';
import type { TimeExtensions } from './time-extension.js';

export class XfrBlock {
  readonly #slot: Slot;
  readonly #cycle: SlotCycle;
  readonly #replies: SlotReplies;
  readonly #extensions: TimeExtensions;
  readonly #level: ExchangeLevel;
  /** The most abData one message carries (dwMaxCCIDMessageLength − 10). */
  readonly #maxData: number;
  /** Command APDU / TPDU buffer: a copy of abData (the bulk OUT buffer is reused at once). */
  readonly #command: Uint8Array;
  /** Phase commandChain: bytes of the chained command APDU so far. */
  #commandLength = 0;
  /** Phase responseChain: the response being sent in pieces, and how far. */
  #response: Uint8Array | null = null;
  #responseOffset = 0;

  constructor(slot: Slot, cycle: SlotCycle, replies: SlotReplies, extensions: TimeExtensions, level: ExchangeLevel, maxData: number, maxApduLength: number) {
    this.#slot = slot;
    this.#cycle = cycle;
    this.#replies = replies;
    this.#extensions = extensions;
    this.#level = level;
    this.#maxData = maxData;
    this.#command = new Uint8Array(maxApduLength);
  }

  /** The slot left `phase`: a chain's data goes with it. */
  left(phase: Phase): void {
    if (phase === 'commandChain') this.#commandLength = 0;
    if (phase === 'responseChain') this.#response = null;
  }

  /** One PC_to_RDR_XfrBlock. */
  run(bSeq: number, bBWI: number, wLevelParameter: number, abData: Uint8Array): void {
    const cycle = this.#cycle;
    if (this.#level === 'extended-apdu') {
      switch (wLevelParameter) {
        case Chain.whole:
          cycle.resetChains();
          break;
        case Chain.begins:
          cycle.resetChains();
          return this.#appendCommand(bSeq, abData, false);
        case Chain.continues:
        case Chain.ends:
          if (cycle.phase !== 'commandChain') return this.#failChain(bSeq);
          return this.#appendCommand(bSeq, abData, wLevelParameter === Chain.ends);
        case Chain.more:
          if (cycle.phase !== 'responseChain') return this.#failChain(bSeq);
          return this.#sendResponsePiece(bSeq);
        default:
          return this.#failChain(bSeq);
      }
    }
    if (abData.length > this.#command.length) {
      return this.#replies.dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.XFR_OVERRUN, Chain.whole, null);
    }
    this.#command.set(abData);
    this.#transmit(bSeq, bBWI, abData.length);
  }

  #failChain(bSeq: number): void {
    this.#cycle.resetChains();
    this.#replies.dataBlock(bSeq, CommandStatus.failed, Offset.wLevelParameter, Chain.whole, null);
  }

  /** Extended APDU level command chaining: keep the piece; ask for more or send the whole APDU. */
  #appendCommand(bSeq: number, abData: Uint8Array, last: boolean): void {
    const cycle = this.#cycle;
    const length = cycle.phase === 'commandChain' ? this.#commandLength : 0;
    if (length + abData.length > this.#command.length) {
      cycle.resetChains();
      return this.#replies.dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.XFR_OVERRUN, Chain.whole, null);
    }
    this.#command.set(abData, length);
    if (!last) {
      cycle.enter('commandChain');
      this.#commandLength = length + abData.length;
      return this.#replies.dataBlock(bSeq, CommandStatus.ok, 0, Chain.more, null);
    }
    this.#transmit(bSeq, 0, length + abData.length);
  }

  #transmit(bSeq: number, bBWI: number, length: number): void {
    const cycle = this.#cycle;
    const replies = this.#replies;
    const slot = this.#slot;
    if (replies.iccStatus() !== IccStatus.active) {
      // A card command needs a powered card: fail with ICC_MUTE and the ICC status saying why.
      replies.dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.ICC_MUTE, Chain.whole, null);
      cycle.resetChains();
      return;
    }
    const token = cycle.start('PC_to_RDR_XfrBlock', bSeq);
    this.#extensions.start(slot.waitingTimeNs ?? waitingTimeNs(slot.attributes));
    const extended = this.#level === 'extended-apdu';
    const done = (result: TransmitResult): void => {
      const response = result.error === null ? result.response : null;
      const chained = extended && response !== null && response.length > this.#maxData;
      if (!cycle.settle(token, chained ? 'responseChain' : 'idle')) return;
      if (response === null) {
        return replies.dataBlock(bSeq, CommandStatus.failed, replies.errorCode(result.error ?? 'HW_ERROR'), Chain.whole, null);
      }
      if (chained) {
        this.#response = response;
        this.#responseOffset = 0;
        return this.#sendResponsePiece(bSeq);
      }
      // Short APDU and TPDU levels: one DataBlock, or nothing (§6.1.4).
      if (response.length > this.#maxData) {
        return replies.dataBlock(bSeq, CommandStatus.failed, SlotErrorCode.XFR_OVERRUN, Chain.whole, null);
      }
      replies.dataBlock(bSeq, CommandStatus.ok, 0, Chain.whole, response);
    };
    const waiting = (multiplier: number): void => {
      if (cycle.current(token)) this.#extensions.extend(multiplier);
    };
    const command = this.#command.subarray(0, length);
    if (this.#level === 'tpdu' && slot.transmitTpdu !== undefined) {
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
    if (last) this.#cycle.enter('idle');
    this.#replies.dataBlock(bSeq, CommandStatus.ok, 0, chain, response.subarray(offset, offset + n));
  }
}
