/**
 * CCID Rev 1.1 §6 message codecs, the reader's side: PC_to_RDR commands decoded, RDR_to_PC replies
 * and interrupts encoded (the host's side lives with the host, in host-tests). Pure: bytes in, typed
 * record out; encoders write into the caller's buffer and return the length written. Decoding is total: any byte string gives a value
 * (an unknown or malformed message still carries its bSlot and bSeq so a reply can echo them).
 * `abData` / `abProtocolData` / `bmSlotICCState` in decoded records are views into the input.
 */
import { HEADER_LENGTH, MessageCode, Offset } from './constants.js';

interface Header {
  readonly bSlot: number;
  readonly bSeq: number;
}

/** §6.1.1 */
export interface PC_to_RDR_IccPowerOn extends Header { readonly type: 'PC_to_RDR_IccPowerOn'; readonly bPowerSelect: number }
/** §6.1.2 */
export interface PC_to_RDR_IccPowerOff extends Header { readonly type: 'PC_to_RDR_IccPowerOff' }
/** §6.1.3 */
export interface PC_to_RDR_GetSlotStatus extends Header { readonly type: 'PC_to_RDR_GetSlotStatus' }
/** §6.1.4 */
export interface PC_to_RDR_XfrBlock extends Header {
  readonly type: 'PC_to_RDR_XfrBlock';
  readonly bBWI: number;
  readonly wLevelParameter: number;
  readonly abData: Uint8Array;
}
/** §6.1.5 */
export interface PC_to_RDR_GetParameters extends Header { readonly type: 'PC_to_RDR_GetParameters' }
/** §6.1.6 */
export interface PC_to_RDR_ResetParameters extends Header { readonly type: 'PC_to_RDR_ResetParameters' }
/** §6.1.7 */
export interface PC_to_RDR_SetParameters extends Header {
  readonly type: 'PC_to_RDR_SetParameters';
  readonly bProtocolNum: number;
  readonly abProtocolData: Uint8Array;
}
/** §6.1.8 */
export interface PC_to_RDR_Escape extends Header { readonly type: 'PC_to_RDR_Escape'; readonly abData: Uint8Array }
/** §6.1.9 */
export interface PC_to_RDR_IccClock extends Header { readonly type: 'PC_to_RDR_IccClock'; readonly bClockCommand: number }
/** §6.1.10 */
export interface PC_to_RDR_T0APDU extends Header {
  readonly type: 'PC_to_RDR_T0APDU';
  readonly bmChanges: number;
  readonly bClassGetResponse: number;
  readonly bClassEnvelope: number;
}
/** §6.1.11 */
export interface PC_to_RDR_Secure extends Header {
  readonly type: 'PC_to_RDR_Secure';
  readonly bBWI: number;
  readonly wLevelParameter: number;
  readonly abData: Uint8Array;
}
/** §6.1.12 */
export interface PC_to_RDR_Mechanical extends Header { readonly type: 'PC_to_RDR_Mechanical'; readonly bFunction: number }
/** §6.1.13 */
export interface PC_to_RDR_Abort extends Header { readonly type: 'PC_to_RDR_Abort' }
/** §6.1.14 */
export interface PC_to_RDR_SetDataRateAndClockFrequency extends Header {
  readonly type: 'PC_to_RDR_SetDataRateAndClockFrequency';
  readonly dwClockFrequency: number;
  readonly dwDataRate: number;
}

export type PC_to_RDR_Command =
  | PC_to_RDR_IccPowerOn
  | PC_to_RDR_IccPowerOff
  | PC_to_RDR_GetSlotStatus
  | PC_to_RDR_XfrBlock
  | PC_to_RDR_GetParameters
  | PC_to_RDR_ResetParameters
  | PC_to_RDR_SetParameters
  | PC_to_RDR_Escape
  | PC_to_RDR_IccClock
  | PC_to_RDR_T0APDU
  | PC_to_RDR_Secure
  | PC_to_RDR_Mechanical
  | PC_to_RDR_Abort
  | PC_to_RDR_SetDataRateAndClockFrequency;

export type PC_to_RDR_Name = PC_to_RDR_Command['type'];

/** A bMessageType that §6.1 does not define: answered with SlotStatus, failed, bError 0. */
export interface UnknownMessage extends Header { readonly type: 'Unknown'; readonly bMessageType: number }
/** A known command whose dwLength does not fit it: answered with its own response type, failed, bError = `bError`. */
export interface MalformedMessage extends Header {
  readonly type: 'Malformed';
  readonly command: PC_to_RDR_Name;
  readonly bError: number;
}
/** Fewer bytes than a header: nothing to answer to (a documented silent drop). */
export interface TruncatedMessage { readonly type: 'Truncated'; readonly length: number }

export type PC_to_RDR = PC_to_RDR_Command | UnknownMessage | MalformedMessage | TruncatedMessage;

/** The bulk IN message type that answers each command (§6.1 Table 6.1-1 "response"). */
export const ResponseCode: Readonly<Record<PC_to_RDR_Name, number>> = Object.freeze({
  PC_to_RDR_IccPowerOn: MessageCode.RDR_to_PC_DataBlock,
  PC_to_RDR_IccPowerOff: MessageCode.RDR_to_PC_SlotStatus,
  PC_to_RDR_GetSlotStatus: MessageCode.RDR_to_PC_SlotStatus,
  PC_to_RDR_XfrBlock: MessageCode.RDR_to_PC_DataBlock,
  PC_to_RDR_GetParameters: MessageCode.RDR_to_PC_Parameters,
  PC_to_RDR_ResetParameters: MessageCode.RDR_to_PC_Parameters,
  PC_to_RDR_SetParameters: MessageCode.RDR_to_PC_Parameters,
  PC_to_RDR_Escape: MessageCode.RDR_to_PC_Escape,
  PC_to_RDR_IccClock: MessageCode.RDR_to_PC_SlotStatus,
  PC_to_RDR_T0APDU: MessageCode.RDR_to_PC_SlotStatus,
  PC_to_RDR_Secure: MessageCode.RDR_to_PC_DataBlock,
  PC_to_RDR_Mechanical: MessageCode.RDR_to_PC_SlotStatus,
  PC_to_RDR_Abort: MessageCode.RDR_to_PC_SlotStatus,
  PC_to_RDR_SetDataRateAndClockFrequency: MessageCode.RDR_to_PC_DataRateAndClockFrequency,
});

const NAME_BY_CODE: Readonly<Record<number, PC_to_RDR_Name>> = Object.freeze({
  [MessageCode.PC_to_RDR_IccPowerOn]: 'PC_to_RDR_IccPowerOn',
  [MessageCode.PC_to_RDR_IccPowerOff]: 'PC_to_RDR_IccPowerOff',
  [MessageCode.PC_to_RDR_GetSlotStatus]: 'PC_to_RDR_GetSlotStatus',
  [MessageCode.PC_to_RDR_XfrBlock]: 'PC_to_RDR_XfrBlock',
  [MessageCode.PC_to_RDR_GetParameters]: 'PC_to_RDR_GetParameters',
  [MessageCode.PC_to_RDR_ResetParameters]: 'PC_to_RDR_ResetParameters',
  [MessageCode.PC_to_RDR_SetParameters]: 'PC_to_RDR_SetParameters',
  [MessageCode.PC_to_RDR_Escape]: 'PC_to_RDR_Escape',
  [MessageCode.PC_to_RDR_IccClock]: 'PC_to_RDR_IccClock',
  [MessageCode.PC_to_RDR_T0APDU]: 'PC_to_RDR_T0APDU',
  [MessageCode.PC_to_RDR_Secure]: 'PC_to_RDR_Secure',
  [MessageCode.PC_to_RDR_Mechanical]: 'PC_to_RDR_Mechanical',
  [MessageCode.PC_to_RDR_Abort]: 'PC_to_RDR_Abort',
  [MessageCode.PC_to_RDR_SetDataRateAndClockFrequency]: 'PC_to_RDR_SetDataRateAndClockFrequency',
});

/** Commands that carry no abData: §6.1 requires dwLength = 0 for them (a lookup, read per message). */
const NO_DATA: Readonly<Partial<Record<PC_to_RDR_Name, true>>> = Object.freeze({
  PC_to_RDR_IccPowerOn: true,
  PC_to_RDR_IccPowerOff: true,
  PC_to_RDR_GetSlotStatus: true,
  PC_to_RDR_GetParameters: true,
  PC_to_RDR_ResetParameters: true,
  PC_to_RDR_IccClock: true,
  PC_to_RDR_T0APDU: true,
  PC_to_RDR_Mechanical: true,
  PC_to_RDR_Abort: true,
});

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

export function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = (value >>> 24) & 0xff;
}

/** The dwLength a header announces (for reassembly); `bytes` holds at least 5 bytes. */
export function announcedLength(bytes: Uint8Array): number {
  return readU32(bytes, Offset.dwLength);
}

/** Decode one whole bulk OUT message (§6.1): header plus exactly dwLength bytes. */
export function decodePcToRdr(bytes: Uint8Array): PC_to_RDR {
  if (bytes.length < HEADER_LENGTH) return { type: 'Truncated', length: bytes.length };
  const bSlot = bytes[Offset.bSlot];
  const bSeq = bytes[Offset.bSeq];
  const name = NAME_BY_CODE[bytes[0]];
  if (name === undefined) return { type: 'Unknown', bMessageType: bytes[0], bSlot, bSeq };
  const dwLength = (bytes[1] | (bytes[2] << 8) | (bytes[3] << 16) | (bytes[4] << 24)) >>> 0;
  const dataLength = bytes.length - HEADER_LENGTH;
  const malformed = dwLength !== dataLength
    || (NO_DATA[name] === true && dwLength !== 0)
    || (name === 'PC_to_RDR_SetDataRateAndClockFrequency' && dwLength !== 8);
  if (malformed) return { type: 'Malformed', command: name, bSlot, bSeq, bError: Offset.dwLength };
  const b7 = bytes[7];
  const abData = bytes.subarray(HEADER_LENGTH);
  switch (name) {
    case 'PC_to_RDR_IccPowerOn':
      return { type: name, bSlot, bSeq, bPowerSelect: b7 };
    case 'PC_to_RDR_XfrBlock':
    case 'PC_to_RDR_Secure':
      return { type: name, bSlot, bSeq, bBWI: b7, wLevelParameter: bytes[8] | (bytes[9] << 8), abData };
    case 'PC_to_RDR_SetParameters':
      return { type: name, bSlot, bSeq, bProtocolNum: b7, abProtocolData: abData };
    case 'PC_to_RDR_Escape':
      return { type: name, bSlot, bSeq, abData };
    case 'PC_to_RDR_IccClock':
      return { type: name, bSlot, bSeq, bClockCommand: b7 };
    case 'PC_to_RDR_T0APDU':
      return { type: name, bSlot, bSeq, bmChanges: b7, bClassGetResponse: bytes[8], bClassEnvelope: bytes[9] };
    case 'PC_to_RDR_Mechanical':
      return { type: name, bSlot, bSeq, bFunction: b7 };
    case 'PC_to_RDR_SetDataRateAndClockFrequency':
      return { type: name, bSlot, bSeq, dwClockFrequency: readU32(bytes, 10), dwDataRate: readU32(bytes, 14) };
    default:
      return { type: name, bSlot, bSeq } as PC_to_RDR_Command;
  }
}

function header(out: Uint8Array, code: number, dataLength: number, bSlot: number, bSeq: number): void {
  out[0] = code;
  writeU32(out, Offset.dwLength, dataLength);
  out[Offset.bSlot] = bSlot;
  out[Offset.bSeq] = bSeq;
}

/**
 * Encode a bulk IN message (§6.2): `code` is one of the RDR_to_PC types, `b9` its third specific
 * byte (bChainParameter, bClockStatus, bProtocolNum or RFU), `data` copied after the header.
 */
export function encodeRdrToPc(
  out: Uint8Array,
  code: number,
  bSlot: number,
  bSeq: number,
  bStatus: number,
  bError: number,
  b9: number,
  data: Uint8Array | null,
): number {
  const length = data === null ? 0 : data.length;
  out[0] = code;
  out[1] = length & 0xff;
  out[2] = (length >>> 8) & 0xff;
  out[3] = (length >>> 16) & 0xff;
  out[4] = (length >>> 24) & 0xff;
  out[5] = bSlot;
  out[6] = bSeq;
  out[7] = bStatus;
  out[8] = bError;
  out[9] = b9;
  if (data !== null) out.set(data, HEADER_LENGTH);
  return HEADER_LENGTH + length;
}

/** §6.2.5 RDR_to_PC_DataRateAndClockFrequency. */
export function encodeDataRateAndClockFrequency(
  out: Uint8Array,
  bSlot: number,
  bSeq: number,
  bStatus: number,
  bError: number,
  dwClockFrequency: number,
  dwDataRate: number,
): number {
  header(out, MessageCode.RDR_to_PC_DataRateAndClockFrequency, 8, bSlot, bSeq);
  out[7] = bStatus;
  out[8] = bError;
  out[9] = 0;
  writeU32(out, 10, dwClockFrequency);
  writeU32(out, 14, dwDataRate);
  return HEADER_LENGTH + 8;
}

/**
 * §6.3.1 RDR_to_PC_NotifySlotChange: two bits per slot (b0 ICC present, b1 changed), slot 0 in the
 * low bits, padded to whole bytes.
 */
export function encodeNotifySlotChange(out: Uint8Array, slotCount: number, present: number, changed: number): number {
  const bytes = (slotCount + 3) >> 2;
  out[0] = MessageCode.RDR_to_PC_NotifySlotChange;
  for (let i = 0; i < bytes; i++) out[1 + i] = 0;
  for (let slot = 0; slot < slotCount; slot++) {
    const bits = ((present >> slot) & 1) | (((changed >> slot) & 1) << 1);
    out[1 + (slot >> 2)] |= bits << ((slot & 3) * 2);
  }
  return 1 + bytes;
}

/** §6.3.2 RDR_to_PC_HardwareError: bSlot, bSeq of the command in progress (or last), bHardwareErrorCode. */
export function encodeHardwareError(out: Uint8Array, bSlot: number, bSeq: number, bHardwareErrorCode: number): number {
  out[0] = MessageCode.RDR_to_PC_HardwareError;
  out[1] = bSlot;
  out[2] = bSeq;
  out[3] = bHardwareErrorCode;
  return 4;
}
