/**
 * Command APDU encodings (ISO 7816-4 §5.1): cases 1, 2S, 3S, 4S and the extended 2E, 3E, 4E.
 * Used by the simulated cards to run an APDU that arrived whole (T=1, or T=0 ENVELOPE).
 */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (a view into the parsed bytes). */
  data: Uint8Array;
  /** Maximum response length Ne (0: none expected; Le 00 = 256, extended 0000 = 65 536). */
  ne: number;
  extended: boolean;
}

export type ApduParse = { apdu: CommandApdu } | { more: true } | { error: string };

/**
 * Parse a complete command APDU; `more` when the bytes are a proper prefix of a longer one (so a
 * caller collecting pieces knows to wait), `error` when no encoding fits.
 */
export function parseApdu(b: Uint8Array): ApduParse {
  if (b.length < 4) return { more: true };
  const head = { cla: b[0], ins: b[1], p1: b[2], p2: b[3] };
  const none = b.subarray(4, 4);
  if (b.length === 4) return { apdu: { ...head, data: none, ne: 0, extended: false } };
  if (b.length === 5) return { apdu: { ...head, data: none, ne: b[4] || 256, extended: false } };
  if (b[4] !== 0) {
    const lc = b[4];
    if (b.length < 5 + lc) return { more: true };
    const data = b.subarray(5, 5 + lc);
    if (b.length === 5 + lc) return { apdu: { ...head, data, ne: 0, extended: false } };
    if (b.length === 6 + lc) return { apdu: { ...head, data, ne: b[5 + lc] || 256, extended: false } };
    return { error: 'bytes after a short APDU' };
  }
  if (b.length < 7) return { more: true };
  const n = (b[5] << 8) | b[6];
  if (b.length === 7) return { apdu: { ...head, data: none, ne: n || 65536, extended: true } };
  if (n === 0) return { error: 'extended Lc of 0' };
  if (b.length < 7 + n) return { more: true };
  const data = b.subarray(7, 7 + n);
  if (b.length === 7 + n) return { apdu: { ...head, data, ne: 0, extended: true } };
  if (b.length === 8 + n) return { more: true };
  if (b.length === 9 + n) return { apdu: { ...head, data, ne: ((b[7 + n] << 8) | b[8 + n]) || 65536, extended: true } };
  return { error: 'bytes after an extended APDU' };
}
