/**
 * Seeded fault campaigns for T=1 (ISO/IEC 7816-3 §11.6): thousands of APDU exchanges through the
 * whole reader stack (session → T1Link → simulated line) against the card-side T=1 engine injecting
 * random faults. Checks, per exchange: it ends no later than §11 allows for what the card did
 * (ruleBound: BGT, character times, BWT × WTX, CWT, per block the card answered or left unanswered);
 * a success carries exactly the expected response (no silent corruption); failures are SlotErrors of
 * the documented kinds.
 * No Node APIs, so it can also run in XS.
 */
import { T1FsCard } from '../../hal/sim/cards/t1-card.js';
import type { T1Fault } from '../../hal/sim/cards/t1-engine.js';
import { SimRandom } from '../../hal/sim/random.js';
import { rig } from '../session/rig.js';
import type { TransmitResult } from '../../hal/interfaces/slot.js';
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
  /** The reader's last block, still going out when its exchange ended (rule 9 ends once S(ABORT response) is queued). */
  let block: ReaderBlock = { count: 0, length: 0, pcb: 0 };
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
      edcLength: attrs.edc === 'crc' ? 2 : 1,
    };
    const start = scheduler.now();
    const before: LineBefore = { lastCard: r.board.line.lastEdge('card'), lastReader: r.board.line.lastEdge('reader'), block };
    let result: TransmitResult | null = null;
    r.slot.transmitApdu(apdu, (x) => (result = x));
    // Only a guard against a hang: the run stops at the rules' worst case for this APDU; the tight
    // check is ruleBound below, on what the card actually did.
    const limit = start + worstCaseNs(apdu.length, len + 2, attrs.ifsc, attrs.ifsd, timing);
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
    const bound = ruleBound(r.board.line.events, start, end, before, timing);
    block = bound.block;
    // The line's records are a test backdoor that grows with every edge: keep the campaign lean.
    r.board.line.clear();
    const ratio = (end - start) / bound.deadlineNs;
    if (ratio > report.worstDeadlineRatio) {
      report.worstDeadlineRatio = ratio;
      report.worstExchange = `exchange ${n}: ${bound.turns} turns, ${((end - start) / 1e6).toFixed(3)} ms of ${(bound.deadlineNs / 1e6).toFixed(3)} ms`;
    }
    // 1 ns a turn absorbs the rounding of virtual times; one etu is 23 250 ns here.
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
        block = { count: 0, length: 0, pcb: 0 };
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
  /** LRC 1, CRC 2 (§11.3.1). */
  edcLength: number;
}

/** §11.2: BGT between the last character of a block and the first of the next one in the other direction. */
const BGT_ETU = 22;
/**
 * The reader reckons BGT from the UART's report of the card's last character, which a receiver can only
 * make once it sampled the stop position (the simulated UART decides at 10.25 etu; T1Link assumes 10):
 * up to 1 etu later than the character's end.
 */
const RX_REPORT_ETU = 1;
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

/** The line as the exchange found it. */
export interface LineBefore {
  /** Leading edges of the last characters of each side (SimLine.lastEdge). */
  lastCard: number;
  lastReader: number;
  /** The reader's block the exchange before left going out, as ruleBound parsed it so far. */
  block: ReaderBlock;
}

/** The reader's block being parsed: characters so far, its length once LEN is known (3 before), PCB. */
export interface ReaderBlock {
  count: number;
  length: number;
  pcb: number;
}

export interface RuleBound {
  /** How long the exchange may take by the rules, given when the card spoke. */
  deadlineNs: number;
  /** Runs of characters from one sender (blocks, with any stray character after them). */
  turns: number;
  /** The reader's block at `end`, for the next exchange's `before`. */
  block: ReaderBlock;
}

/**
 * The tight bound of one exchange (ISO 7816-3 §11.2, §11.4.3, §11.6), from the characters on the
 * line between `start` and `end`. Each character the reader sends, and the result, has a latest time
 * the rules allow given what came before it on the line; the bound is the exchange's duration plus
 * the sum of those margins (negative where the reader was late). The card's time counts as it
 * happened (processing, injected delays, CWT gaps), except that an answer starting later than
 * BWT × WTX after the reader's block means the reader failed to take the turn back (negative margin).
 * The reader's latest times:
 * - its first block: at once, or BGT after the card's last character, or one character time after
 *   the rest of its previous block (`before`);
 * - inside a block (told apart by LEN, §11.3.1): one character time after its previous character, or
 *   BGT after a character the card put on the half-duplex line meanwhile (a collision);
 * - a new block after the card spoke: BGT, or CWT of silence when the card's block was invalid or cut
 *   short (the larger of both);
 * - a new block with no answer: BWT after its last character, × the multiplier of the S(WTX response)
 *   it just sent (rule 3);
 * - the result: as a new block would be.
 * Retransmissions (rules 7.1–7.3, at most 3 per block), S(RESYNCH) (rule 6, at most 3) and chaining
 * acknowledgements (rule 5) are just further blocks, each bounded the same way.
 */
export function ruleBound(events: readonly LineCharacter[], start: number, end: number, before: LineBefore, t: T1Timing): RuleBound {
  const etu = t.etuNs;
  const afterCard = (Math.max(BGT_ETU, t.cwtEtu) + RX_REPORT_ETU) * etu;
  let margin = 0;
  let turns = 0;
  /** Null until the exchange's first block. */
  let from: LineSide | null = null;
  let lastReader = before.lastReader;
  let lastCard = before.lastCard;
  /** Characters of the reader's current block so far, and its length once LEN is known. */
  let { count, length, pcb } = before.block;
  /** BWT multiplier granted by the reader's last block (S(WTX response), rule 3). */
  let wtx = 1;
  /** Latest time for the reader's next block or the result, given the line so far. */
  const nextBlock = (): number => {
    if (from === null) return Math.max(start, lastCard + (BGT_ETU + RX_REPORT_ETU) * etu, lastReader + t.charEtu * etu);
    return from === 'card' ? lastCard + afterCard : lastReader + t.bwtEtu * wtx * etu;
  };
  for (const e of events) {
    if (e.timeNs < start || e.timeNs > end) continue;
    if (e.from === 'reader') {
      let latest: number;
      if (count < length) {
        latest = lastReader + t.charEtu * etu;
        if (from === 'card') latest = Math.max(latest, lastCard + (BGT_ETU + RX_REPORT_ETU) * etu);
      } else {
        latest = nextBlock();
        count = 0;
        length = 3;
      }
      margin += latest - e.timeNs;
      if (count === 0) wtx = 1;
      else if (count === 1) pcb = e.byte;
      else if (count === 2) length = 3 + e.byte + t.edcLength;
      // Rule 3: S(WTX response) grants its INF as the multiplier of the next BWT.
      else if (count === 3 && pcb === 0xe3) wtx = Math.max(1, e.byte);
      count++;
      lastReader = e.timeNs;
      if (from === null && count >= length) {
        // The rest of the previous exchange's block is out; this exchange's first block is still to come.
        count = length = 0;
        continue;
      }
    } else {
      if (from === 'reader' && count >= length) margin += Math.min(0, lastReader + t.bwtEtu * wtx * etu - e.timeNs);
      lastCard = e.timeNs;
    }
    if (e.from !== from) turns++;
    from = e.from;
  }
  margin += nextBlock() - end;
  return { deadlineNs: end - start + margin, turns, block: { count, length, pcb } };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
