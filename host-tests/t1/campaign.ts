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
import type { LineCharacter, LineSide } from '../../hal/sim/line.js';

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
  /** Times the session deactivated after a failed resynchronisation and was powered on again. */
  reactivations: number;
  /** Exchanges whose response differed from the expected one (must stay 0). */
  corrupted: number;
  /** Exchanges with no result by the rules' worst case for their APDU (must stay 0). */
  hung: number;
  /** Exchanges that took longer than ruleBound allows (must stay 0). */
  late: number;
  /** Longest exchange relative to its ruleBound deadline, and which one it was. */
  worstDeadlineRatio: number;
  worstExchange: string;
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
    exchanges: 0, successes: 0, errors: {}, faults: {}, resynchs: 0, reactivations: 0, corrupted: 0, hung: 0, late: 0,
    worstDeadlineRatio: 0, worstExchange: '', virtualSeconds: 0, problems: [],
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
    const attrs = r.slot.attributes;
    const timing: T1Timing = {
      etuNs: (attrs.F * 1e9) / (attrs.D * attrs.clockHz),
      charEtu: attrs.N === 255 ? 11 : 12 + attrs.N,
      bwtEtu: 11 + (2 ** attrs.bwi * 960 * 372 * attrs.D) / attrs.F,
      cwtEtu: 11 + 2 ** attrs.cwi,
    };
    const start = scheduler.now();
    const cardBefore = r.board.line.lastEdge('card');
    let result: TransmitResult | null = null;
    r.slot.transmitApdu(apdu, (x) => (result = x));
    // Only a guard against a hang: the run stops at the rules' worst case for this APDU; the tight
    // check is ruleBound below, on what the card actually did.
    const limit = start + worstCaseNs(apdu.length, len + 2, r.slot.attributes.ifsc, r.slot.attributes.ifsd, timing);
    while (result === null) {
      const next = scheduler.nextTime;
      if (next === undefined || next > limit) break;
      scheduler.runUntil(next);
    }
    const end = scheduler.now();
    report.exchanges++;
    const res = result as TransmitResult | null;
    if (res === null) {
      report.hung++;
      report.problems.push(`exchange ${n}: no result by the rules' worst case (${((limit - start) / 1e6).toFixed(0)} ms)`);
      break;
    }
    const bound = ruleBound(r.board.line.events, start, end, cardBefore, timing);
    if ((o as any).debug === n) { const ev = r.board.line.events; console.log('start', start, 'end', end, 'cardBefore', cardBefore, 'etu', timing.etuNs, timing); let prev=''; let line=''; for (const e of ev) { if (e.from!==prev) { if (line) console.log(line); line = `${e.from} @${((e.timeNs-start)/timing.etuNs).toFixed(1)}etu:`; prev=e.from; } line += ' '+e.byte.toString(16); } console.log(line); console.log('end @', (end-start)/timing.etuNs); }
    // The line's records are a test backdoor that grows with every edge: keep the campaign lean.
    r.board.line.clear();
    const ratio = (end - start) / bound.deadlineNs;
    if (ratio > report.worstDeadlineRatio) {
      report.worstDeadlineRatio = ratio;
      report.worstExchange = `exchange ${n}: ${bound.turns} turns, ${((end - start) / 1e6).toFixed(3)} ms of ${(bound.deadlineNs / 1e6).toFixed(3)} ms`;
    }
    if (end - start > bound.deadlineNs + bound.turns) {
      report.late++;
      report.problems.push(`exchange ${n}: took ${((end - start) / 1e6).toFixed(3)} ms, the rules allow ${(bound.deadlineNs / 1e6).toFixed(3)} ms`);
    }
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

/** §11.4.3 and §11.2 timing of the rate in force, in etu, with the etu in ns. */
interface T1Timing {
  etuNs: number;
  /** Leading edge to leading edge of consecutive characters of one sender: 12 + N etu (11 when N = 255). */
  charEtu: number;
  bwtEtu: number;
  cwtEtu: number;
}

/** §11.2: BGT between the last character of a block and the first of the next one in the other direction. */
const BGT_ETU = 22;
/** The largest S(WTX request) multiplier the campaign card draws (hal/sim/cards/t1-engine.ts: 1 + 0…2). */
const WTX_MAX = 3;

/**
 * The rules' worst case for one exchange, used only to stop a hung run: per pass (the first, then one
 * after each of the 3 S(RESYNCH) of rule 6.4) every step of progress (an I-block of at most IFSC or
 * IFSD bytes, its chaining acknowledgement, the S(IFS) renegotiation) and every S request of the card
 * may take 1 + 3 attempts (rule 7.4.2); each attempt is the largest block both ways, BWT × the largest
 * WTX, a CWT gap the card may put inside its block, and the reader's wait for silence.
 */
function worstCaseNs(txLength: number, rxLength: number, ifsc: number, ifsd: number, t: T1Timing): number {
  // The card's S(IFS request) may lower IFSC to 16; after a resynchronisation IFSD may stay 32 (rule 6.3).
  const steps = 2 * (Math.ceil(txLength / Math.min(ifsc, 16)) + Math.ceil(rxLength / Math.min(ifsd, 32))) + 1;
  const attempts = (1 + 3) * (1 + 3) * 2 * steps + 3;
  const blockChars = 3 + 254 + 2;
  const attemptEtu = 2 * blockChars * t.charEtu + t.bwtEtu * WTX_MAX + (t.cwtEtu + 5) + Math.max(BGT_ETU, t.cwtEtu);
  return attempts * attemptEtu * t.etuNs;
}

export interface RuleBound {
  /** How long the exchange may take by the rules, given when the card spoke. */
  deadlineNs: number;
  /** Runs of characters from one sender (blocks, with any stray character after them). */
  turns: number;
}

/**
 * The tight bound of one exchange (ISO 7816-3 §11.2, §11.4.3, §11.6), from the characters on the
 * line between `start` and `end`. The card's time is taken as it happened (its processing and
 * injected delays, its characters, CWT gaps), except that it cannot answer later than BWT × WTX: the
 * reader must have taken the turn by then. The reader's time is what the rules allow it:
 * - its first block: at once, or BGT after the card's last character (`cardBefore`);
 * - its characters: (n − 1) character times per block (no idle inside a block);
 * - after the card's block: BGT, or CWT of silence when the block was invalid (max of both);
 * - after its own block with no answer: BWT, × the multiplier of the S(WTX response) it just sent (rule 3);
 * - to the result: as after a card block, or BWT × WTX after its own last block (the card stayed mute).
 * Retransmissions (rules 7.1–7.3, at most 3), S(RESYNCH) (rule 6, at most 3) and chaining
 * acknowledgements (rule 5) are just further turns, each bounded the same way.
 */
export function ruleBound(events: readonly LineCharacter[], start: number, end: number, cardBefore: number, t: T1Timing): RuleBound {
  const etu = t.etuNs;
  const afterCard = Math.max(BGT_ETU, t.cwtEtu) * etu;
  let deadline = start;
  let turns = 0;
  let from: LineSide | null = null;
  let firstIndex = 0;
  let last = start;
  /** BWT multiplier granted by the reader's last block (S(WTX response), rule 3). */
  let wtx = 1;
  for (let i = 0; i <= events.length; i++) {
    const e = i < events.length ? events[i] : undefined;
    if (e !== undefined && (e.timeNs < start || e.timeNs > end)) continue;
    if (e !== undefined && e.from === from) {
      if (from === 'reader') deadline += t.charEtu * etu;
      else deadline += e.timeNs - last;
      last = e.timeNs;
      continue;
    }
    // A turn ends (or the exchange does): close the previous turn.
    if (from === 'reader') {
      const b = events;
      const count = i - firstIndex;
      wtx = count >= 4 && b[firstIndex + 1].byte === 0xe3 && b[firstIndex + 2].byte === 1 ? Math.max(1, b[firstIndex + 3].byte) : 1;
    }
    if (e === undefined) {
      deadline += from === 'card' ? afterCard : from === 'reader' ? t.bwtEtu * wtx * etu : 0;
      break;
    }
    turns++;
    if (e.from === 'reader') {
      if (from === null) deadline = Math.max(start, cardBefore + BGT_ETU * etu);
      else if (from === 'card') deadline += afterCard;
      else deadline += t.bwtEtu * wtx * etu;
    } else {
      // The card's answer: its own time, but no later than BWT × WTX after the reader's last character.
      deadline += from === null ? e.timeNs - start : Math.min(e.timeNs - last, t.bwtEtu * wtx * etu);
    }
    from = e.from;
    firstIndex = i;
    last = e.timeNs;
  }
  return { deadlineNs: deadline - start, turns };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
