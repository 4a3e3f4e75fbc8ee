/**
 * T=1 block codec (ISO/IEC 7816-3 §11.3, §11.4): prologue NAD PCB LEN, information field INF
 * (0…254 bytes), epilogue EDC. Pure: bytes in, a typed record out; encoders write into the caller's
 * buffer (at least BLOCK_MAX bytes) and return the block's length. Framing ("how long is this block
 * once its LEN is known?") is `blockLength`, apart from decoding.
 *
 * PCB coding (§11.3.2.2):
 *   I-block  0 N(S) M 0 0 0 0 0
 *   R-block  1 0 0 N(R) 0 0 e e     ee: 00 error-free, 01 EDC and/or parity error, 10 other errors
 *   S-block  1 1 r 0 0 0 t t        r: 1 = response; tt: 00 RESYNCH, 01 IFS, 10 ABORT, 11 WTX
 */
import { checkEdc, edcLength, writeEdc, type CrcVariant, type EdcKind } from './edc.js';

/** Largest INF (LEN = 255 is reserved, §11.4.2). */
export const INF_MAX = 254;
/** Largest block: prologue + INF + 2-byte CRC. */
export const BLOCK_MAX = 3 + INF_MAX + 2;

export const PCB_R = 0x80;
export const PCB_S = 0xc0;
export const PCB_I_NS = 0x40;
export const PCB_I_MORE = 0x20;
export const PCB_R_NR = 0x10;
export const PCB_S_RESPONSE = 0x20;

/** R-block error field (PCB b2 b1). */
export type RError = 'none' | 'edc' | 'other';
const R_ERROR_CODE = Object.freeze({ none: 0, edc: 1, other: 2 } as const);

/** S-block types (PCB b2 b1 with b6 = request/response). */
export type SType = 'RESYNCH' | 'IFS' | 'ABORT' | 'WTX';
const S_TYPE_CODE = Object.freeze({ RESYNCH: 0, IFS: 1, ABORT: 2, WTX: 3 } as const);
const S_TYPES: readonly SType[] = Object.freeze(['RESYNCH', 'IFS', 'ABORT', 'WTX'] as SType[]);

/**
 * Why a received block is invalid (§11.6.3 "invalid block"), most basic first:
 * - too-short: fewer bytes than prologue + EDC;
 * - bad-len: LEN = 255 (reserved, §11.4.2);
 * - length-mismatch: the byte count is not 3 + LEN + EDC length;
 * - bad-edc: the EDC does not check (or a character arrived with a parity error, decided by the link);
 * - bad-pcb: reserved PCB bits set or an unknown S-block type;
 * - bad-inf-length: an R-block with LEN ≠ 0, or an S-block whose LEN does not fit its type;
 * - bad-inf: S(IFS) with INF 0 or 255 (IFS values are 1…254, §11.4.2).
 */
export type BlockError = 'too-short' | 'bad-len' | 'length-mismatch' | 'bad-edc' | 'bad-pcb' | 'bad-inf-length' | 'bad-inf';

export interface IBlock {
  readonly kind: 'I';
  readonly nad: number;
  readonly ns: 0 | 1;
  readonly more: boolean;
  /** A view into the decoded buffer (valid until the caller reuses it). */
  readonly inf: Uint8Array;
}
export interface RBlock {
  readonly kind: 'R';
  readonly nad: number;
  readonly nr: 0 | 1;
  readonly error: RError;
}
export interface SBlock {
  readonly kind: 'S';
  readonly nad: number;
  readonly type: SType;
  readonly response: boolean;
  /** INF byte of IFS and WTX blocks; null for RESYNCH and ABORT. */
  readonly value: number | null;
}
/** A block that failed validation: a value, never an exception (the link answers with an R-block). */
export interface InvalidBlock {
  readonly kind: 'invalid';
  readonly error: BlockError;
  /** PCB byte as received (0 when too short to have one). */
  readonly pcb: number;
}
export type T1Block = IBlock | RBlock | SBlock;
export type DecodedBlock = T1Block | InvalidBlock;

/** Total block length once LEN is known (3 + LEN + EDC); LEN = 255 still frames as 3 + 255 + EDC. */
export function blockLength(len: number, edc: EdcKind): number {
  return 3 + len + edcLength(edc);
}

/** Decode `length` bytes of `buf`. Total: never throws, returns an InvalidBlock for any defect. */
export function decodeBlock(buf: Uint8Array, length: number, edc: EdcKind, variant: CrcVariant = 'libccid'): DecodedBlock {
  const pcb = length >= 2 ? buf[1] : 0;
  const framing = checkFraming(buf, length, edc, pcb);
  if (framing !== null) return framing;
  if (!checkEdc(edc, buf, length, variant)) return invalid('bad-edc', pcb);
  return decodeFields(buf, pcb);
}

/**
 * Decode a block whose EDC the card UART has already checked over it (CardUart `readBlock`,
 * `blockEnd` 'complete'): the same checks as `decodeBlock` but the EDC's.
 */
export function decodeCheckedBlock(buf: Uint8Array, length: number, edc: EdcKind, at = 0): DecodedBlock {
  // checkFraming written out: this runs for every block the card sends.
  const edcLen = edc === 'crc' ? 2 : 1;
  const pcb = length >= 2 ? buf[at + 1] : 0;
  if (length < 3 + edcLen || length > buf.length - at) return invalid('too-short', pcb);
  const len = buf[at + 2];
  if (len === 255) return invalid('bad-len', pcb);
  if (length !== 3 + len + edcLen) return invalid('length-mismatch', pcb);
  // The usual block, an I-block with no reserved bit set, decoded here (decodeFields does the same).
  if ((pcb & 0x9f) === 0) return { kind: 'I', nad: buf[at], ns: (pcb & PCB_I_NS) !== 0 ? 1 : 0, more: (pcb & PCB_I_MORE) !== 0, inf: buf.subarray(at + 3, at + 3 + len) };
  return decodeFields(buf, pcb, at);
}

/** Prologue and length checks (§11.3, §11.4.2); null when the block is framed right. */
function checkFraming(buf: Uint8Array, length: number, edc: EdcKind, pcb: number): InvalidBlock | null {
  const edcLen = edcLength(edc);
  if (length < 3 + edcLen || length > buf.length) return invalid('too-short', pcb);
  const len = buf[2];
  if (len === 255) return invalid('bad-len', pcb);
  if (length !== 3 + len + edcLen) return invalid('length-mismatch', pcb);
  return null;
}

/** PCB and INF of a framed block (§11.3.2.2). */
function decodeFields(buf: Uint8Array, pcb: number, at = 0): DecodedBlock {
  const len = buf[at + 2];
  const nad = buf[at];
  if ((pcb & 0x80) === 0) {
    if ((pcb & 0x1f) !== 0) return invalid('bad-pcb', pcb);
    return { kind: 'I', nad, ns: (pcb & PCB_I_NS) !== 0 ? 1 : 0, more: (pcb & PCB_I_MORE) !== 0, inf: buf.subarray(at + 3, at + 3 + len) };
  }
  if ((pcb & 0xc0) === PCB_R) {
    if ((pcb & 0x2c) !== 0 || (pcb & 0x03) === 3) return invalid('bad-pcb', pcb);
    if (len !== 0) return invalid('bad-inf-length', pcb);
    const code = pcb & 0x03;
    return { kind: 'R', nad, nr: (pcb & PCB_R_NR) !== 0 ? 1 : 0, error: code === 0 ? 'none' : code === 1 ? 'edc' : 'other' };
  }
  if ((pcb & 0x1c) !== 0) return invalid('bad-pcb', pcb);
  const type = S_TYPES[pcb & 0x03];
  const needs = type === 'IFS' || type === 'WTX' ? 1 : 0;
  if (len !== needs) return invalid('bad-inf-length', pcb);
  const value = needs ? buf[at + 3] : null;
  if (type === 'IFS' && (value === 0 || value === 255)) return invalid('bad-inf', pcb);
  return { kind: 'S', nad, type, response: (pcb & PCB_S_RESPONSE) !== 0, value };
}

function invalid(error: BlockError, pcb: number): InvalidBlock {
  return { kind: 'invalid', error, pcb };
}

/**
 * The encoders below write prologue and INF and return their length; the `…Block` forms append the
 * EDC too. The card UART appends the EDC itself (CardUart `writeBlock`), so the link sends blocks
 * without it and no byte of a block is touched twice in XS.
 */

/** An I-block carrying data[start, start + count) (count ≤ 254), without its EDC; returns its length so far. */
export function encodeIPrologue(out: Uint8Array, nad: number, ns: 0 | 1, more: boolean, data: Uint8Array, start: number, count: number): number {
  if (count > INF_MAX || count < 0) throw new RangeError('T=1 INF longer than 254');
  out[0] = nad;
  out[1] = (ns ? PCB_I_NS : 0) | (more ? PCB_I_MORE : 0);
  out[2] = count;
  if (count > 0) out.set(data.subarray(start, start + count), 3);
  return 3 + count;
}

/** An R-block without its EDC; returns its length so far (3). */
export function encodeRPrologue(out: Uint8Array, nad: number, nr: 0 | 1, error: RError): number {
  out[0] = nad;
  out[1] = PCB_R | (nr ? PCB_R_NR : 0) | R_ERROR_CODE[error];
  out[2] = 0;
  return 3;
}

/** An S-block without its EDC; `value` is the INF byte for IFS and WTX (ignored for RESYNCH and ABORT). */
export function encodeSPrologue(out: Uint8Array, nad: number, type: SType, response: boolean, value: number | null): number {
  out[0] = nad;
  out[1] = PCB_S | (response ? PCB_S_RESPONSE : 0) | S_TYPE_CODE[type];
  if (type === 'IFS' || type === 'WTX') {
    out[2] = 1;
    out[3] = (value ?? 0) & 0xff;
    return 4;
  }
  out[2] = 0;
  return 3;
}

/** Encode an I-block carrying data[start, start + count) (count ≤ 254); returns the block length. */
export function encodeI(
  out: Uint8Array, nad: number, ns: 0 | 1, more: boolean, data: Uint8Array, start: number, count: number,
  edc: EdcKind, variant: CrcVariant = 'libccid',
): number {
  return writeEdc(edc, out, encodeIPrologue(out, nad, ns, more, data, start, count), variant);
}

/** Encode an R-block; returns the block length. */
export function encodeR(out: Uint8Array, nad: number, nr: 0 | 1, error: RError, edc: EdcKind, variant: CrcVariant = 'libccid'): number {
  return writeEdc(edc, out, encodeRPrologue(out, nad, nr, error), variant);
}

/** Encode an S-block; `value` is the INF byte for IFS and WTX (ignored for RESYNCH and ABORT). */
export function encodeS(
  out: Uint8Array, nad: number, type: SType, response: boolean, value: number | null, edc: EdcKind,
  variant: CrcVariant = 'libccid',
): number {
  return writeEdc(edc, out, encodeSPrologue(out, nad, type, response, value), variant);
}

/** Short human form of a PCB for traces: "I(0,M)", "R(1,edc)", "S(WTX req)". */
export function describePcb(pcb: number): string {
  if ((pcb & 0x80) === 0) return `I(${(pcb & PCB_I_NS) ? 1 : 0}${(pcb & PCB_I_MORE) ? ',M' : ''})`;
  if ((pcb & 0xc0) === PCB_R) {
    const e = pcb & 3;
    return `R(${(pcb & PCB_R_NR) ? 1 : 0}${e === 1 ? ',edc' : e === 2 ? ',other' : ''})`;
  }
  return `S(${S_TYPES[pcb & 3]} ${(pcb & PCB_S_RESPONSE) ? 'resp' : 'req'})`;
}
