/**
 * Protocol and parameters selection, ISO/IEC 7816-3 §9: request encoding (§9.2), response framing
 * and the success rules (§9.3), and the choice of the Fi/Di/clock to propose. Pure: bytes in,
 * values out; encoders write into the caller's buffer and return a length.
 */
import { diValue, fiValue, fmaxHz } from './tables.js';
import { baudRate, Dd, Fd } from './timing.js';

/** §9.2: PPSS, the initial byte of every PPS request and response. */
export const PPSS = 0xff;
/** PPSS, PPS0, PPS1, PPS2, PPS3, PCK. */
export const PPS_MAX_LENGTH = 6;

/** PPS0 b5, b6, b7: PPS1, PPS2, PPS3 follow. */
const PPS0_PPS1 = 0x10;
const PPS0_PPS2 = 0x20;
const PPS0_PPS3 = 0x40;

/**
 * The bit rate a UART really produces may differ from the one asked (divider rounding). The card
 * samples each bit near its middle, so over the 10.8 etu of a character (§7.1: start edge to the
 * error signal sample) a 2 % rate error already costs 0.2 etu; half of that is left for the card.
 */
export const RATE_TOLERANCE = 0.01;

/** What the board's card UART can hold (see CardUartCapabilities). */
export interface RateLimits {
  readonly maxBaud: number;
  closestBaud?(baud: number): number;
}

export interface RateChoice {
  readonly fiIndex: number;
  readonly diIndex: number;
  readonly F: number;
  readonly D: number;
  readonly clockHz: number;
}

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

/** Whether the UART holds `baud` within RATE_TOLERANCE (no limits given: any rate). */
export function rateHeld(baud: number, limits: RateLimits | undefined): boolean {
  if (!limits) return true;
  if (baud > limits.maxBaud * (1 + RATE_TOLERANCE)) return false;
  if (!limits.closestBaud) return true;
  const actual = limits.closestBaud(baud);
  return Math.abs(actual - baud) <= baud * RATE_TOLERANCE;
}

/**
 * The fastest rate to use with a card whose TA1 offers FI/DI: F stays the card's Fi (its fmax then
 * bounds the clock), D is any Di from Dd up to the card's Di (§9.2: PPS1 proposes values from Fd to
 * Fi and from Dd to Di; libccid likewise lowers only D when the reader cannot reach the card's rate),
 * the clock any board clock ≤ fmax, and the resulting bit rate one the UART holds. On a tie the lower
 * clock wins (less power, same speed). null: nothing faster than Fd/Dd at the ATR clock is possible.
 */
export function chooseRate(fiIndex: number, diIndex: number, clocksHz: readonly number[], atrClockHz: number, limits: RateLimits | undefined): RateChoice | null {
  const F = fiValue(fiIndex);
  const fmax = fmaxHz(fiIndex);
  const cardD = diValue(diIndex);
  if (F === null || fmax === null || cardD === null) return null;
  let best: RateChoice | null = null;
  let bestBaud = baudRate(Fd, Dd, atrClockHz);
  for (let d = 1; d <= 9; d++) {
    const D = diValue(d);
    if (D === null || D > cardD) continue;
    for (let c = 0; c < clocksHz.length; c++) {
      const clockHz = clocksHz[c];
      if (clockHz > fmax) continue;
      const baud = baudRate(F, D, clockHz);
      if (!(baud > bestBaud) || !rateHeld(baud, limits)) continue;
      best = { fiIndex, diIndex: d, F, D, clockHz };
      bestBaud = baud;
    }
  }
  return best;
}

/**
 * Specific mode with explicit parameters (TA2 b5 = 0): the card works at TA1's Fi/Di as it is; only
 * the clock is the reader's choice. The highest board clock ≤ fmax whose bit rate the UART holds,
 * or null when none.
 */
export function specificClock(fiIndex: number, diIndex: number, clocksHz: readonly number[], limits: RateLimits | undefined): number | null {
  const F = fiValue(fiIndex);
  const fmax = fmaxHz(fiIndex);
  const D = diValue(diIndex);
  if (F === null || fmax === null || D === null) return null;
  let chosen: number | null = null;
  for (let c = 0; c < clocksHz.length; c++) {
    const clockHz = clocksHz[c];
    if (clockHz <= fmax && rateHeld(baudRate(F, D, clockHz), limits) && (chosen === null || clockHz > chosen)) chosen = clockHz;
  }
  return chosen;
}

/**
 * The rate a host asked for (CCID SetParameters FI/DI), at the highest board clock ≤ fmax whose bit
 * rate the UART holds; null when the board cannot produce it (§9: never propose such a rate).
 */
export function hostRate(fiIndex: number, diIndex: number, clocksHz: readonly number[], limits: RateLimits | undefined): RateChoice | null {
  const F = fiValue(fiIndex);
  const D = diValue(diIndex);
  const clockHz = specificClock(fiIndex, diIndex, clocksHz, limits);
  if (F === null || D === null || clockHz === null) return null;
  return { fiIndex, diIndex, F, D, clockHz };
}
