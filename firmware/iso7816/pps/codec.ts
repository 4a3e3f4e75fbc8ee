/**
 * Protocol and parameters selection, ISO/IEC 7816-3 §9, the messages: request encoding (§9.2),
 * response framing and the success rules (§9.3). Pure: bytes in, values out; encoders write into the
 * caller's buffer and return a length. The choice of what to propose is in rate.ts.
 */

/** §9.2: PPSS, the initial byte of every PPS request and response. */
export const PPSS = 0xff;
/** PPSS, PPS0, PPS1, PPS2, PPS3, PCK. */
export const PPS_MAX_LENGTH = 6;

/** PPS0 b5, b6, b7: PPS1, PPS2, PPS3 follow. */
const PPS0_PPS1 = 0x10;
const PPS0_PPS2 = 0x20;
const PPS0_PPS3 = 0x40;

/**
 * §9.2: PPS request for protocol `protocol`, with PPS1 = FI DI when `rate` is given (else the card
 * keeps Fd/Dd). Writes into `out` (≥ PPS_MAX_LENGTH) and returns the length.
 */
export function encodePpsRequest(out: Uint8Array, protocol: number, rate: { fiIndex: number; diIndex: number } | null): number {
  let n = 0;
  out[n++] = PPSS;
  out[n++] = (protocol & 0x0f) | (rate ? PPS0_PPS1 : 0);
  if (rate) out[n++] = ((rate.fiIndex & 0x0f) << 4) | (rate.diIndex & 0x0f);
  let pck = 0;
  for (let i = 0; i < n; i++) pck ^= out[i];
  out[n++] = pck;
  return n;
}

/** Framing only: 0 when `length` bytes are a whole PPS message, -1 when PPSS is wrong, else how many more bytes. */
export function ppsRemaining(bytes: Uint8Array, length: number): number {
  if (length === 0) return 2;
  if (bytes[0] !== PPSS) return -1;
  if (length === 1) return 1 + 1;
  const pps0 = bytes[1];
  let total = 3;
  if (pps0 & PPS0_PPS1) total++;
  if (pps0 & PPS0_PPS2) total++;
  if (pps0 & PPS0_PPS3) total++;
  return total > length ? total - length : 0;
}

export type PpsRejection =
  | 'bad-ppss'
  | 'truncated'
  | 'bad-pck'
  | 'protocol-changed'
  | 'pps1-changed'
  | 'pps1-unrequested'
  | 'pps2-unrequested'
  | 'pps3-unrequested';

export type PpsOutcome =
  | { readonly kind: 'accepted'; readonly fiIndex: number; readonly diIndex: number }
  | { readonly kind: 'rejected'; readonly reason: PpsRejection };

/**
 * §9.3 successful exchange: PPSS, a PCK that makes the XOR zero, the same protocol, PPS1 echoed or
 * absent (absent: Fd/Dd stay), and no PPS2/PPS3 the request did not carry (this reader never
 * requests them). `accepted` gives the FI/DI indices now in force.
 */
export function checkPpsResponse(request: Uint8Array, requestLength: number, response: Uint8Array, responseLength: number): PpsOutcome {
  if (responseLength < 1 || response[0] !== PPSS) return { kind: 'rejected', reason: 'bad-ppss' };
  if (ppsRemaining(response, responseLength) !== 0) return { kind: 'rejected', reason: 'truncated' };
  let xor = 0;
  for (let i = 0; i < responseLength; i++) xor ^= response[i];
  if (xor !== 0) return { kind: 'rejected', reason: 'bad-pck' };
  const asked = request[1];
  const got = response[1];
  if ((got & 0x0f) !== (asked & 0x0f)) return { kind: 'rejected', reason: 'protocol-changed' };
  if (got & PPS0_PPS2) return { kind: 'rejected', reason: 'pps2-unrequested' };
  if (got & PPS0_PPS3) return { kind: 'rejected', reason: 'pps3-unrequested' };
  if (got & PPS0_PPS1) {
    if (!(asked & PPS0_PPS1) || requestLength < 4) return { kind: 'rejected', reason: 'pps1-unrequested' };
    if (response[2] !== request[2]) return { kind: 'rejected', reason: 'pps1-changed' };
    return { kind: 'accepted', fiIndex: response[2] >> 4, diIndex: response[2] & 0x0f };
  }
  return { kind: 'accepted', fiIndex: 1, diIndex: 1 };
}
