/**
 * ATR framing: how many more characters complete an Answer-to-Reset, from the structure of
 * ISO/IEC 7816-3:2006 §8.2 (TS, T0, interface bytes chained by TDi, K historical bytes, TCK).
 * Kept apart from decoding so the session can call it on every received character: it allocates
 * nothing and reads only bytes[0 … length − 1].
 */

/** Initial character TS, §8.1: direct and inverse convention as the UART decodes them. */
export const TS_DIRECT = 0x3b;
export const TS_INVERSE = 0x3f;

/** Number of interface bytes announced by the high nibble of T0 or TDi (§8.2.2). */
export function interfaceByteCount(y: number): number {
  return (y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1) + ((y >> 3) & 1);
}

/**
 * Given the first `length` characters of an ATR, the least number of characters still to come:
 * 0 when the ATR is complete (the TCK rule of §8.2.5 included: TCK follows iff some TDi indicates
 * T ≠ 0), −1 when TS is neither 3B nor 3F. While a TDi is still awaited the answer is a lower bound
 * (that TDi may announce more). Never throws.
 */
export function atrRemaining(bytes: Uint8Array, length: number): number {
  const received = length > 0 ? Math.min(Math.floor(length), bytes.length) : 0;
  if (received < 1) return 2;
  const ts = bytes[0];
  if (ts !== TS_DIRECT && ts !== TS_INVERSE) return -1;
  if (received < 2) return 1;
  const t0 = bytes[1];
  const k = t0 & 0x0f;
  let y = t0 >> 4;
  let next = 2;
  let tck = 0;
  while ((y & 0x8) !== 0) {
    const td = next + interfaceByteCount(y) - 1;
    if (td >= received) return td + 1 + k + tck - received;
    if ((bytes[td] & 0x0f) !== 0) tck = 1;
    y = bytes[td] >> 4;
    next = td + 1;
  }
  const total = next + interfaceByteCount(y) + k + tck;
  return total > received ? total - received : 0;
}
