/**
 * T=1 epilogue field: the error detection code (ISO/IEC 7816-3 §11.4.4). TC3-style "first TC for
 * T=1", bit 1, chooses between the LRC (1 byte) and the CRC (2 bytes). The arithmetic is shared with
 * the card UART, which appends and checks the epilogue of the blocks it moves (hal/common/edc.ts,
 * where the two CRC framings are explained). No card in pcsc-tools' list asks for CRC, so
 * interoperating with libccid is the default; `crcVariant` lets a user choose the ISO/IEC 13239
 * framing for a card that needs it. Vectors and their sources: host-tests/t1/edc.test.ts.
 */
import type { BlockEdc } from '../../../hal/interfaces/card-uart.js';
import { appendEdc, edcChecks } from '../../../hal/common/edc.js';

export { crc16, lrc } from '../../../hal/common/edc.js';

export type EdcKind = 'lrc' | 'crc';

/** Byte order / complement of the 2-byte CRC on the wire (see hal/common/edc.ts). */
export type CrcVariant = 'libccid' | 'iso13239';

/** The epilogue as the card UART names it. */
export function blockEdc(kind: EdcKind, variant: CrcVariant = 'libccid'): BlockEdc {
  return kind === 'lrc' ? 'lrc' : variant === 'libccid' ? 'crc' : 'crc-13239';
}

/** Number of EDC bytes for the kind. */
export function edcLength(kind: EdcKind): 1 | 2 {
  return kind === 'crc' ? 2 : 1;
}

/**
 * Write the EDC of bytes [0, length) at `length`; returns the new total length.
 * The caller's buffer must have room for the EDC bytes.
 */
export function writeEdc(kind: EdcKind, buf: Uint8Array, length: number, variant: CrcVariant = 'libccid'): number {
  return appendEdc(blockEdc(kind, variant), buf, length);
}

/** True when bytes [0, length) end with a correct EDC of the kind. */
export function checkEdc(kind: EdcKind, buf: Uint8Array, length: number, variant: CrcVariant = 'libccid'): boolean {
  return edcChecks(blockEdc(kind, variant), buf, length);
}
