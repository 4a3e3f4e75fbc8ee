/**
 * CCID messages as typed records named after the specification (CCID Rev 1.1 §6), for tests that
 * drive the firmware's class from the host's side: commands encoded, replies and interrupts decoded,
 * independently of firmware/ccid (built on the raw layer in ccid-messages.ts). Decoding is total and
 * strict: whatever the specification does not allow a reader to send is `Invalid`, with the reason.
 * No Node API (scenarios run it in XS).
 */
import { dword, encodeCommand, HEADER_LENGTH, PC_to_RDR, RDR_to_PC } from './ccid-messages.js';

interface Header {
  readonly bSlot: number;
  readonly bSeq: number;
}

/** §6.1.1 … §6.1.14, the fields each command carries besides its header. */
export type PC_to_RDR_Command = Header & (
  | { readonly type: 'PC_to_RDR_IccPowerOn'; readonly bPowerSelect: number }
  | { readonly type: 'PC_to_RDR_IccPowerOff' }
  | { readonly type: 'PC_to_RDR_GetSlotStatus' }
  | { readonly type: 'PC_to_RDR_XfrBlock'; readonly bBWI: number; readonly wLevelParameter: number; readonly abData: Uint8Array }
  | { readonly type: 'PC_to_RDR_GetParameters' }
  | { readonly type: 'PC_to_RDR_ResetParameters' }
  | { readonly type: 'PC_to_RDR_SetParameters'; readonly bProtocolNum: number; readonly abProtocolData: Uint8Array }
  | { readonly type: 'PC_to_RDR_Escape'; readonly abData: Uint8Array }
  | { readonly type: 'PC_to_RDR_IccClock'; readonly bClockCommand: number }
  | { readonly type: 'PC_to_RDR_T0APDU'; readonly bmChanges: number; readonly bClassGetResponse: number; readonly bClassEnvelope: number }
  | { readonly type: 'PC_to_RDR_Secure'; readonly bBWI: number; readonly wLevelParameter: number; readonly abData: Uint8Array }
  | { readonly type: 'PC_to_RDR_Mechanical'; readonly bFunction: number }
  | { readonly type: 'PC_to_RDR_Abort' }
  | { readonly type: 'PC_to_RDR_SetDataRateAndClockFrequency'; readonly dwClockFrequency: number; readonly dwDataRate: number }
);

function dwordBytes(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** Encode one command: its bMessageType, three message-specific header bytes, then its data. */
export function encodePcToRdr(m: PC_to_RDR_Command): Uint8Array {
  const code = PC_to_RDR[m.type.slice('PC_to_RDR_'.length) as keyof typeof PC_to_RDR];
  const send = (specific: readonly [number, number, number], data?: Uint8Array) => encodeCommand(code, m.bSlot, m.bSeq, specific, data);
  switch (m.type) {
    case 'PC_to_RDR_IccPowerOn': return send([m.bPowerSelect, 0, 0]);
    case 'PC_to_RDR_XfrBlock':
    case 'PC_to_RDR_Secure': return send([m.bBWI, m.wLevelParameter & 0xff, (m.wLevelParameter >> 8) & 0xff], m.abData);
    case 'PC_to_RDR_SetParameters': return send([m.bProtocolNum, 0, 0], m.abProtocolData);
    case 'PC_to_RDR_Escape': return send([0, 0, 0], m.abData);
    case 'PC_to_RDR_IccClock': return send([m.bClockCommand, 0, 0]);
    case 'PC_to_RDR_T0APDU': return send([m.bmChanges, m.bClassGetResponse, m.bClassEnvelope]);
    case 'PC_to_RDR_Mechanical': return send([m.bFunction, 0, 0]);
    case 'PC_to_RDR_SetDataRateAndClockFrequency':
      return send([0, 0, 0], Uint8Array.from([...dwordBytes(m.dwClockFrequency), ...dwordBytes(m.dwDataRate)]));
    default: return send([0, 0, 0]);
  }
}

interface ReplyHeader extends Header {
  readonly bStatus: number;
  readonly bError: number;
}

/** §6.2.1 */
export interface RDR_to_PC_DataBlock extends ReplyHeader { readonly type: 'RDR_to_PC_DataBlock'; readonly bChainParameter: number; readonly abData: Uint8Array }
/** §6.2.2 */
export interface RDR_to_PC_SlotStatus extends ReplyHeader { readonly type: 'RDR_to_PC_SlotStatus'; readonly bClockStatus: number }
/** §6.2.3 */
export interface RDR_to_PC_Parameters extends ReplyHeader { readonly type: 'RDR_to_PC_Parameters'; readonly bProtocolNum: number; readonly abProtocolData: Uint8Array }
/** §6.2.4 */
export interface RDR_to_PC_Escape extends ReplyHeader { readonly type: 'RDR_to_PC_Escape'; readonly abData: Uint8Array }
/** §6.2.5 */
export interface RDR_to_PC_DataRateAndClockFrequency extends ReplyHeader {
  readonly type: 'RDR_to_PC_DataRateAndClockFrequency';
  readonly dwClockFrequency: number;
  readonly dwDataRate: number;
}
/** §6.3.1: two bits per slot (b0 present, b1 changed), slot 0 in the low bits of the first byte. */
export interface RDR_to_PC_NotifySlotChange { readonly type: 'RDR_to_PC_NotifySlotChange'; readonly bmSlotICCState: Uint8Array }
/** §6.3.2 */
export interface RDR_to_PC_HardwareError extends Header { readonly type: 'RDR_to_PC_HardwareError'; readonly bHardwareErrorCode: number }
/** Not a message the specification lets a reader send; `reason` says why. */
export interface InvalidReply { readonly type: 'Invalid'; readonly reason: string }

export type RDR_to_PC =
  | RDR_to_PC_DataBlock
  | RDR_to_PC_SlotStatus
  | RDR_to_PC_Parameters
  | RDR_to_PC_Escape
  | RDR_to_PC_DataRateAndClockFrequency
  | InvalidReply;

/** §6.2.3 abProtocolDataStructure length by bProtocolNum: Table 6.2-3 (T=0), Table 6.2-4 (T=1). */
const PROTOCOL_DATA_LENGTH: readonly number[] = Object.freeze([5, 7]);

/**
 * Decode one bulk IN message (§6.2). Invalid: shorter than the header, dwLength not the data's
 * length, a bMessageType that is no bulk reply, RFU bits of bStatus set (§6.2.6: b5–b2 are RFU, and
 * neither status field may take its RFU value 3), SlotStatus with data (§6.2.2: dwLength 0),
 * successful Parameters whose abProtocolData is not the length of its protocol's structure (§6.2.3),
 * DataRateAndClockFrequency without exactly its two dwords (§6.2.5).
 */
export function decodeRdrToPc(bytes: Uint8Array): RDR_to_PC {
  const invalid = (reason: string): InvalidReply => ({ type: 'Invalid', reason });
  if (bytes.length < HEADER_LENGTH) return invalid(`${bytes.length} bytes, shorter than the header`);
  const dwLength = dword(bytes, 1);
  if (dwLength !== bytes.length - HEADER_LENGTH) return invalid(`dwLength ${dwLength} but ${bytes.length - HEADER_LENGTH} data bytes`);
  const bStatus = bytes[7];
  if ((bStatus & 0x3c) !== 0) return invalid(`bStatus 0x${bStatus.toString(16)} has RFU bits set`);
  if ((bStatus & 0x03) === 3 || bStatus >> 6 === 3) return invalid(`bStatus 0x${bStatus.toString(16)} has an RFU status value`);
  const failed = bStatus >> 6 === 1;
  const h = { bSlot: bytes[5], bSeq: bytes[6], bStatus, bError: bytes[8] };
  const b9 = bytes[9];
  const data = bytes.slice(HEADER_LENGTH);
  switch (bytes[0]) {
    case RDR_to_PC.DataBlock:
      return { type: 'RDR_to_PC_DataBlock', ...h, bChainParameter: b9, abData: data };
    case RDR_to_PC.SlotStatus:
      return dwLength === 0 ? { type: 'RDR_to_PC_SlotStatus', ...h, bClockStatus: b9 } : invalid('SlotStatus with data (§6.2.2: dwLength 0)');
    case RDR_to_PC.Parameters:
      if (!failed && PROTOCOL_DATA_LENGTH[b9] !== dwLength) return invalid(`Parameters for protocol ${b9} with ${dwLength} bytes of abProtocolData`);
      return { type: 'RDR_to_PC_Parameters', ...h, bProtocolNum: b9, abProtocolData: data };
    case RDR_to_PC.Escape:
      return { type: 'RDR_to_PC_Escape', ...h, abData: data };
    case RDR_to_PC.DataRateAndClockFrequency:
      return dwLength === 8
        ? { type: 'RDR_to_PC_DataRateAndClockFrequency', ...h, dwClockFrequency: dword(bytes, 10), dwDataRate: dword(bytes, 14) }
        : invalid(`DataRateAndClockFrequency with ${dwLength} data bytes (§6.2.5: 8)`);
    default:
      return invalid(`bMessageType 0x${bytes[0].toString(16)} is no bulk IN message`);
  }
}

/** Decode one interrupt IN message (§6.3). Total: anything else is `Invalid`. */
export function decodeInterrupt(bytes: Uint8Array): RDR_to_PC_NotifySlotChange | RDR_to_PC_HardwareError | InvalidReply {
  if (bytes[0] === RDR_to_PC.NotifySlotChange && bytes.length >= 2) {
    return { type: 'RDR_to_PC_NotifySlotChange', bmSlotICCState: bytes.slice(1) };
  }
  if (bytes[0] === RDR_to_PC.HardwareError && bytes.length === 4) {
    return { type: 'RDR_to_PC_HardwareError', bSlot: bytes[1], bSeq: bytes[2], bHardwareErrorCode: bytes[3] };
  }
  return { type: 'Invalid', reason: `${bytes.length} bytes starting 0x${(bytes[0] ?? 0).toString(16)}: no interrupt message` };
}
