/**
 * The status words of the simulated UICC, for each of the two command sets it answers:
 * - 'uicc': class '0X' / '8X', ETSI TS 102 221 §10.2.1 (ISO/IEC 7816-4 §5.6 values);
 * - 'gsm':  class 'A0', 3GPP TS 51.011 §9.4 (the 2G SIM's own values: 9Fxx, 94xx, 98xx).
 * Commands are written once against the named conditions below; each family maps them to its codes.
 */
export type Family = 'uicc' | 'gsm';

export interface StatusWords {
  readonly ok: number;
  /** No EF is selected. */
  readonly noEf: number;
  /** The command does not fit the file's structure. */
  readonly wrongStructure: number;
  /** Offset or record number beyond the file. */
  readonly outOfRange: number;
  readonly recordNotFound: number;
  /** The access condition is not fulfilled. */
  readonly security: number;
  readonly fileNotFound: number;
  readonly badP1P2: number;
  readonly insNotSupported: number;
  readonly claNotSupported: number;
  /** GET RESPONSE with nothing to give. */
  readonly noData: number;
  /** Lc (P3 of an incoming command) is wrong; `expected` is the right value when one exists. */
  wrongLength(expected: number): number;
  /** Le (P3 of an outgoing command) is wrong: `available` bytes can be sent (T=0: the reader resends). */
  wrongLe(available: number): number;
  /** Response data waits for GET RESPONSE. */
  dataAvailable(length: number): number;
}

export const UICC_STATUS: StatusWords = Object.freeze({
  ok: 0x9000,
  noEf: 0x6986,
  wrongStructure: 0x6981,
  outOfRange: 0x6b00,
  recordNotFound: 0x6a83,
  security: 0x6982,
  fileNotFound: 0x6a82,
  badP1P2: 0x6a86,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
  noData: 0x6985,
  wrongLength: () => 0x6700,
  // ISO/IEC 7816-3 §12.2.2 case 2S.3: '6C' Licc, the reader resends the header with P3 = Licc.
  wrongLe: (available: number) => 0x6c00 | (available & 0xff),
  dataAvailable: (length: number) => 0x6100 | (length & 0xff),
});

export const GSM_STATUS: StatusWords = Object.freeze({
  ok: 0x9000,
  noEf: 0x9400,
  wrongStructure: 0x9408,
  // TS 51.011 §9.4.4 '94 02' out of range (invalid address); also for a record out of range (§9.4.6 note 2).
  outOfRange: 0x9402,
  recordNotFound: 0x9402,
  security: 0x9804,
  fileNotFound: 0x9404,
  badP1P2: 0x6b00,
  insNotSupported: 0x6d00,
  claNotSupported: 0x6e00,
  noData: 0x6f00,
  // §9.4.6: '67 XX' incorrect parameter P3, "XX gives the correct length".
  wrongLength: (expected: number) => 0x6700 | (expected & 0xff),
  wrongLe: (available: number) => 0x6700 | (available & 0xff),
  dataAvailable: (length: number) => 0x9f00 | (length & 0xff),
});

export function statusWords(family: Family): StatusWords {
  return family === 'uicc' ? UICC_STATUS : GSM_STATUS;
}

/** Status words that only one family uses. */
export const SW = Object.freeze({
  /** TS 102 221 §10.2.1.3: warning, state of non-volatile memory unchanged. */
  WARNING_UNCHANGED: 0x6200,
  /** §10.2.1.5 / ISO 7816-4: functions in CLA not supported. */
  CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  /** ISO/IEC 7816-4 §5.6: command chaining not supported. */
  CHAINING_NOT_SUPPORTED: 0x6884,
  /** §10.2.1.5: authentication/PIN method blocked. */
  BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  /** §10.2.1.3: verification failed, X retries left (VERIFY, UNBLOCK PIN). */
  RETRIES_LEFT: 0x63c0,
  /** TS 51.011 §9.4.5: CHV security management. */
  GSM_CHV_WRONG: 0x9804,
  GSM_CHV_CONTRADICTION: 0x9808,
  GSM_CHV_BLOCKED: 0x9840,
});
