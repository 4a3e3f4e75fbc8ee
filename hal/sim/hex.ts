/**
 * HEX as users give it — `atr HEX`, `sim --apdu HEX`, the HEX strings of scripted cards — read one
 * way everywhere: hex digits in upper or lower case, with spaces (any white space) or colons allowed
 * between them, so "3B 02 14 50", "3b021450" and "3B:02:14:50" (as readers and pcsc-tools print
 * ATRs) are the same four bytes. Nothing else is taken: no "0x", no other separators. An odd number
 * of digits is its own error — half a byte is never padded.
 * Pure: no Node APIs (scripted cards are also read inside XS).
 */

export type HexParse = { readonly bytes: Uint8Array } | { readonly error: string };

function digitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

const isSeparator = (char: string): boolean => char === ':' || /\s/.test(char);

/** The bytes, or why the text is not HEX: `not hex: 'x' at character 3`, `odd length: 5 hex digits`. */
export function parseHex(text: string): HexParse {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    if (digitValue(text.charCodeAt(i)) >= 0) digits++;
    else if (!isSeparator(text[i])) return { error: `not hex: '${text[i]}' at character ${i + 1}` };
  }
  if (digits % 2 !== 0) return { error: `odd length: ${digits} hex digits (two per byte)` };
  const bytes = new Uint8Array(digits / 2);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const value = digitValue(text.charCodeAt(i));
    if (value < 0) continue;
    if (n % 2 === 0) bytes[n >> 1] = value << 4;
    else bytes[n >> 1] |= value;
    n++;
  }
  return { bytes };
}

/** Upper-case hex, no separators. */
export function toHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let k = 0; k < bytes.length; k++) s += (bytes[k] < 16 ? '0' : '') + bytes[k].toString(16).toUpperCase();
  return s;
}

/** HEX written into the program (built-in cards' data): a typo is a programming error. */
export function hex(text: string): Uint8Array {
  const parsed = parseHex(text);
  if ('error' in parsed) throw new Error(`bad hex literal '${text}': ${parsed.error}`);
  return parsed.bytes;
}
