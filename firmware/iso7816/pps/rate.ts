/**
 * Protocol and parameters selection, ISO/IEC 7816-3 §9, the choice: which Fi/Di and clock to propose
 * in PPS1 (or to accept in specific mode), within the card's TA1, the board's clocks and what its
 * card UART can hold. Pure.
 */
import { diValue, fiValue, fmaxHz } from '../tables.js';
import { baudRate, Dd, Fd } from '../timing.js';

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
