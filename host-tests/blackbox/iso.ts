// Black-box helpers written from ISO/IEC 7816-3, independent
// of the firmware: hex, ATR TCK (§8.2.5), T=1 blocks with LRC or CRC (§11.3, §11.4.4), PPS (§9.2).

export type Bytes = number[];

export function fromHex(hex: string): Bytes {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${hex}`);
  const out: Bytes = [];
  for (let i = 0; i < clean.length; i += 2) out.push(parseInt(clean.slice(i, i + 2), 16));
  return out;
}

export function toHex(bytes: Bytes, sep = ' '): string {
  return bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(sep);
}

/** Compact upper-case hex, as `sim --json` prints it. */
export const hx = (bytes: Bytes | string): string =>
  (typeof bytes === 'string' ? bytes : toHex(bytes, '')).replace(/\s+/g, '').toUpperCase();

/** Bytes 0, 1, … n-1 modulo 256, offset by `start`: recognisable response data. */
export function seq(n: number, start = 0): Bytes {
  return Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

/** §8.2.5: TCK makes the XOR of T0 … TCK zero (TS excluded). */
export function withTck(atrWithoutTck: Bytes | string): Bytes {
  const atr = typeof atrWithoutTck === 'string' ? fromHex(atrWithoutTck) : atrWithoutTck;
  let x = 0;
  for (const b of atr.slice(1)) x ^= b;
  return [...atr, x];
}

/** §11.4.3: LRC, one byte, exclusive-or of all the bytes of the block before it. */
export function lrc(bytes: Bytes): number {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x;
}

/**
 * §11.4.4 CRC, as libccid computes it (src/openct/checksum.c): reflected CCITT
 * CRC-16, polynomial x^16 + x^12 + x^5 + 1 taken LSB first (0x8408), register preset to 0xFFFF, no
 * final XOR; the register's high byte is sent first. Written bit by bit here (not from a table);
 * iso.test.ts checks it against the catalogue check value of this parameter set (CRC-16/MCRF4XX:
 * "123456789" → 0x6F91) and against two cells of libccid's table.
 */
export function crc16(bytes: Bytes): number {
  let v = 0xffff;
  for (const b of bytes) {
    v ^= b;
    for (let i = 0; i < 8; i++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
  }
  return v & 0xffff;
}

export type Edc = 'lrc' | 'crc';

/** §11.3.1: NAD PCB LEN INF EDC. NAD 00 throughout (no addressing). */
export function block(pcb: number, inf: Bytes = [], edc: Edc = 'lrc', nad = 0): Bytes {
  if (inf.length > 254) throw new Error('LEN > 254');
  const prologue = [nad, pcb, inf.length, ...inf];
  if (edc === 'lrc') return [...prologue, lrc(prologue)];
  const c = crc16(prologue);
  return [...prologue, c >> 8, c & 0xff];
}

/** The same block with its EDC damaged (last byte inverted). */
export function corrupt(b: Bytes): Bytes {
  return [...b.slice(0, -1), b[b.length - 1] ^ 0xff];
}

/** §11.3.2.1 I-block PCB: b8 = 0, b7 = N(S), b6 = M (more data). */
export const iBlock = (ns: 0 | 1, more: boolean, inf: Bytes, edc: Edc = 'lrc'): Bytes =>
  block((ns << 6) | (more ? 0x20 : 0), inf, edc);

/** §11.3.2.2 R-block PCB: 1 0 0 N(R) 0 0 e e; ee = 00 ok, 01 EDC/parity error, 10 other error. */
export const rBlock = (nr: 0 | 1, err: 0 | 1 | 2 = 0, edc: Edc = 'lrc'): Bytes =>
  block(0x80 | (nr << 4) | err, [], edc);

/** §11.3.2.3 S-block PCB: 1 1 r 0 0 0 t t (r = response). */
export const S = { RESYNCH: 0, IFS: 1, ABORT: 2, WTX: 3 } as const;
export const sBlock = (type: number, response: boolean, inf: Bytes = [], edc: Edc = 'lrc'): Bytes =>
  block(0xc0 | (response ? 0x20 : 0) | type, inf, edc);

/** §9.2: PPSS PPS0 [PPS1] PCK, PCK making the XOR of all PPS bytes zero. */
export function pps(protocol: number, pps1?: number): Bytes {
  const body = pps1 === undefined ? [0xff, protocol] : [0xff, 0x10 | protocol, pps1];
  return [...body, lrc(body)];
}

/** §7/§10.2: default etu at Fd = 372, f = 4 MHz (the simulated board's clockHz), in µs. */
export const etuUs = (fi: number, di: number, clockHz: number): number => (fi / di / clockHz) * 1e6;
