/**
 * Seeded fault campaigns for T=1 (ISO/IEC 7816-3 §11.6): thousands of APDU exchanges through the
 * whole reader stack (session → T1Link → simulated line) against the card-side T=1 engine injecting
 * random faults. Checks, per exchange: it ends (a result arrives before a deadline worked out from
 * BWT, the number of blocks and the retry/resynch bounds: no hang); a success carries exactly the
 * expected response (no silent corruption); failures are SlotErrors of the documented kinds.
 * No Node APIs, so it can also run in XS.
 */
import { T1FsCard } from '../../hal/sim/cards/t1-card.js';
import type { T1Fault } from '../../hal/sim/cards/t1-engine.js';
import { SimRandom } from '../../hal/sim/random.js';
import { rig } from '../session/rig.js';
import type { TransmitResult } from '../../firmware/iso7816/slot.js';

export interface CampaignOptions {
  seed: number;
  exchanges: number;
  rate: number;
  crc?: boolean;
  faults?: readonly T1Fault[];
  /** Largest ECHO data length (extended APDUs above 255). */
  maxData?: number;
  /** The card's IFSC (ATR TA3) and the reader's IFSD (default 254 both): small values force chaining. */
  ifsc?: number;
  ifsd?: number;
}

/** The Yubikey 4 ATR (smartcard_list.txt) with TA3 = IFSC and, for CRC, TC3 = 01; TCK recomputed. */
export function campaignAtr(ifsc: number, crc: boolean): Uint8Array {
  const head = crc ? [0x3b, 0xf8, 0x13, 0x00, 0x00, 0x81, 0x71, ifsc, 0x15, 0x01] : [0x3b, 0xf8, 0x13, 0x00, 0x00, 0x81, 0x31, ifsc, 0x15];
  const atr = [...head, 0x59, 0x75, 0x62, 0x69, 0x6b, 0x65, 0x79, 0x34, 0];
  let x = 0;
  for (let i = 1; i < atr.length - 1; i++) x ^= atr[i];
  atr[atr.length - 1] = x;
  return Uint8Array.from(atr);
}

export interface CampaignReport {
  exchanges: number;
  successes: number;
  errors: Record<string, number>;
  /** Faults the card injected, by kind. */
  faults: Record<string, number>;
  resynchs: number;
  reactivations: number;
  /** Exchanges whose response differed from the expected one (must stay 0). */
  corrupted: number;
  /** Exchanges that did not end by their deadline (must stay 0). */
  hung: number;
  /** Times the session deactivated after a failed resynchronisation and was powered on again. */
  /** Longest exchange relative to its deadline. */
  worstDeadlineRatio: number;
  virtualSeconds: number;
  problems: string[];
}

const ALLOWED_ERRORS = new Set(['CMD_ABORTED', 'ICC_MUTE', 'XFR_PARITY_ERROR', 'DEACTIVATED_PROTOCOL', 'XFR_OVERRUN']);

export function runCampaign(o: CampaignOptions): CampaignReport {
  const ifsc = o.ifsc ?? 254;
  const card = new T1FsCard({
    name: o.crc ? 't1-crc' : 't1', atr: campaignAtr(ifsc, o.crc ?? false), ifsc, seed: o.seed,
    plan: { seed: o.seed, rate: o.rate, faults: o.faults },
  });
  const r = rig(card, { slot: { ifsd: o.ifsd ?? 254 } });
  const scheduler = r.board.scheduler;
  const random = new SimRandom(o.seed ^ 0x5eed);
  const report: CampaignReport = {
    exchanges: 0, successes: 0, errors: {}, faults: {}, resynchs: 0, reactivations: 0, corrupted: 0, hung: 0,
    worstDeadlineRatio: 0, virtualSeconds: 0, problems: [],
  };
  const t0 = scheduler.now();
  const powerOn = (): boolean => {
    // Power-on itself meets faults too (the S(IFS) exchange); a few attempts, as a host would retry.
    for (let i = 0; i < 5; i++) {
      if (r.powerOn().error === null && r.slot.attributes.protocol === 1) return true;
    }
    return false;
  };
  if (!powerOn()) {
    report.problems.push('the card never came up');
    return report;
  }
  const maxData = o.maxData ?? 300;
  for (let n = 0; n < o.exchanges; n++) {
    const len = random.nextInt(maxData + 1);
    const extended = len > 255;
    const data = random.fill(new Uint8Array(len));
    // len 0: case 2 (80 EE 00 00 00, Le 256), which echoes nothing.
    const apdu = new Uint8Array(len === 0 ? 5 : (extended ? 9 : 6) + len);
    if (len === 0) apdu.set([0x80, 0xee, 0, 0, 0]);
    else if (extended) {
      apdu.set([0x80, 0xee, 0, 0, 0, len >> 8, len & 0xff]);
      apdu.set(data, 7);
    } else {
      apdu.set([0x80, 0xee, 0, 0, len]);
      apdu.set(data, 5);
    }
    const expected = new Uint8Array(len + 2);
    expected.set(data);
    expected[len] = 0x90;
    // Deadline: every block of the exchange may need the full retry and resynch budget (3 + 1 tries,
    // 3 resynchs + the first pass), each try at most BWT × the largest WTX the card asks (3) plus a
    // block time; plus the IFS re-negotiation after each resynch.
    const attrs = r.slot.attributes;
    const etuNs = (attrs.F * 1e9) / (attrs.D * attrs.clockHz);
    const bwtEtu = 11 + (2 ** attrs.bwi * 960 * 372 * attrs.D) / attrs.F;
    const blocks = Math.ceil(apdu.length / 254) + Math.ceil((len + 2) / 254) + 2;
    const tryEtu = 3 * bwtEtu + 2 * 260 * 12 + 2 * (11 + 2 ** attrs.cwi);
    const deadlineNs = blocks * 4 * 4 * 2 * tryEtu * etuNs;
    const start = scheduler.now();
    let result: TransmitResult | null = null;
    r.slot.transmitApdu(apdu, (x) => (result = x));
    const limit = start + deadlineNs;
    while (result === null) {
      const next = scheduler.nextTime;
      if (next === undefined || next > limit) break;
      scheduler.runUntil(next);
    }
    report.exchanges++;
    // The line's records are a test backdoor that grows with every edge: keep the campaign lean.
    r.board.line.clear();
    const res = result as TransmitResult | null;
    if (res === null) {
      report.hung++;
      report.problems.push(`exchange ${n}: no result by its deadline (${(deadlineNs / 1e6).toFixed(0)} ms)`);
      break;
    }
    report.worstDeadlineRatio = Math.max(report.worstDeadlineRatio, (scheduler.now() - start) / deadlineNs);
    if (res.error === null) {
      if (res.response === null || !same(res.response, expected)) {
        report.corrupted++;
        report.problems.push(`exchange ${n}: response differs (length ${res.response?.length} vs ${expected.length})`);
      } else report.successes++;
    } else {
      report.errors[res.error] = (report.errors[res.error] ?? 0) + 1;
      if (!ALLOWED_ERRORS.has(res.error)) report.problems.push(`exchange ${n}: unexpected error ${res.error}`);
      if (res.response !== null) report.problems.push(`exchange ${n}: error ${res.error} with a response`);
      if (r.slot.attributes.state !== 'SPECIFIC') {
        // Rule 6.4: the link gave up and the session deactivated; the host powers the card on again.
        report.reactivations++;
        if (!powerOn()) {
          report.problems.push(`exchange ${n}: could not reactivate after ${res.error}`);
          break;
        }
      }
    }
  }
  report.faults = { ...card.engine.stats.faults };
  report.resynchs = card.engine.stats.resynchs;
  report.virtualSeconds = (scheduler.now() - t0) / 1e9;
  return report;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
