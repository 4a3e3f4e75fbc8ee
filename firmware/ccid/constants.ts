/**
 * Numbers of the USB CCID specification Rev 1.1, each named once here with its clause.
 */
import type { SlotError } from '../../hal/interfaces/slot.js';

/** §6.1 Table 6.1-1 (bulk OUT), §6.2 Table 6.2-1 (bulk IN), §6.3 Table 6.3-1 (interrupt IN). */
export const MessageCode = Object.freeze({
  PC_to_RDR_SetParameters: 0x61,
  PC_to_RDR_IccPowerOn: 0x62,
  PC_to_RDR_IccPowerOff: 0x63,
  PC_to_RDR_GetSlotStatus: 0x65,
  PC_to_RDR_Secure: 0x69,
  PC_to_RDR_T0APDU: 0x6a,
  PC_to_RDR_Escape: 0x6b,
  PC_to_RDR_GetParameters: 0x6c,
  PC_to_RDR_ResetParameters: 0x6d,
  PC_to_RDR_IccClock: 0x6e,
  PC_to_RDR_XfrBlock: 0x6f,
  PC_to_RDR_Mechanical: 0x71,
  PC_to_RDR_Abort: 0x72,
  PC_to_RDR_SetDataRateAndClockFrequency: 0x73,
  RDR_to_PC_DataBlock: 0x80,
  RDR_to_PC_SlotStatus: 0x81,
  RDR_to_PC_Parameters: 0x82,
  RDR_to_PC_Escape: 0x83,
  RDR_to_PC_DataRateAndClockFrequency: 0x84,
  RDR_to_PC_NotifySlotChange: 0x50,
  RDR_to_PC_HardwareError: 0x51,
} as const);

/** §6.1: every bulk message starts with this 10-byte header (bMessageType, dwLength, bSlot, bSeq, 3 bytes). */
export const HEADER_LENGTH = 10;

/** Header offsets; a failed command's bError 0x01–0x7F is the offset of the offending field (§6.2.6). */
export const Offset = Object.freeze({
  dwLength: 1,
  bSlot: 5,
  bSeq: 6,
  /** First message-specific byte (bPowerSelect, bBWI, bProtocolNum, bClockCommand, …). */
  specific: 7,
  /** wLevelParameter of XfrBlock and Secure. */
  wLevelParameter: 8,
  /** First byte of abData / abProtocolData. */
  data: 10,
} as const);

/** §6.2.6 bmICCStatus (bStatus bits 1–0). */
export const IccStatus = Object.freeze({ active: 0, inactive: 1, absent: 2 } as const);
export type IccStatus = (typeof IccStatus)[keyof typeof IccStatus];

/** §6.2.6 bmCommandStatus (bStatus bits 7–6). */
export const CommandStatus = Object.freeze({ ok: 0, failed: 1, timeExtension: 2 } as const);
export type CommandStatus = (typeof CommandStatus)[keyof typeof CommandStatus];

export function bStatus(icc: IccStatus, command: CommandStatus): number {
  return (command << 6) | icc;
}

/** §6.2.6 Table 6.2-2: slot error register values when bmCommandStatus = 1. */
export const SlotErrorCode: Readonly<Record<Exclude<SlotError, 'BAD_APDU_LENGTH'> | 'PIN_TIMEOUT' | 'PIN_CANCELLED' | 'CMD_NOT_SUPPORTED', number>> =
  Object.freeze({
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
  });

/** The bError name for a byte (for traces and `sim --json`); offsets print as `OFFSET_n`. */
export function slotErrorName(bError: number): string {
  for (const name of Object.keys(SlotErrorCode) as (keyof typeof SlotErrorCode)[]) {
    if (SlotErrorCode[name] === bError) return name;
  }
  return 'OFFSET_' + bError;
}

/** §6.2.1 bChainParameter and §6.1.4 wLevelParameter values at the extended APDU level. */
export const Chain = Object.freeze({
  /** Begins and ends here. */
  whole: 0x00,
  /** Begins here, continues in the next message. */
  begins: 0x01,
  /** Continues and ends here. */
  ends: 0x02,
  /** Continues, and more follows. */
  continues: 0x03,
  /** Empty abData: the other side is to send the next part. */
  more: 0x10,
} as const);

/** §6.2.2 bClockStatus. */
export const ClockStatus = Object.freeze({ running: 0, stoppedLow: 1, stoppedHigh: 2, stoppedUnknown: 3 } as const);

/** §5.3 Table 5.3-1 class-specific requests. */
export const ClassRequest = Object.freeze({ ABORT: 0x01, GET_CLOCK_FREQUENCIES: 0x02, GET_DATA_RATES: 0x03 } as const);

/** §6.3.2 bHardwareErrorCode. */
export const HardwareErrorCode = Object.freeze({ overcurrent: 0x01 } as const);

/** §5.1 Table 5.1-1 dwFeatures bits. */
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
  levelTpdu: 0x00010000,
  levelShortApdu: 0x00020000,
  levelExtendedApdu: 0x00040000,
  usbWakeUp: 0x00100000,
} as const);
