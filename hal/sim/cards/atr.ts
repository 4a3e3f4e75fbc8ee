/**
 * What a simulated card needs to know about its own ATR (ISO 7816-3 §8.2): convention, offered
 * protocols, TA1, specific mode, WI and the T=1 EDC. Deliberately independent of the firmware's ATR
 * codec, so a bug there cannot hide behind the same bug here. Plus the Fi/Di tables (§8.3, Tables 7, 8).
 */
import type { Convention } from '../../interfaces/card-uart.js';

/** Table 7: Fi by FI (0 = RFU). */
export const FI_TABLE: readonly number[] = Object.freeze([372, 372, 558, 744, 1116, 1488, 1860, 0, 0, 512, 768, 1024, 1536, 2048, 0, 0]);
/** Table 8: Di by DI (0 = RFU). */
export const DI_TABLE: readonly number[] = Object.freeze([0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0]);

export interface CardAtrInfo {
  convention: Convention;
  /** Each T offered by a TDi (T=15 excluded), in order; [0] when there is no TD1. */
  protocols: number[];
  ta1: number | null;
  /** TA2 present: specific mode, no PPS (§9.1). */
  specific: boolean;
  /** TA2 itself: b8 unable to change mode, b5 implicit parameters, low nibble the protocol; null when absent. */
  ta2: number | null;
  /** T=0 waiting integer from TC2 (default 10). */
  wi: number;
  /** T=1 error detection code: first TC for T=1, b1 (§11.4.4). */
  edc: 'lrc' | 'crc';
}

export function cardAtrInfo(atr: Uint8Array): CardAtrInfo {
  const info: CardAtrInfo = {
    convention: atr[0] === 0x3f ? 'inverse' : 'direct', protocols: [], ta1: null, specific: false, ta2: null, wi: 10, edc: 'lrc',
  };
  let y = (atr[1] ?? 0) >> 4;
  let level = 1;
  let t = 0;
  let edcSeen = false;
  let i = 2;
  while (i <= atr.length) {
    const ta = y & 1 ? atr[i++] : undefined;
    const tb = y & 2 ? atr[i++] : undefined;
    const tc = y & 4 ? atr[i++] : undefined;
    const td = y & 8 ? atr[i++] : undefined;
    if (level === 1 && ta !== undefined) info.ta1 = ta;
    if (level === 2 && ta !== undefined) {
      info.specific = true;
      info.ta2 = ta;
    }
    if (level === 2 && tc !== undefined && t === 0) info.wi = tc;
    if (level > 2 && t === 1 && tc !== undefined && !edcSeen) {
      info.edc = tc & 1 ? 'crc' : 'lrc';
      edcSeen = true;
    }
    void tb;
    if (td === undefined) break;
    t = td & 0x0f;
    if (t !== 15 && !info.protocols.includes(t)) info.protocols.push(t);
    y = td >> 4;
    level++;
  }
  if (info.protocols.length === 0) info.protocols.push(0);
  return info;
}
