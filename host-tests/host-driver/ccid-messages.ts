/**
 * The host side of the CCID bulk and interrupt protocol (CCID Rev 1.1 §6.1, §6.2, §6.3), written
 * independently of the firmware's class so each checks the other, as libccid and a reader do: the
 * message layouts below are a second, declarative reading of the specification's tables, sharing no
 * constant or code with firmware/ccid. Pure codecs, no I/O, no Node API (scenarios run it in XS).
 * The raw layer, for the host driver; typed-messages.ts names each message after the specification.
 */

/** PC_to_RDR message types (§6.1 Table 6.1-1). */
export const PC_to_RDR = Object.freeze({
  SetParameters: 0x61,
  IccPowerOn: 0x62,
  IccPowerOff: 0x63,
  GetSlotStatus: 0x65,
  Secure: 0x69,
  T0APDU: 0x6a,
  Escape: 0x6b,
  GetParameters: 0x6c,
  ResetParameters: 0x6d,
  IccClock: 0x6e,
  XfrBlock: 0x6f,
  Mechanical: 0x71,
  Abort: 0x72,
  SetDataRateAndClockFrequency: 0x73,
} as const);

/** RDR_to_PC message types: bulk IN (§6.2 Table 6.2-1) and interrupt IN (§6.3 Table 6.3-1). */
export const RDR_to_PC = Object.freeze({
  DataBlock: 0x80,
  SlotStatus: 0x81,
  Parameters: 0x82,
  Escape: 0x83,
  DataRateAndClockFrequency: 0x84,
  NotifySlotChange: 0x50,
  HardwareError: 0x51,
} as const);

/** wLevelParameter / bChainParameter at the extended APDU level (§6.1.4, §6.2.1). */
export const Chain = Object.freeze({
  whole: 0x00,
  begins: 0x01,
  ends: 0x02,
  continues: 0x03,
  more: 0x10,
} as const);

/** bError values when bmCommandStatus is 1 (§6.2.6 Table 6.2-2), by name; `sim --json` prints the names. */
export const BError = Object.freeze({
  CMD_ABORTED: 0xff,
  ICC_MUTE: 0xfe,
  XFR_PARITY_ERROR: 0xfd,
  XFR_OVERRUN: 0xfc,
  HW_ERROR: 0xfb,
  BAD_ATR_TS: 0xf8,
  BAD_ATR_TCK: 0xf7,
  ICC_PROTOCOL_NOT_SUPPORTED: 0xf6,
  ICC_CLASS_NOT_SUPPORTED: 0xf5,
  PROCEDURE_BYTE_CONFLICT: 0xf4,
  DEACTIVATED_PROTOCOL: 0xf3,
  BUSY_WITH_AUTO_SEQUENCE: 0xf2,
  PIN_TIMEOUT: 0xf0,
  PIN_CANCELLED: 0xef,
  CMD_SLOT_BUSY: 0xe0,
  CMD_NOT_SUPPORTED: 0x00,
} as const);

const ERROR_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(BError).map(([name, code]) => [code, name])),
);

/** bStatus (§6.2.6): bmCommandStatus in bits 7–6, bmICCStatus in bits 1–0, as numbers. */
export const CommandStatusCode = Object.freeze({ ok: 0, failed: 1, timeExtension: 2 } as const);
export const IccStatusCode = Object.freeze({ active: 0, inactive: 1, absent: 2 } as const);

/** Class-specific requests (§5.3 Table 5.3-1), bRequest. */
export const ClassRequest = Object.freeze({ ABORT: 0x01, GET_CLOCK_FREQUENCIES: 0x02, GET_DATA_RATES: 0x03 } as const);

/** dwFeatures bits of the class descriptor (§5.1 Table 5.1-1) the host reads. */
export const Feature = Object.freeze({
  autoConfigFromAtr: 0x02,
  autoActivation: 0x04,
  autoVoltage: 0x08,
  autoClock: 0x10,
  autoBaud: 0x20,
  autoParameterNegotiation: 0x40,
  autoPps: 0x80,
  clockStop: 0x100,
  nad: 0x200,
  autoIfsd: 0x400,
  levelTpdu: 0x10000,
  levelShortApdu: 0x20000,
  levelExtendedApdu: 0x40000,
} as const);

/**
 * The bError name; 0x01–0x7F name the offending header field's offset, e.g. BAD_FIELD_OFFSET_1
 * (dwLength): at the APDU levels an XfrBlock whose abData is no command APDU (too short, or lengths
 * that do not add up), refused before anything reaches the card, on T=0 and T=1 alike.
 */
export function errorName(bError: number): string {
  return ERROR_NAMES[bError] ?? (bError >= 0x01 && bError <= 0x7f ? `BAD_FIELD_OFFSET_${bError}` : `ERROR_0x${bError.toString(16).toUpperCase()}`);
}

export const HEADER_LENGTH = 10;

/** Offsets of the header fields of an RDR_to_PC bulk message (§6.2), for reading one in place. */
export const Reply = Object.freeze({
  bMessageType: 0,
  dwLength: 1,
  bSlot: 5,
  bSeq: 6,
  bStatus: 7,
  bError: 8,
  /** bChainParameter, bClockStatus or bProtocolNum. */
  bChainParameter: 9,
} as const);

/** Encode one PC_to_RDR message: 10-byte header (§6.1) then data. */
export function encodeCommand(type: number, slot: number, seq: number, specific: readonly [number, number, number], data?: Uint8Array): Uint8Array {
  const length = data?.length ?? 0;
  const out = new Uint8Array(HEADER_LENGTH + length);
  out[0] = type;
  out[1] = length & 0xff;
  out[2] = (length >>> 8) & 0xff;
  out[3] = (length >>> 16) & 0xff;
  out[4] = (length >>> 24) & 0xff;
  out[5] = slot;
  out[6] = seq;
  out[7] = specific[0];
  out[8] = specific[1];
  out[9] = specific[2];
  if (data) out.set(data, HEADER_LENGTH);
  return out;
}

/** bmICCStatus (§6.2.6): 0 present and active, 1 present and inactive, 2 absent. */
export type IccStatus = 'active' | 'inactive' | 'absent' | 'rfu';
/** bmCommandStatus: 0 ok, 1 failed, 2 time extension requested. */
export type CommandStatus = 'ok' | 'failed' | 'time-extension' | 'rfu';

export interface RdrMessage {
  type: number;
  slot: number;
  seq: number;
  iccStatus: IccStatus;
  commandStatus: CommandStatus;
  bError: number;
  /** The third specific byte: bChainParameter, bClockStatus or bProtocolNum. */
  specific: number;
  data: Uint8Array;
}

const ICC_STATUS: readonly IccStatus[] = Object.freeze(['active', 'inactive', 'absent', 'rfu'] as IccStatus[]);
const COMMAND_STATUS: readonly CommandStatus[] = Object.freeze(['ok', 'failed', 'time-extension', 'rfu'] as CommandStatus[]);

/** Decode one RDR_to_PC message; a string says why it is malformed. */
export function decodeResponse(bytes: Uint8Array): RdrMessage | string {
  if (bytes.length < HEADER_LENGTH) return `RDR_to_PC message of ${bytes.length} bytes, shorter than the header`;
  const length = dword(bytes, 1);
  if (bytes.length !== HEADER_LENGTH + length) return `dwLength ${length} but ${bytes.length - HEADER_LENGTH} data bytes`;
  const status = bytes[7];
  return {
    type: bytes[0],
    slot: bytes[5],
    seq: bytes[6],
    iccStatus: ICC_STATUS[status & 0x03],
    commandStatus: COMMAND_STATUS[status >> 6],
    bError: bytes[8],
    specific: bytes[9],
    data: bytes.slice(HEADER_LENGTH),
  };
}

/** The CCID class descriptor fields the host needs (§5.1, offsets in the 54-byte descriptor). */
export interface CcidClassDescriptor {
  dwProtocols: number;
  dwDefaultClock: number;
  dwMaximumClock: number;
  dwFeatures: number;
  dwMaxCCIDMessageLength: number;
  bMaxSlotIndex: number;
}

/** Exchange level from dwFeatures (§5.1): what the host must do itself. */
export type ExchangeLevel = 'character' | 'tpdu' | 'short-apdu' | 'extended-apdu';

export function exchangeLevel(dwFeatures: number): ExchangeLevel {
  if (dwFeatures & 0x40000) return 'extended-apdu';
  if (dwFeatures & 0x20000) return 'short-apdu';
  if (dwFeatures & 0x10000) return 'tpdu';
  return 'character';
}

/** A little-endian dword (every CCID multi-byte field is little-endian). */
export function dword(b: Uint8Array, offset: number): number {
  return (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16) | (b[offset + 3] << 24)) >>> 0;
}

/** Find the class descriptor (type 0x21, 54 bytes) in a configuration descriptor set. */
export function findClassDescriptor(configuration: Uint8Array): CcidClassDescriptor | null {
  for (let i = 0; i + 1 < configuration.length && configuration[i] > 0; i += configuration[i]) {
    if (configuration[i + 1] === 0x21 && configuration[i] === 0x36 && i + 0x36 <= configuration.length) {
      const d = configuration.subarray(i, i + 0x36);
      return {
        bMaxSlotIndex: d[4],
        dwProtocols: dword(d, 6),
        dwDefaultClock: dword(d, 10),
        dwMaximumClock: dword(d, 14),
        dwFeatures: dword(d, 40),
        dwMaxCCIDMessageLength: dword(d, 44),
      };
    }
  }
  return null;
}
