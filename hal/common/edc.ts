/**
 * The T=1 epilogue, the error detection code (ISO/IEC 7816-3 §11.4.4), as the card UART computes it
 * over whole blocks (hal/interfaces/card-uart.ts BlockEdc) and as the firmware's block codec
 * (firmware/iso7816/t1/edc.ts) frames it. Pure, allocation-free, runs unchanged in XS.
 *
 * CRC: ISO 7816-3 refers to ISO/IEC 13239, whose frame check sequence is the reflected CCITT
 * CRC-16 (polynomial x^16 + x^12 + x^5 + 1, bit-reflected 0x8408, register preset to 0xFFFF). What
 * the deployed host stack (libccid `src/openct/checksum.c`) actually puts on the wire is that
 * register *without* the final ones' complement, most significant byte first ('crc'; in the CRC
 * catalogue CRC-16/MCRF4XX, check value 0x6F91 for "123456789"). ISO/IEC 13239 itself complements
 * the register and sends the low byte first ('crc-13239'; CRC-16/IBM-SDLC, check 0x906E).
 */
import type { BlockEdc } from '../interfaces/card-uart.js';

function buildCrcTable(): readonly number[] {
  const table: number[] = [];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    table.push(c);
  }
  return Object.freeze(table);
}

/** Reflected CCITT table (polynomial 0x8408), computed once; frozen so XS can keep it in flash. */
const CRC_TABLE = buildCrcTable();

/** Number of epilogue bytes. */
export function edcBytes(edc: BlockEdc): 1 | 2 {
  return edc === 'lrc' ? 1 : 2;
}

/** LRC: exclusive-or of bytes [start, end). */
export function lrc(bytes: Uint8Array, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) v ^= bytes[i];
  return v;
}

/** The CRC register (preset 0xFFFF, no final complement) over bytes [start, end). */
export function crc16(bytes: Uint8Array, start: number, end: number): number {
  let v = 0xffff;
  for (let i = start; i < end; i++) v = (v >>> 8) ^ CRC_TABLE[(v ^ bytes[i]) & 0xff];
  return v;
}

/** Write the epilogue of bytes [0, length) at `length` (the buffer has room); returns the new length. */
export function appendEdc(edc: BlockEdc, buf: Uint8Array, length: number): number {
  if (edc === 'lrc') {
    buf[length] = lrc(buf, 0, length);
    return length + 1;
  }
  const v = crc16(buf, 0, length);
  if (edc === 'crc') {
    buf[length] = v >>> 8;
    buf[length + 1] = v & 0xff;
  } else {
    const f = ~v & 0xffff;
    buf[length] = f & 0xff;
    buf[length + 1] = f >>> 8;
  }
  return length + 2;
}

/** True when bytes [0, length) end with a correct epilogue. */
export function edcChecks(edc: BlockEdc, buf: Uint8Array, length: number): boolean {
  if (edc === 'lrc') return length >= 1 && lrc(buf, 0, length) === 0;
  if (length < 2) return false;
  const v = crc16(buf, 0, length - 2);
  const hi = buf[length - 2];
  const lo = buf[length - 1];
  if (edc === 'crc') return hi === v >>> 8 && lo === (v & 0xff);
  const f = ~v & 0xffff;
  return hi === (f & 0xff) && lo === f >>> 8;
}
