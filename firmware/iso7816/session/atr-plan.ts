/**
 * What to do with a well-formed ATR (ISO/IEC 7816-3 §6.2.4 classes, §8.3 TA2 specific mode, §9 PPS):
 * keep or change the voltage class, warm reset to leave an unusable specific mode, run PPS, or use
 * the parameters as they are. Pure: the session executes the plan.
 */
import type { VoltageClass } from '../../../hal/interfaces/card-contacts.js';
import type { AtrInfo } from '../atr/decode.js';
import { PPSS, ppsRemaining } from '../pps/codec.js';
import { chooseRate, hostRate, specificClock, type RateChoice, type RateLimits } from '../pps/rate.js';
import type { SlotError } from '../../../hal/interfaces/slot.js';
import { diValue, fiValue } from '../tables.js';
import { DEFAULT_WI, Dd, Fd } from '../timing.js';

/** §11.4 defaults when the ATR carries no T=1 bytes. */
export const T1_DEFAULTS = Object.freeze({ ifsc: 32, cwi: 13, bwi: 4, edc: 'lrc' as 'lrc' | 'crc' });

export interface LinkParameters {
  readonly protocol: 0 | 1;
  readonly fiIndex: number;
  readonly diIndex: number;
  readonly F: number;
  readonly D: number;
  readonly clockHz: number;
  /** TC1 extra guard time. */
  readonly N: number;
  /** TC2 waiting integer (T=0). */
  readonly WI: number;
  /** The Fi of §10.2's WT = WI · 960 · Fi / f. */
  readonly waitFi: number;
  readonly ifsc: number;
  readonly cwi: number;
  readonly bwi: number;
  readonly edc: 'lrc' | 'crc';
  readonly mode: 'negotiable' | 'specific';
}

export interface AtrSituation {
  /** Class VCC is at now. */
  readonly voltage: VoltageClass;
  /** Classes this power-on may still move up to, in order (empty when the host fixed the class). */
  readonly higherClasses: readonly VoltageClass[];
  readonly clocksHz: readonly number[];
  readonly atrClockHz: number;
  readonly limits: RateLimits | undefined;
  /** False after a PPS failed: §9.3 the reader continues at Fd/Dd without PPS. */
  readonly ppsAllowed: boolean;
  /** A warm reset was already made to leave specific mode. */
  readonly warmResetTried: boolean;
}

export type AtrPlan =
  | { readonly kind: 'fail'; readonly error: SlotError; readonly why: string }
  | { readonly kind: 'warm-reset'; readonly why: string }
  | { readonly kind: 'change-class'; readonly voltage: VoltageClass; readonly why: string }
  | { readonly kind: 'pps'; readonly protocol: 0 | 1; readonly rate: RateChoice | null; readonly base: LinkParameters }
  | { readonly kind: 'use'; readonly link: LinkParameters };

function isSupported(protocol: number): protocol is 0 | 1 {
  return protocol === 0 || protocol === 1;
}

function link(info: AtrInfo, protocol: 0 | 1, fiIndex: number, diIndex: number, F: number, D: number, clockHz: number, mode: 'negotiable' | 'specific', waitFi: number): LinkParameters {
  const t1 = info.t1 ?? T1_DEFAULTS;
  return Object.freeze({
    protocol, fiIndex, diIndex, F, D, clockHz, N: info.n, WI: info.wi > 0 ? info.wi : DEFAULT_WI, waitFi,
    ifsc: t1.ifsc >= 1 && t1.ifsc <= 254 ? t1.ifsc : T1_DEFAULTS.ifsc, cwi: t1.cwi, bwi: t1.bwi, edc: t1.edc, mode,
  });
}

/**
 * §6.2.4: stay when the class indicator (absent: class A only) allows the current class; else move
 * up to the first higher class it allows. When the card gave no indicator and the board has no
 * class A, the card answered at this class and nothing better exists: stay (an explicit indicator
 * that excludes every class the board can supply is a real mismatch).
 */
function classPlan(info: AtrInfo, s: AtrSituation): AtrPlan | null {
  if (info.classes.indexOf(s.voltage) >= 0) return null;
  for (let i = 0; i < s.higherClasses.length; i++) {
    const v = s.higherClasses[i];
    if (info.classes.indexOf(v) >= 0) return { kind: 'change-class', voltage: v, why: `class indicator allows ${info.classes.join('')}` };
  }
  if (info.classIndicator === null) return null;
  return { kind: 'fail', error: 'ICC_CLASS_NOT_SUPPORTED', why: `class indicator allows ${info.classes.join('')}, not ${s.voltage}` };
}

/**
 * TA2 present (§8.3): the card works in the protocol it names, at TA1's Fi/Di, or at Fd/Dd when
 * b5 says the parameters are implicit. The reader keeps the specific mode whenever it can work in
 * it (the card chose it; no reset is spent). Only when the protocol or the rate is out of reach and
 * b8 = 0 does a warm reset ask the card for negotiable mode (§6.2.3), once.
 */
function specificPlan(info: AtrInfo, s: AtrSituation): AtrPlan {
  const mode = info.specificMode!;
  const retry = (why: string): AtrPlan =>
    mode.canChange && !s.warmResetTried ? { kind: 'warm-reset', why } : { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED', why };
  if (!isSupported(mode.protocol)) return retry(`specific mode T=${mode.protocol}`);
  if (mode.implicit) return { kind: 'use', link: link(info, mode.protocol, 1, 1, Fd, Dd, s.atrClockHz, 'specific', Fd) };
  const F = fiValue(info.fiIndex);
  const D = diValue(info.diIndex);
  const clockHz = specificClock(info.fiIndex, info.diIndex, s.clocksHz, s.limits);
  if (F === null || D === null || clockHz === null) return retry(`specific mode rate FI ${info.fiIndex} DI ${info.diIndex} out of reach`);
  return { kind: 'use', link: link(info, mode.protocol, info.fiIndex, info.diIndex, F, D, clockHz, 'specific', F) };
}

/**
 * Negotiable mode (§9): T=1 when the card offers it and PPS may be sent (block-level error
 * recovery, chaining and waiting-time extension make it the better protocol; libccid and Windows'
 * usbccid prefer it too), else the default protocol if this reader speaks it, else the first offered
 * one it speaks (selected by PPS); PPS when a faster rate is possible or the protocol needs selecting.
 */
function negotiablePlan(info: AtrInfo, s: AtrSituation): AtrPlan {
  const waitFi = info.fi ?? Fd;
  const offered = info.defaultProtocol;
  let protocol: 0 | 1 | null = offered !== null && isSupported(offered) ? offered : null;
  if (protocol !== 1 && s.ppsAllowed && info.protocols.indexOf(1) >= 0) protocol = 1;
  if (protocol === null && s.ppsAllowed) {
    for (let i = 0; i < info.protocols.length && protocol === null; i++) {
      const t = info.protocols[i];
      if (isSupported(t)) protocol = t;
    }
  }
  if (protocol === null) return { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED', why: `protocols offered: ${info.protocols.join(',')}` };
  const base = link(info, protocol, 1, 1, Fd, Dd, s.atrClockHz, 'negotiable', waitFi);
  if (!s.ppsAllowed) return { kind: 'use', link: base };
  const rate = info.ta1Present ? chooseRate(info.fiIndex, info.diIndex, s.clocksHz, s.atrClockHz, s.limits) : null;
  if (rate === null && protocol === offered) return { kind: 'use', link: base };
  return { kind: 'pps', protocol, rate, base };
}

export function planAfterAtr(info: AtrInfo, s: AtrSituation): AtrPlan {
  const byClass = classPlan(info, s);
  if (byClass) return byClass;
  return info.specificMode ? specificPlan(info, s) : negotiablePlan(info, s);
}

/** The link after an accepted PPS (§9.3): PPS1 echoed → the proposed rate; absent → Fd/Dd. */
export function linkAfterPps(plan: { protocol: 0 | 1; rate: RateChoice | null; base: LinkParameters }, fiIndex: number, diIndex: number): LinkParameters {
  const rate = plan.rate;
  if (rate && rate.fiIndex === fiIndex && rate.diIndex === diIndex) {
    return Object.freeze({ ...plan.base, fiIndex, diIndex, F: rate.F, D: rate.D, clockHz: rate.clockHz });
  }
  return plan.base;
}

/** The parameters a host sets (CCID SetParameters) that this module needs, in ISO 7816-3 terms. */
export interface HostParameters {
  readonly protocol: 0 | 1;
  readonly fiIndex: number;
  readonly diIndex: number;
  readonly N: number;
  readonly WI: number;
  readonly ifsc: number;
  readonly bwi: number;
  readonly cwi: number;
  readonly edc: 'lrc' | 'crc';
}

/** The link with the host's guard time, waiting integer and T=1 parameters in place of the ATR's. */
export function applyHostParameters(base: LinkParameters, p: HostParameters): LinkParameters {
  return Object.freeze({
    ...base, N: p.N, WI: p.WI > 0 ? p.WI : base.WI, ifsc: p.ifsc >= 1 && p.ifsc <= 254 ? p.ifsc : base.ifsc,
    bwi: p.bwi, cwi: p.cwi, edc: p.edc,
  });
}

/** Whether two links differ in anything the UART or the transport is built from. */
export function sameLink(a: LinkParameters, b: LinkParameters): boolean {
  return a.protocol === b.protocol && a.F === b.F && a.D === b.D && a.clockHz === b.clockHz && a.N === b.N &&
    a.WI === b.WI && a.ifsc === b.ifsc && a.bwi === b.bwi && a.cwi === b.cwi && a.edc === b.edc;
}

/**
 * After the warm reset a host's new protocol or Fi/Di calls for (§9: PPS only right after an ATR):
 * PPS with exactly what the host asked, at `rate` (see pps/rate.ts hostRate). A card now in specific mode
 * cannot negotiate. After a failed PPS the card goes on at its defaults (the host is told it failed).
 */
export function planForHost(info: AtrInfo, s: AtrSituation, p: HostParameters, rate: RateChoice): AtrPlan {
  if (info.specificMode) return { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED', why: 'the card answered in specific mode' };
  if (!s.ppsAllowed) return negotiablePlan(info, s);
  const base = applyHostParameters(link(info, p.protocol, 1, 1, Fd, Dd, s.atrClockHz, 'negotiable', info.fi ?? Fd), p);
  return { kind: 'pps', protocol: p.protocol, rate, base };
}

/**
 * §9: a card in negotiable mode whose first received character does not start a PPS request uses
 * its default protocol at Fd/Dd. The link for that, or null when this reader lacks the protocol.
 */
export function defaultLink(info: AtrInfo, s: AtrSituation): LinkParameters | null {
  const offered = info.defaultProtocol;
  if (offered === null || !isSupported(offered)) return null;
  return link(info, offered, 1, 1, Fd, Dd, s.atrClockHz, 'negotiable', info.fi ?? Fd);
}

/** PPS0 b5–b7: PPS1, PPS2, PPS3 present (§9.2). */
const PPS0_PPS1 = 0x10;
const PPS0_PPS2_PPS3 = 0x60;

/**
 * A PPS request the host built itself (CCID TPDU level without automatic PPS), checked before it
 * goes out, since a request the card rejects costs a deactivation (§9.3): whole, with a PCK that
 * makes the XOR zero (§9.2), without PPS2/PPS3 (this reader cannot honour SPU or RFU parameters), for
 * a protocol the ATR offers and this reader speaks, and with a PPS1 rate the board can produce
 * (never propose one it cannot). The plan then runs like the reader's own PPS.
 */
export function planHostPps(info: AtrInfo, s: AtrSituation, request: Uint8Array): Extract<AtrPlan, { kind: 'pps' | 'fail' }> {
  const length = request.length;
  let xor = 0;
  for (let i = 0; i < length; i++) xor ^= request[i];
  if (length < 3 || request[0] !== PPSS || 2 + ppsRemaining(request, 2) !== length || xor !== 0) {
    return { kind: 'fail', error: 'CMD_ABORTED', why: 'malformed PPS request' };
  }
  const pps0 = request[1];
  if (pps0 & PPS0_PPS2_PPS3) return { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED', why: 'PPS2/PPS3 requested' };
  const protocol = pps0 & 0x0f;
  if (!isSupported(protocol) || info.protocols.indexOf(protocol) < 0) {
    return { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED', why: `T=${protocol} not offered or not spoken` };
  }
  let rate: RateChoice | null = null;
  if (pps0 & PPS0_PPS1) {
    rate = hostRate(request[2] >> 4, request[2] & 0x0f, s.clocksHz, s.limits);
    if (rate === null) return { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED', why: `PPS1 ${request[2]} out of the board's reach` };
  }
  return { kind: 'pps', protocol, rate, base: link(info, protocol, 1, 1, Fd, Dd, s.atrClockHz, 'negotiable', info.fi ?? Fd) };
}
