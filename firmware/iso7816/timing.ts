/**
 * Every ISO/IEC 7816-3 timing rule the reader keeps, in clock cycles or etu, derived here and only
 * here from the attributes in force: the etu (§7.1), the guard times (§8.3 GT's bound, §11.2 BGT), the
 * waiting times WT / WWT (§10.2), CWT and BWT (§11.4.3), and the activation windows (§6.2). This is
 * also the single place where they become nanoseconds for the Scheduler, or etu of the rate in force
 * for CardUart deadlines. The session, the T=0 and T=1 transports, the CCID time extensions, the
 * Escape READ_ATTRIBUTES and the descriptors all take their figures from here. Character-level
 * timing (guard time, repetition, CWT) is enforced by the card UART, from these figures.
 */
import type { SlotAttributes } from '../../hal/interfaces/slot.js';

/** Default clock rate conversion and baud rate adjustment factors before PPS (§7.1: Fd, Dd). */
export const Fd = 372;
export const Dd = 1;

/** §6.2.2 / §6.2.3: RST stays low at least 400 cycles (ta) after CLK starts; 500 keeps a margin. */
export const RESET_LOW_CYCLES = 500;
/** §6.2.2: the ATR's first character starts at most 40 000 cycles after the RST rising edge. */
export const ATR_WINDOW_CYCLES = 40_000;
/** §8.1 / §10.2: initial waiting time between ATR characters and for the PPS reply (WI = 10). */
export const INITIAL_WAITING_ETU = 9_600;
/** §6.2.4: power stays off before VCC comes back at another class (commonly 10 ms; EMV uses the same). */
export const CLASS_CHANGE_OFF_NS = 10_000_000;
/**
 * §11.2: the block guard time BGT, 22 etu between the leading edges of the last character of a block
 * and the first of the next one sent the other way (T=1).
 */
export const BLOCK_GUARD_ETU = 22;
/**
 * §7.2: at least 16 etu between the leading edge of the last character received and the next one
 * sent the other way (T=0); BGT (T=1). The session keeps it across the change of UART after the ATR
 * or PPS, which the UART itself cannot see.
 */
export const TURNAROUND_ETU_T0 = 16;
export const TURNAROUND_ETU_T1 = BLOCK_GUARD_ETU;
/**
 * §8.2: once its structure says the ATR is complete, any further character is a stray one (a card
 * whose ATR runs past what T0/TDi announce). Strays follow at the ATR's 12 etu spacing, so the line
 * counts as quiet after 16 etu without a leading edge: the T=0 turnaround, which the reader waits
 * anyway, so a card without strays loses no time.
 */
export const ATR_QUIET_ETU = 16;
/** §6.3.2: CLK may stop no sooner than 1860 cycles after the last character… */
export const CLOCK_STOP_CYCLES = 1_860;
/** …and runs again at least 700 cycles before the next one. */
export const CLOCK_RESTART_CYCLES = 700;
/** §10.2: waiting integer when TC2 is absent. */
export const DEFAULT_WI = 10;

/**
 * The activation and ATR timing a reader keeps: ISO/IEC 7816-3 (the default) or the stricter
 * windows of EMV Book 1 (payment terminals, and test tools that check cards against them).
 */
export interface TimingProfile {
  /** RST held low after CLK starts (cold reset) or after RST falls (warm reset), in cycles. */
  readonly resetLowCycles: number;
  /** No ATR character started this many cycles after RST rose: the card is mute. */
  readonly atrWindowCycles: number;
  /** Bound on the whole ATR, in initial etu from its first character; 0: none (ISO bounds only the gaps). */
  readonly atrTotalEtu: number;
  /** A card mute after a cold reset gets a warm reset, then the next class (§6.2.2, §6.2.4); else deactivation. */
  readonly muteRetries: boolean;
}

export type TimingProfileName = 'iso' | 'emv';

export const TIMING_PROFILES: Readonly<Record<TimingProfileName, TimingProfile>> = Object.freeze({
  iso: Object.freeze({ resetLowCycles: RESET_LOW_CYCLES, atrWindowCycles: ATR_WINDOW_CYCLES, atrTotalEtu: 0, muteRetries: true }),
  /**
   * EMV Book 1 (ICC to terminal interface, answer to reset): RST low 40 000–45 000 cycles (42 500
   * keeps the middle against clock tolerance); no ATR → deactivation no earlier than 42 001 cycles
   * after RST rose; the whole ATR within 20 160 initial etu. A mute card is deactivated, not retried.
   */
  emv: Object.freeze({ resetLowCycles: 42_500, atrWindowCycles: 42_001, atrTotalEtu: 20_160, muteRetries: false }),
});

const NS_PER_S = 1e9;

/** Duration of `cycles` CLK cycles at `clockHz`, in ns. */
export function cyclesToNs(cycles: number, clockHz: number): number {
  return (cycles * NS_PER_S) / clockHz;
}

/** §7.1: 1 etu = F / (D · f) seconds, in ns. */
export function etuNs(F: number, D: number, clockHz: number): number {
  return (F * NS_PER_S) / (D * clockHz);
}

/** `etu` elementary time units of F, D at `clockHz`, in ns. */
export function etuToNs(etu: number, F: number, D: number, clockHz: number): number {
  return etu * etuNs(F, D, clockHz);
}

/** Clock cycles expressed in etu of F, D (for UART deadlines): one etu lasts F / D cycles. */
export function cyclesToEtu(cycles: number, F: number, D: number): number {
  return (cycles * D) / F;
}

/** Bit rate on the I/O line (bit/s) at F, D and `clockHz`. */
export function baudRate(F: number, D: number, clockHz: number): number {
  return (D * clockHz) / F;
}

/**
 * §10.2: waiting time WT = WI · 960 · Fi / f (T=0: the work waiting time WWT), expressed in etu of
 * the rate in force (F, D). Fi is the card's TA1 value (Fd when absent), which differs from F when
 * the card works at Fd because PPS kept the default (`SlotAttributes.waitFi`).
 */
export function workWaitingEtu(WI: number, Fi: number, F: number, D: number): number {
  return (WI * 960 * Fi * D) / F;
}

/**
 * §8.3 (TC1): the guard time GT = 12 + N etu between characters the reader sends is the card UART's
 * to keep (CardUartOptions.N). The link only needs its lower bound in T=1: with N = 255, 11 etu.
 */
export const MIN_CHARACTER_ETU_T1 = 11;

/** §11.4.3: character waiting time CWT = 11 + 2^CWI etu. */
export function characterWaitingEtu(cwi: number): number {
  return 11 + 2 ** cwi;
}

/**
 * §11.4.3: block waiting time BWT = 11 etu + 2^BWI · 960 · Fd / f, i.e. 11 + 2^BWI · 960 · Fd · D / F
 * etu of the rate in force (the 960 · Fd / f part does not follow F and D).
 */
export function blockWaitingEtu(bwi: number, F: number, D: number): number {
  return 11 + ((2 ** bwi) * 960 * Fd * D) / F;
}

/** The attributes (slot.ts SlotAttributes) every waiting time in force derives from. */
export type WaitingAttributes = Pick<SlotAttributes, 'F' | 'D' | 'clockHz' | 'WI' | 'waitFi' | 'bwi' | 'cwi'>;

/*
 * In ns the cycle-counted parts are converted from cycles, exactly as the clauses state them, so a
 * whole number of ns stays whole (the scheduler's time is integer).
 */

/** §10.2 WT / WWT in force, WI · 960 · Fi cycles, in ns; 0 while the clock is unknown (no card powered). */
export function workWaitingNs(a: WaitingAttributes): number {
  return a.clockHz > 0 ? cyclesToNs(a.WI * 960 * a.waitFi, a.clockHz) : 0;
}

/** §11.4.3 BWT in force, 11 etu + 2^BWI · 960 · Fd cycles, in ns; 0 while the clock is unknown. */
export function blockWaitingNs(a: WaitingAttributes): number {
  return a.clockHz > 0 ? etuToNs(11, a.F, a.D, a.clockHz) + cyclesToNs((2 ** a.bwi) * 960 * Fd, a.clockHz) : 0;
}

/** The card's waiting time in force: §11.4.3 BWT for T=1, §10.2 WWT for T=0, in ns; 0 without a protocol or clock. */
export function waitingTimeNs(a: WaitingAttributes & Pick<SlotAttributes, 'protocol'>): number {
  return a.protocol === 1 ? blockWaitingNs(a) : a.protocol === 0 ? workWaitingNs(a) : 0;
}

/** CCID dwDataRate (§5.1, §6.2.5): the bit rate at F, D and `clockHz`, in whole bit/s. */
export function dataRate(F: number, D: number, clockHz: number): number {
  return Math.floor(baudRate(F, D, clockHz));
}
