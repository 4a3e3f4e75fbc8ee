/**
 * The slot attributes (slot.ts SlotAttributes) as the session keeps them, their values with no card
 * powered, and the clock the ATR is read at.
 */
import type { ReaderState, SlotAttributes } from '../../../hal/interfaces/slot.js';
import { T1_DEFAULTS } from './atr-plan.js';
import { Dd, DEFAULT_WI, Fd } from '../timing.js';

/** What the session updates in place; `attributes` hands out frozen copies. */
export type MutableAttributes = { -readonly [K in keyof SlotAttributes]: SlotAttributes[K] };

/** Nothing powered: the defaults of §7.1 (Fd, Dd), §10.2 (WI) and §11.4 (T=1). */
export function offAttributes(state: ReaderState): MutableAttributes {
  return {
    state, voltage: null, atr: null, protocol: null, fiIndex: 1, diIndex: 1, F: Fd, D: Dd, waitFi: Fd, N: 0, WI: DEFAULT_WI,
    clockHz: 0, clockStopped: false, ifsc: T1_DEFAULTS.ifsc, ifsd: 32, bwi: T1_DEFAULTS.bwi, cwi: T1_DEFAULTS.cwi,
    edc: T1_DEFAULTS.edc, nad: 0, convention: 'direct', clockStop: null,
  };
}

/**
 * Whether a snapshot still shows every current value (`atr` is replaced, never edited, so references
 * compare). Spelt out field by field: read on every CCID reply, it must cost a few operations, not
 * a loop over keys. A test checks it notices a change in each attribute offAttributes lists.
 */
export function sameAttributes(a: SlotAttributes, b: MutableAttributes): boolean {
  return a.state === b.state && a.voltage === b.voltage && a.atr === b.atr && a.protocol === b.protocol
    && a.fiIndex === b.fiIndex && a.diIndex === b.diIndex && a.F === b.F && a.D === b.D && a.waitFi === b.waitFi && a.N === b.N && a.WI === b.WI
    && a.clockHz === b.clockHz && a.clockStopped === b.clockStopped && a.ifsc === b.ifsc && a.ifsd === b.ifsd
    && a.bwi === b.bwi && a.cwi === b.cwi && a.edc === b.edc && a.nad === b.nad && a.convention === b.convention
    && a.clockStop === b.clockStop;
}

/**
 * §6.2.2: during the ATR f is within 1–5 MHz. The board's default clock (its first) when it is in
 * that range, else the highest clock in range, else the default.
 */
export function atrClock(clocksHz: readonly number[]): number {
  const first = clocksHz[0];
  if (first >= 1e6 && first <= 5e6) return first;
  let chosen = first;
  for (let i = 0; i < clocksHz.length; i++) if (clocksHz[i] >= 1e6 && clocksHz[i] <= 5e6) chosen = clocksHz[i];
  return chosen;
}

