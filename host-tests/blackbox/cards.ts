// Scripted cards for the black-box checks, written from ISO/IEC 7816-3 (clauses cited per step).
// `npx tsx host-tests/blackbox/write-scripts.ts` writes them to host-tests/blackbox/scripts/*.json;
// iso.test.ts fails when the files on disk and this source disagree.
import {
  type Bytes, type Edc, S, corrupt, fromHex, hx, iBlock, pps, rBlock, sBlock, seq, toHex, withTck,
} from './iso.js';

export type Reply = string | { waitEtu: number } | { badParity: string } | { mute: true };
export interface Step { note: string; expect: string; reply: Reply[] }
export interface Card { name: string; comment: string; atr: string; pps?: string; steps: Step[] }
/** One APDU sent with --apdu, and what ISO 7816-3 says the host gets back. */
export interface Apdu { command: string; clause: string; response?: string; error?: string }
export interface Scenario { file: string; card: Card; apdus: Apdu[] }

const H = (b: Bytes | string): string => (b === '*' ? b : typeof b === 'string' ? toHex(fromHex(b)) : toHex(b));
const step = (note: string, expect: Bytes | string, ...reply: Reply[]): Step =>
  ({ note, expect: H(expect), reply });
const cat = (...parts: (Bytes | string)[]): Bytes =>
  parts.flatMap((p) => (typeof p === 'string' ? fromHex(p) : p));

// ───────────────────────────── T=0 (§10, APDU mapping §12.2) ─────────────────────────────
const T0_ATR = '3B 00'; // TS direct, T0 = 00: no interface bytes → T=0, Fd/Dd, WI 10 (§8.2)

const t0Cases: Scenario = {
  file: 't0-cases.json',
  card: {
    name: 'blackbox t0-cases: ISO 7816-3 §10.3 procedure bytes and §12.2 APDU cases over T=0',
    comment: 'ATR 3B 00 (§8.2: T=0 only, Fd/Dd, WI=10 → WT = 9600 etu, §10.2). One step per reader transmission.',
    atr: T0_ATR,
    steps: [
      step('§12.2.2 case 1: header with P3 = 00; SW1 SW2 63 C3 (§10.3.3 SW1 = 6X)', '00 20 00 81 00', '63 C3'),
      step('§12.2.3 case 2S, Le = 00 → P3 = 00 means 256 bytes (§10.3.2); INS then 256 bytes then 90 00',
        '00 B0 00 00 00', H(cat('B0', seq(256), '90 00'))),
      step('§12.2.3 case 2S, Le = 05 → P3 = 05', '00 B0 00 00 05', H(cat('B0', seq(5, 0x10), '90 00'))),
      step('§10.3.3 SW1 6A as the first procedure byte: no data, the status is the response', '00 B0 00 00 05', '6A 82'),
      step('§12.2.4 case 3: header with P3 = Lc; INS procedure byte (§10.3.3) asks for all data', '00 D6 00 10 03', 'D6'),
      step('§10.3.3 after INS the reader sends all remaining data bytes', 'AA BB CC', '90 00'),
      step('§12.2.5 case 4S goes out as case 3 (P3 = Lc)', '00 A4 04 00 02', 'A4'),
      step('§10.3.3 data after INS; card answers 61 20 (32 bytes available)', '3F 00', '61 20'),
      step('§12.2.5 case 4S.3: 61xx → GET RESPONSE with P3 = min(xx, Ne) = min(0x20, 0x10) = 10',
        '00 C0 00 00 10', H(cat('C0', seq(16, 0x40), '90 00'))),
      step('§12.2.5 case 4S with Le = 00 (Ne = 256) goes out as case 3', '00 A4 04 00 02', 'A4'),
      step('§10.3.3 data after INS; 61 20', '3F 00', '61 20'),
      step('§12.2.5 case 4S.3: GET RESPONSE P3 = min(0x20, 256) = 20', '00 C0 00 00 20',
        H(cat('C0', seq(32, 0x60), '90 00'))),
      step('§12.2.5 case 4S: header (P3 = Lc)', '00 A4 04 00 02', 'A4'),
      step('§12.2.5 case 4S.2: card answers 90 00 without data; no GET RESPONSE', '3F 00', '90 00'),
      step('§12.2.3 case 2S.3: 6C08 → the reader resends the same header with P3 = 08', '00 B0 00 00 00', '6C 08'),
      step('§12.2.3 case 2S.3: header resent with P3 = xx', '00 B0 00 00 08', H(cat('B0', seq(8, 0x80), '90 00'))),
      step('§10.3.3 INS ⊕ FF (29): the reader sends one data byte', '00 D6 00 00 03', '29'),
      step('§10.3.3 one byte after INS ⊕ FF; again INS ⊕ FF', '11', '29'),
      step('§10.3.3 one byte after INS ⊕ FF; then INS: all remaining bytes', '22', 'D6'),
      step('§10.3.3 remaining data after INS', '33', '90 00'),
      step('§10.3.3 case 2 receive: 4F (= B0 ⊕ FF) then one byte, then B0 then the remaining two bytes',
        '00 B0 00 00 03', '4F 01 B0 02 03 90 00'),
      step('§10.3.3 + §12.2.4: SW1 SW2 6A 82 right after a case 3 header: the reader must not send the data', '00 D6 00 00 03', '6A 82'),
      step('§10.3.3 + §12.2.5: 6A 82 right after a case 4 header: no data, no GET RESPONSE', '00 A4 04 00 02', '6A 82'),
      step('§12.2.5 case 4, Le = 00: data, then 61 00 (256 bytes available)', '00 A4 04 00 02', 'A4'),
      step('§10.3.3 data after INS; 61 00', '3F 00', '61 00'),
      step('§12.2.5 case 4S.3: GET RESPONSE P3 = min(256, 256) → 00', '00 C0 00 00 00', H(cat('C0', seq(256, 0x33), '90 00'))),
      step('§12.2.5 case 4, Le = 10: data, then 61 00', '00 A4 04 00 02', 'A4'),
      step('§10.3.3 data after INS; 61 00', '3F 00', '61 00'),
      step('§12.2.5 case 4S.3: GET RESPONSE P3 = min(256, 16) → 10', '00 C0 00 00 10', H(cat('C0', seq(16, 0x77), '90 00'))),
      step('§12.2.3 case 2S (restated by EMV Book 1 §9.3.1.2): 61 04 → GET RESPONSE with P3 = min(04, Ne 16) = 04', '00 B0 00 00 10', '61 04'),
      step('GET RESPONSE P3 = 04', '00 C0 00 00 04', 'C0 01 02 03 04 90 00'),
      step('§10.3.3: data then a warning status 62 82 (SW1 = 6X)', '00 B0 00 00 02', 'B0 01 02 62 82'),
      step('§10.3.3 NULL 60 restarts WT (§10.2, 9600 etu): 2 × 9000 etu of silence behind NULLs, NULL after data',
        '00 B0 00 00 02', '60', { waitEtu: 9000 }, '60', { waitEtu: 9000 }, 'B0 AA BB', '60', { waitEtu: 5000 }, '90 00'),
    ],
  },
  apdus: [
    { command: '00 20 00 81', clause: '§12.2.2 case 1', response: '63 C3' },
    { command: '00 B0 00 00 00', clause: '§12.2.3 case 2S, Le 00 = 256', response: hx(cat(seq(256), '90 00')) },
    { command: '00 B0 00 00 05', clause: '§12.2.3 case 2S, Le 05', response: hx(cat(seq(5, 0x10), '90 00')) },
    { command: '00 B0 00 00 05', clause: '§10.3.3 SW1 first', response: '6A 82' },
    { command: '00 D6 00 10 03 AA BB CC', clause: '§12.2.4 case 3', response: '90 00' },
    { command: '00 A4 04 00 02 3F 00 10', clause: '§12.2.5 case 4, 61xx, Ne 16', response: hx(cat(seq(16, 0x40), '90 00')) },
    { command: '00 A4 04 00 02 3F 00 00', clause: '§12.2.5 case 4, 61xx, Ne 256', response: hx(cat(seq(32, 0x60), '90 00')) },
    { command: '00 A4 04 00 02 3F 00 00', clause: '§12.2.5 case 4, 9000', response: '90 00' },
    { command: '00 B0 00 00 00', clause: '§12.2.3 6Cxx', response: hx(cat(seq(8, 0x80), '90 00')) },
    { command: '00 D6 00 00 03 11 22 33', clause: '§10.3.3 INS ⊕ FF send', response: '90 00' },
    { command: '00 B0 00 00 03', clause: '§10.3.3 INS ⊕ FF receive', response: '01 02 03 90 00' },
    { command: '00 D6 00 00 03 AA BB CC', clause: '§12.2.4 case 3 refused', response: '6A 82' },
    { command: '00 A4 04 00 02 3F 00 00', clause: '§12.2.5 case 4 refused', response: '6A 82' },
    { command: '00 A4 04 00 02 3F 00 00', clause: '§12.2.5 61 00, Ne 256', response: hx(cat(seq(256, 0x33), '90 00')) },
    { command: '00 A4 04 00 02 3F 00 10', clause: '§12.2.5 61 00, Ne 16', response: hx(cat(seq(16, 0x77), '90 00')) },
    { command: '00 B0 00 00 10', clause: '§12.2.3 case 2, 61xx', response: '01 02 03 04 90 00' },
    { command: '00 B0 00 00 02', clause: '§10.3.3 warning', response: '01 02 62 82' },
    { command: '00 B0 00 00 02', clause: '§10.3.3 NULL', response: 'AA BB 90 00' },
  ],
};

const t0ProcedureConflict: Scenario = {
  file: 't0-procedure-conflict.json',
  card: {
    name: 'blackbox t0-procedure-conflict: ISO 7816-3 §10.3.3 invalid procedure byte',
    comment: 'A5 is none of 60, INS (B0), INS ⊕ FF (4F), 6X/9X: §10.3.3 leaves no valid reading → PROCEDURE_BYTE_CONFLICT.',
    atr: T0_ATR,
    steps: [step('§10.3.3: A5 is not a procedure byte', '00 B0 00 00 02', 'A5')],
  },
  apdus: [{ command: '00 B0 00 00 02', clause: '§10.3.3', error: 'PROCEDURE_BYTE_CONFLICT' }],
};

const t0Mute: Scenario = {
  file: 't0-mute.json',
  card: {
    name: 'blackbox t0-mute: ISO 7816-3 §10.2 WT exceeded mid-command',
    comment: 'The card takes the data after INS and then never answers: after WT = 9600 etu (§10.2) the reader reports ICC_MUTE.',
    atr: T0_ATR,
    steps: [
      step('§12.2.4 case 3 header; INS', '00 D6 00 00 02', 'D6'),
      step('§10.2: data received, then silence for ever', '01 02', { mute: true }),
    ],
  },
  apdus: [{ command: '00 D6 00 00 02 01 02', clause: '§10.2', error: 'ICC_MUTE' }],
};

const t0Parity: Scenario = {
  file: 't0-parity.json',
  card: {
    name: 'blackbox t0-parity: ISO 7816-3 §7.3 character repetition, bounded, then parity error',
    comment: 'The second data byte always has wrong parity: the reader signals each error, the card repeats it, the reader gives up after a bounded number → XFR_PARITY_ERROR.',
    atr: T0_ATR,
    steps: [step('§7.3: a data byte that keeps its parity error through all repetitions', '00 B0 00 00 02',
      'B0 01', { badParity: '02' }, '90 00')],
  },
  apdus: [{ command: '00 B0 00 00 02', clause: '§7.3', error: 'XFR_PARITY_ERROR' }],
};

const t0WrongExpectation: Scenario = {
  file: 't0-wrong-expectation.json',
  card: {
    name: 'blackbox t0-wrong-expectation: the script expects P3 = 05, the host asks Le = 04 (§12.2.3: P3 = Le)',
    comment: 'Step 2 cannot match: the script must fail at step 2 (1-based) and the exchange must get an error.',
    atr: T0_ATR,
    steps: [
      step('§12.2.2 case 1', '00 20 00 81 00', '90 00'),
      step('deliberately wrong: §12.2.3 makes P3 = 04 for Le = 04', '00 B0 00 00 05', H(cat('B0', seq(5), '90 00'))),
    ],
  },
  apdus: [
    { command: '00 20 00 81', clause: '§12.2.2', response: '90 00' },
    // The card falls silent at the mismatch: no procedure byte within WT (§10.2) is a mute card.
    { command: '00 B0 00 00 04', clause: 'script mismatch, then §10.2 WT', error: 'ICC_MUTE' },
  ],
};

// ───────────────────────────── T=1 (§11) ─────────────────────────────
// ATR: T0 = 80 (TD1), TD1 = 81 (TD2, T=1), TD2 = 31 (TA3 TB3, T=1), TA3 = FE (IFSC 254),
// TB3 = 45 (BWI 4, CWI 5), TCK (§8.2.5, present because T=1 is offered).
const T1_ATR = withTck(fromHex('3B 80 81 31 FE 45'));
/** BWT at Fd, f: 11 etu + 2^4 · 960 · Fd/f = 11 + 15360 = 15371 etu at D = 1 (§11.4.3). */
export const T1_BWT_ETU = 11 + 16 * 960;

const ifs = (edc: Edc = 'lrc'): Step =>
  step('§11.4.2/§11.6.2: the reader\'s first block is S(IFS request) with IFSD = 254 (FE); card answers S(IFS response)',
    sBlock(S.IFS, false, [0xfe], edc), H(sBlock(S.IFS, true, [0xfe], edc)));

const t1Write = fromHex('00 D6 00 00 28');
const t1WriteData = seq(40, 0x30);
const t1Tpdu = [...t1Write, ...t1WriteData]; // 45 bytes > IFSC 32 → two I-blocks
const t1Tpdu32 = [...fromHex('00 D6 00 00 1B'), ...seq(27, 0x50)]; // exactly IFSC
const t1Tpdu33 = [...fromHex('00 D6 00 00 1C'), ...seq(28, 0x50)]; // IFSC + 1

const t1Exchanges: Scenario = {
  file: 't1-exchanges.json',
  card: {
    name: 'blackbox t1-exchanges: ISO 7816-3 §11 IFS, I-blocks, chaining both ways, card S(IFS request)',
    comment: `ATR ${toHex(T1_ATR)} (TCK ${toHex(T1_ATR.slice(-1))}): T=1, IFSC 254, BWI 4, CWI 5, LRC. Sequence numbers per §11.6.2.`,
    atr: toHex(T1_ATR),
    steps: [
      ifs(),
      step('§11.6.2: I(0) carrying the APDU; card I(0)', iBlock(0, false, fromHex('00 B0 00 00 04')),
        H(iBlock(0, false, cat(seq(4, 0xa0), '90 00')))),
      step('§11.6.2.3 chaining: card sends I(1, M=1)', iBlock(1, false, fromHex('00 B0 00 00 00')),
        H(iBlock(1, true, seq(32)))),
      step('§11.6.2.3: reader acknowledges a chained I-block with R(N(R) = next N(S)) = R(0)', rBlock(0),
        H(iBlock(0, true, seq(32, 32)))),
      step('§11.6.2.3: R(1) for the next link; card sends the last link I(1, M=0)', rBlock(1),
        H(iBlock(1, false, cat(seq(4, 64), '90 00')))),
      step('§11.6.2.2: the card sends S(IFS request) IFSC = 32 instead of its answer', iBlock(0, false, fromHex('00 B0 00 00 02')),
        H(sBlock(S.IFS, false, [0x20]))),
      step('§11.6.2.2: reader answers S(IFS response) with the same INF; card then answers I(0)',
        sBlock(S.IFS, true, [0x20]), H(iBlock(0, false, fromHex('EE FF 90 00')))),
      step('§11.6.2.3 + §11.4.2: 45-byte TPDU > IFSC 32 → I(1, M=1) with 32 bytes', iBlock(1, true, t1Tpdu.slice(0, 32)),
        H(rBlock(0))),
      step('§11.6.2.3: last link I(0, M=0) with 13 bytes; card answers I(1)', iBlock(0, false, t1Tpdu.slice(32)),
        H(iBlock(1, false, fromHex('90 00')))),
      step('§11.4.2: a 32-byte TPDU fits IFSC 32: one I(1) without M', iBlock(1, false, t1Tpdu32),
        H(iBlock(0, false, fromHex('90 00')))),
      step('§11.4.2 + §11.6.2.3: a 33-byte TPDU does not: I(0, M) with 32 bytes', iBlock(0, true, t1Tpdu33.slice(0, 32)),
        H(rBlock(1))),
      step('§11.6.2.3: last link I(1) with 1 byte; card I(1)', iBlock(1, false, t1Tpdu33.slice(32)),
        H(iBlock(1, false, fromHex('90 00')))),
    ],
  },
  apdus: [
    { command: '00 B0 00 00 04', clause: '§11.6.2 I-block', response: hx(cat(seq(4, 0xa0), '90 00')) },
    { command: '00 B0 00 00 00', clause: '§11.6.2.3 card chaining', response: hx(cat(seq(68), '90 00')) },
    { command: '00 B0 00 00 02', clause: '§11.6.2.2 card S(IFS request)', response: 'EE FF 90 00' },
    { command: hx(t1Tpdu), clause: '§11.6.2.3 reader chaining', response: '90 00' },
    { command: hx(t1Tpdu32), clause: '§11.4.2 TPDU = IFSC', response: '90 00' },
    { command: hx(t1Tpdu33), clause: '§11.4.2 TPDU = IFSC + 1', response: '90 00' },
  ],
};

const t1Errors: Scenario = {
  file: 't1-errors.json',
  card: {
    name: 'blackbox t1-errors: ISO 7816-3 §11.6.2.2 WTX, §11.6.3 error handling (bad LRC, retransmission, lost block)',
    comment: `ATR ${toHex(T1_ATR)}: BWT = ${T1_BWT_ETU} etu (§11.4.3).`,
    atr: toHex(T1_ATR),
    steps: [
      ifs(),
      step('§11.6.2.2: card S(WTX request) INF 02', iBlock(0, false, fromHex('00 B0 00 00 02')), H(sBlock(S.WTX, false, [0x02]))),
      step('§11.6.2.2: S(WTX response) with the same INF; the next BWT is 2 × BWT: card answers after 20000 etu (> BWT, < 2 BWT)',
        sBlock(S.WTX, true, [0x02]), { waitEtu: 20000 }, H(iBlock(0, false, fromHex('AA BB 90 00')))),
      step('§11.6.3.2 rule 7.1: card I(1) with a bad LRC', iBlock(1, false, fromHex('00 B0 00 00 02')),
        H(corrupt(iBlock(1, false, fromHex('CC DD 90 00'))))),
      step('§11.6.3.2 rule 7.1 + §11.3.2.2: reader R(N(R) = 1) with ee = 01 (EDC error); card repeats correctly',
        rBlock(1, 1), H(iBlock(1, false, fromHex('CC DD 90 00')))),
      step('§11.6.3.2 rule 7.1 (card side): card R(0, EDC error) asks for the reader\'s I(0) again',
        iBlock(0, false, fromHex('00 B0 00 00 01')), H(rBlock(0, 1))),
      step('§11.6.2/§11.6.3: an R-block whose N(R) is the N(S) of the reader\'s last I-block asks for it again: the reader retransmits I(0) unchanged; card I(0)',
        iBlock(0, false, fromHex('00 B0 00 00 01')), H(iBlock(0, false, fromHex('42 90 00')))),
      step('§11.6.3.2 rule 7.1: the card\'s answer is lost (silence past BWT)', iBlock(1, false, fromHex('00 B0 00 00 01'))),
      step('§11.6.3.2 rule 7.1 + §11.3.2.2: BWT timeout → R(N(R) = 1), ee = 10 "other error" (no EDC/parity error was seen); card sends its I(1)',
        rBlock(1, 2), H(iBlock(1, false, fromHex('43 90 00')))),
    ],
  },
  apdus: [
    { command: '00 B0 00 00 02', clause: '§11.6.2.2 WTX', response: 'AA BB 90 00' },
    { command: '00 B0 00 00 02', clause: '§11.6.3.2 bad LRC', response: 'CC DD 90 00' },
    { command: '00 B0 00 00 01', clause: '§11.6.3.2 card R-block', response: '42 90 00' },
    { command: '00 B0 00 00 01', clause: '§11.6.3.2 BWT timeout', response: '43 90 00' },
  ],
};

// Same as T1_ATR but TB3 = 25: BWI 2, CWI 5 → BWT = 11 + 2^2 · 960 = 3851 etu (§11.4.3), to check that TB3 is used.
const T1_BWI2_ATR = withTck(fromHex('3B 80 81 31 FE 25'));
export const T1_BWI2_BWT_ETU = 11 + 4 * 960;
const t1Mute: Scenario = {
  file: 't1-mute.json',
  card: {
    name: 'blackbox t1-mute: ISO 7816-3 §11.6.3.2 rules 7.1/7.2/7.4 then rule 6 (RESYNCH), then deactivation',
    comment: `ATR ${toHex(T1_BWI2_ATR)}: TB3 = 25 → BWI 2, BWT = ${T1_BWI2_BWT_ETU} etu. The card receives everything but never answers after IFS. The reader sends R-blocks (3 transmissions in all), then S(RESYNCH request) up to 3 times, then gives up: the exchange gets an error, no data.`,
    atr: toHex(T1_BWI2_ATR),
    steps: [
      ifs(),
      step('§11.6.3.2: I(0) gets no answer within BWT', iBlock(0, false, fromHex('00 B0 00 00 04'))),
      step('rule 7.1: R(0), other error', rBlock(0, 2)),
      step('rule 7.2: R(0) again', rBlock(0, 2)),
      step('rule 7.2: R(0) again', rBlock(0, 2)),
      step('rule 7.4 → rule 6: S(RESYNCH request)', sBlock(S.RESYNCH, false)),
      step('rule 6: S(RESYNCH request) again', sBlock(S.RESYNCH, false)),
      step('rule 6: S(RESYNCH request) again; then the reader gives up (rule 6.4)', sBlock(S.RESYNCH, false)),
    ],
  },
  apdus: [{ command: '00 B0 00 00 04', clause: '§11.6.3.2 rule 6', error: 'ICC_MUTE' }],
};

// T=1 with CRC: T0 = C0 (TC1, TD1), TC1 = FF (N = 255: 11 etu between characters for T=1, §8.3),
// TD1 = 81, TD2 = 71 (TA3 TB3 TC3, T=1), TA3 = FE, TB3 = 45, TC3 = 01 → CRC (§11.4.4), TCK.
const T1_CRC_ATR = withTck(fromHex('3B C0 FF 81 71 FE 45 01'));
const t1Write200 = [...fromHex('00 D6 00 00 C8'), ...seq(200)];
const t1Crc: Scenario = {
  file: 't1-crc.json',
  card: {
    name: 'blackbox t1-crc: ISO 7816-3 §11.4.4 CRC EDC selected by TC3 = 01 (and §8.3 TC1 = FF for T=1)',
    comment: `ATR ${toHex(T1_CRC_ATR)}. Every block ends with 2 CRC bytes (reflected CCITT, preset FFFF, high byte first, as libccid).`,
    atr: toHex(T1_CRC_ATR),
    steps: [
      ifs('crc'),
      step('§11.4.4: I(0) with CRC', iBlock(0, false, fromHex('00 B0 00 00 04'), 'crc'),
        H(iBlock(0, false, cat(seq(4, 0xa0), '90 00'), 'crc'))),
      step('§11.6.2.3 chaining with CRC: card I(1, M=1)', iBlock(1, false, fromHex('00 B0 00 00 00'), 'crc'),
        H(iBlock(1, true, seq(40), 'crc'))),
      step('§11.6.2.3: R(0) with CRC; last link I(0)', rBlock(0, 0, 'crc'),
        H(iBlock(0, false, cat(seq(8, 40), '90 00'), 'crc'))),
      step('§11.6.3.2 rule 7.1: card I(1) with a bad CRC', iBlock(0, false, fromHex('00 B0 00 00 02'), 'crc'),
        H(corrupt(iBlock(1, false, fromHex('CC DD 90 00'), 'crc')))),
      step('rule 7.1: R(1) with ee = 01 and CRC; card repeats correctly', rBlock(1, 1, 'crc'),
        H(iBlock(1, false, fromHex('CC DD 90 00'), 'crc'))),
      step('§8.3 TC1 = FF: a 205-byte I(1) sent with the minimum character delay (≤ 12 etu, not 12 + 255)',
        iBlock(1, false, t1Write200, 'crc'), H(iBlock(0, false, fromHex('90 00'), 'crc'))),
    ],
  },
  apdus: [
    { command: '00 B0 00 00 04', clause: '§11.4.4 CRC I-block', response: hx(cat(seq(4, 0xa0), '90 00')) },
    { command: '00 B0 00 00 00', clause: '§11.4.4 CRC chaining', response: hx(cat(seq(48), '90 00')) },
    { command: '00 B0 00 00 02', clause: '§11.4.4 bad CRC', response: 'CC DD 90 00' },
    { command: hx(t1Write200), clause: '§8.3 TC1 = FF, T=1', response: '90 00' },
  ],
};

const T1_BAD_TCK_ATR = [...T1_ATR.slice(0, -1), T1_ATR[T1_ATR.length - 1] ^ 0x01];
const t1BadTck: Scenario = {
  file: 't1-bad-tck.json',
  card: {
    name: 'blackbox t1-bad-tck: ISO 7816-3 §8.2.5 TCK check',
    comment: `ATR ${toHex(T1_BAD_TCK_ATR)}: T=1 offered, TCK wrong (XOR of T0…TCK ≠ 0) → the ATR is invalid; no exchange may succeed.`,
    atr: toHex(T1_BAD_TCK_ATR),
    steps: [step('never reached: the ATR is invalid (§8.2.5)', '*', H(iBlock(0, false, fromHex('90 00'))))],
  },
  // No ATR is accepted, so the card stays unpowered: CCID XfrBlock to an inactive card fails with ICC_MUTE.
  apdus: [{ command: '00 B0 00 00 04', clause: '§8.2.5', error: 'ICC_MUTE' }],
};

// ───────────────────────────── PPS (§9) ─────────────────────────────
// ATR 3B 10 95: T0 = 10 (TA1 follows, no historical bytes), TA1 = 95 → Fi 512 (fmax 5 MHz ≥ 4 MHz), Di 16.
const PPS_ATR = '3B 10 95';
const ppsSteps = (): Step[] => [
  step('§12.2.2 case 1 after PPS', '00 20 00 81 00', '90 00'),
  step('§10.2: WT = 9600 · Fi/f does not depend on D: 100000 etu at Di 16 is 0.8 s < WT = 1.2288 s',
    '00 B0 00 00 02', { waitEtu: 100000 }, 'B0 01 02 90 00'),
];
const ppsDefaultSteps = (): Step[] => [
  step('§12.2.2 case 1 at Fd/Dd', '00 20 00 81 00', '90 00'),
  step('§12.2.3 case 2 at Fd/Dd', '00 B0 00 00 02', 'B0 01 02 90 00'),
];
const ppsApdus: Apdu[] = [
  { command: '00 20 00 81', clause: '§12.2.2', response: '90 00' },
  { command: '00 B0 00 00 02', clause: '§12.2.3', response: '01 02 90 00' },
];

const ppsEcho: Scenario = {
  file: 'pps-echo.json',
  card: {
    name: 'blackbox pps-echo: ISO 7816-3 §9 PPS to TA1 = 95 (Fi 512, Di 16), echoed by the card',
    comment: 'The reader proposes the card\'s TA1 (PPS FF 10 95 7A); the echo is a success (§9.3); F/D take effect afterwards.',
    atr: PPS_ATR, pps: 'echo', steps: ppsSteps(),
  },
  apdus: ppsApdus,
};

const ppsMute: Scenario = {
  file: 'pps-mute.json',
  card: {
    name: 'blackbox pps-mute: ISO 7816-3 §9.3 no PPS response → deactivate, continue at Fd/Dd',
    comment: 'The card never answers PPS: after the initial waiting time the reader deactivates, cold resets and goes on at Fd = 372, Dd = 1 without PPS.',
    atr: PPS_ATR, pps: 'mute', steps: ppsDefaultSteps(),
  },
  apdus: ppsApdus,
};

const ppsNoPps1: Scenario = {
  file: 'pps-no-pps1.json',
  card: {
    name: 'blackbox pps-no-pps1: ISO 7816-3 §9.3 PPS response without PPS1 = success at Fd/Dd',
    comment: 'Response FF 00 FF: PPSS, PPS0 (no PPS1, T=0), PCK. PPS1 absent → Fd/Dd; the protocol continues without reset.',
    atr: PPS_ATR, pps: H(fromHex('FF 00 FF')), steps: ppsDefaultSteps(),
  },
  apdus: ppsApdus,
};

const ppsBadPck: Scenario = {
  file: 'pps-bad-pck.json',
  card: {
    name: 'blackbox pps-bad-pck: ISO 7816-3 §9.3 PPS response with a wrong PCK = failure',
    comment: 'Response FF 10 95 00 (PCK should be 7A): unsuccessful → deactivate; the reader may cold reset and continue at Fd/Dd.',
    atr: PPS_ATR, pps: 'FF 10 95 00', steps: ppsDefaultSteps(),
  },
  apdus: ppsApdus,
};

// T=1 with TA1 = 13 (Fi 372, Di 4): T0 = 90 (TA1, TD1), TD1 = 81, TD2 = 31, TA3 = FE, TB3 = 45, TCK.
const PPS_T1_ATR = withTck(fromHex('3B 90 13 81 31 FE 45'));
const ppsT1: Scenario = {
  file: 'pps-t1.json',
  card: {
    name: 'blackbox pps-t1: ISO 7816-3 §9 PPS for T=1 at Di 4; §11.4.3 BWT counted with Fd, not the current etu',
    comment: `ATR ${toHex(PPS_T1_ATR)}. The card answers PPS with the exact bytes the reader must send, FF 11 13 FD (§9.2: T=1, PPS1 = TA1): the reader accepts the answer only if it echoes its request (§9.3), so fi/di = 372/4 proves the request. BWT = 11 etu + 2^4 · 960 · 372/f ≈ 61451 etu at Di 4, whatever f; the card answers after 40000 etu.`,
    atr: toHex(PPS_T1_ATR), pps: H(pps(1, 0x13)),
    steps: [
      ifs(),
      step('§11.4.3: BWT does not shrink with D: answer after 40000 etu (0.93 s < 1.43 s)',
        iBlock(0, false, fromHex('00 B0 00 00 04')), { waitEtu: 40000 }, H(iBlock(0, false, cat(seq(4, 0xa0), '90 00')))),
    ],
  },
  apdus: [{ command: '00 B0 00 00 04', clause: '§9 + §11.4.3', response: hx(cat(seq(4, 0xa0), '90 00')) }],
};


// ───────────────────────────── more T=1 error handling (§11.6.3) ─────────────────────────────
const t1Big = [...fromHex('00 D6 00 00 FF'), ...seq(255, 0x11)]; // 260-byte TPDU > IFSC 254 → 2 I-blocks
const t1AA = cat('00 00 04 AA'); // I(0) prologue + first INF byte; BB follows with bad parity
const t1AARest = cat('90 00'); // then the rest of INF and a LRC computed over the true bytes
const t1AABlock = iBlock(0, false, fromHex('AA BB 90 00'));
const t1Recovery: Scenario = {
  file: 't1-recovery.json',
  card: {
    name: 'blackbox t1-recovery: ISO 7816-3 §11.6.3.2 rule 7.1 inside chains, parity errors in T=1, wrong N(S)',
    comment: `ATR ${toHex(T1_ATR)}. Sequence numbers per §11.6.2; every error below is recoverable and the APDU must succeed.`,
    atr: toHex(T1_ATR),
    steps: [
      ifs(),
      step('§11.6.2.3: card chain, first link I(0, M)', iBlock(0, false, fromHex('00 B0 00 00 00')), H(iBlock(0, true, seq(20)))),
      step('§11.6.2.3: R(1); the second link arrives with a bad LRC', rBlock(1), H(corrupt(iBlock(1, true, seq(20, 20))))),
      step('§11.6.3.2 rule 7.2: after sending an R-block, an invalid block makes the reader resend that R-block (R(1), ee = 00, as libccid does; an R(1) with ee = 01 would be rule 7.1 and asks for the same block); the card repeats the link', rBlock(1), H(iBlock(1, true, seq(20, 20)))),
      step('§11.6.2.3: R(0); last link', rBlock(0), H(iBlock(0, false, cat(seq(4, 40), '90 00')))),
      step('§11.6.2.3: reader chain, 260-byte TPDU: I(1, M) with 254 bytes; the card asks again (R(1), EDC error)',
        iBlock(1, true, t1Big.slice(0, 254)), H(rBlock(1, 1))),
      step('§11.6.3: the reader retransmits I(1, M) unchanged; card R(0)', iBlock(1, true, t1Big.slice(0, 254)), H(rBlock(0))),
      step('§11.6.2.3: last link I(0) with 6 bytes; card I(1)', iBlock(0, false, t1Big.slice(254)), H(iBlock(1, false, fromHex('90 00')))),
      step('§11 (character level) + rule 7.1: a parity error in a T=1 block is not repeated at character level; the block is invalid',
        iBlock(1, false, fromHex('00 B0 00 00 02')), H(t1AA), { badParity: 'BB' }, H([...t1AARest, t1AABlock[t1AABlock.length - 1]])),
      step('rule 7.1 + §11.3.2.2: R(0) with ee = 01 (parity error); the card repeats I(0) correctly', rBlock(0, 1), H(t1AABlock)),
      step('§11.6.2.1: the card answers I(0) again although N(S) = 1 was due (a wrong N(S))',
        iBlock(0, false, fromHex('00 B0 00 00 01')), H(iBlock(0, false, fromHex('42 90 00')))),
      step('§11.6.3.2 rule 7.1 (ISO Annex A): a block with a wrong N(S) is invalid → R(1) "other error"; the card sends I(1)',
        rBlock(1, 2), H(iBlock(1, false, fromHex('43 90 00')))),
      step('§11.6.3.2: the card answers nothing (BWT)', iBlock(1, false, fromHex('00 B0 00 00 04'))),
      step('rule 7.1: R(0), other error', rBlock(0, 2)),
      step('rule 7.2: R(0) again', rBlock(0, 2)),
      step('rule 7.2: R(0) again', rBlock(0, 2)),
      step('rule 7.4 → rule 6: S(RESYNCH request); this time answered', sBlock(S.RESYNCH, false), H(sBlock(S.RESYNCH, true))),
      step('rule 6.3: after RESYNCH the parameters are back to their initial values (IFSD 32): the reader raises IFSD again (its choice; libccid keeps 32)',
        sBlock(S.IFS, false, [0xfe]), H(sBlock(S.IFS, true, [0xfe]))),
      step('rule 6.3: N(S) restarts at 0 on both sides: the interrupted APDU is sent again as I(0)', iBlock(0, false, fromHex('00 B0 00 00 04')),
        H(iBlock(0, false, fromHex('44 45 46 47 90 00')))),
      step('§11.6.2: the next APDU continues with I(1); card I(1)', iBlock(1, false, fromHex('00 B0 00 00 01')),
        H(iBlock(1, false, fromHex('48 90 00')))),
    ],
  },
  apdus: [
    { command: '00 B0 00 00 00', clause: 'rule 7.2 in a card chain', response: hx(cat(seq(44), '90 00')) },
    { command: hx(t1Big), clause: 'card R-block in a reader chain', response: '90 00' },
    { command: '00 B0 00 00 02', clause: 'T=1 parity error', response: 'AA BB 90 00' },
    { command: '00 B0 00 00 01', clause: 'wrong N(S)', response: '43 90 00' },
    { command: '00 B0 00 00 04', clause: 'rule 6 RESYNCH', response: '44 45 46 47 90 00' },
    { command: '00 B0 00 00 01', clause: 'after RESYNCH', response: '48 90 00' },
  ],
};

// ───────────────────────────── ATR interface bytes that set the rate (§8.3) ─────────────────────────────
const t0Guard: Scenario = {
  file: 't0-guard-wi.json',
  card: {
    name: 'blackbox t0-guard-wi: ISO 7816-3 §8.3 TC1 = 0A (extra guard time N = 10) and TC2 = 01 (WI = 1, §10.2)',
    comment: 'ATR 3B C0 0A 40 01: T0 = C0 (TC1, TD1), TC1 = 0A → GT = 12 + 10 = 22 etu between the reader\'s characters (§7.2, §8.3); TD1 = 40 (TC2 follows, T=0), TC2 = 01 → WI = 1, WT = 960 etu (§10.2).',
    atr: '3B C0 0A 40 01',
    steps: [
      step('§12.2.4 case 3 with 200 data bytes', '00 D6 00 00 C8', 'D6'),
      step('§8.3: 200 data bytes, each at ≥ 22 etu from the previous', seq(200), '90 00'),
      step('§10.2: silences of 900 etu < WT = 960 etu behind NULL bytes', '00 B0 00 00 02',
        '60', { waitEtu: 900 }, '60', { waitEtu: 900 }, 'B0 01 02 90 00'),
      step('§10.2: silence of 1100 etu > WT = 960 etu → mute', '00 B0 00 00 02', { waitEtu: 1100 }, 'B0 01 02 90 00'),
    ],
  },
  apdus: [
    { command: hx(cat('00 D6 00 00 C8', seq(200))), clause: '§8.3 TC1', response: '90 00' },
    { command: '00 B0 00 00 02', clause: '§10.2 within WT', response: '01 02 90 00' },
    { command: '00 B0 00 00 02', clause: '§10.2 WT exceeded', error: 'ICC_MUTE' },
  ],
};

const t0Guard255: Scenario = {
  file: 't0-guard-255.json',
  card: {
    name: 'blackbox t0-guard-255: ISO 7816-3 §8.3 TC1 = FF → N = 255 means the minimum delay, 12 etu for T=0',
    comment: 'ATR 3B 40 FF: TC1 = FF. N = 255 is not 255 etu of extra guard time: the reader\'s characters are 12 etu apart (§7.2, §8.3).',
    atr: '3B 40 FF',
    steps: [
      step('§12.2.4 case 3 with 200 data bytes', '00 D6 00 00 C8', 'D6'),
      step('§8.3: 200 data bytes at 12 etu', seq(200), '90 00'),
    ],
  },
  apdus: [{ command: hx(cat('00 D6 00 00 C8', seq(200))), clause: '§8.3 TC1 = FF', response: '90 00' }],
};

const ppsSpecific: Scenario = {
  file: 'pps-specific.json',
  card: {
    name: 'blackbox pps-specific: ISO 7816-3 §8.3 TA2 = 00 (specific mode T=0, TA1 parameters) → no PPS, Fi 512 / Di 16 at once',
    comment: 'ATR 3B 90 95 10 00: TA1 = 95, TD1 = 10 (TA2 follows, T=0), TA2 = 00. §9: PPS only in negotiable mode. The card is mute on PPS: a PPS attempt would show as a fallback to 372/1.',
    atr: '3B 90 95 10 00', pps: 'mute',
    steps: [
      step('§12.2.2 case 1 at Fi 512 / Di 16', '00 20 00 81 00', '90 00'),
      step('§12.2.3 case 2 at Fi 512 / Di 16', '00 B0 00 00 02', 'B0 01 02 90 00'),
    ],
  },
  apdus: ppsApdus,
};

const ppsImplicit: Scenario = {
  file: 'pps-implicit.json',
  card: {
    name: 'blackbox pps-implicit: ISO 7816-3 §8.3 TA2 = 10 (specific mode, b5 = 1 implicit) → no PPS, Fd / Dd',
    comment: 'ATR 3B 90 95 10 10: TA2 b5 = 1: parameters are implicit, TA1 is not used: Fd 372 / Dd 1; no PPS (card mute on PPS).',
    atr: '3B 90 95 10 10', pps: 'mute', steps: ppsDefaultSteps(),
  },
  apdus: ppsApdus,
};

const ppsFallbackCard = (file: string, what: string, reply: string): Scenario => ({
  file,
  card: {
    name: `blackbox ${file.replace('.json', '')}: ISO 7816-3 §9.3 unsuccessful PPS (${what}) → Fd/Dd`,
    comment: `Request FF 10 95 7A; response ${reply}: ${what}, so the exchange is unsuccessful (§9.3); the reader deactivates and may continue at Fd/Dd without PPS.`,
    atr: PPS_ATR, pps: reply, steps: ppsDefaultSteps(),
  },
  apdus: ppsApdus,
});
const ppsOtherPps1 = ppsFallbackCard('pps-other-pps1.json', 'PPS1 = 94 differs from the requested 95', 'FF 10 94 7B');
const ppsUnrequestedPps2 = ppsFallbackCard('pps-unrequested-pps2.json', 'PPS2 present but not requested', 'FF 30 95 00 5A');
const ppsOtherProtocol = ppsFallbackCard('pps-other-protocol.json', 'PPS0 names T=1, not the requested T=0', 'FF 11 95 7B');

const t1IfsRetry: Scenario = {
  file: 't1-ifs-retry.json',
  card: {
    name: 'blackbox t1-ifs-retry: ISO 7816-3 §11.6.2.2 + §11.6.3.2 rule 7.3: an S(IFS response) with another INF is not the response → S(IFS request) again',
    comment: `ATR ${toHex(T1_ATR)}. The S(IFS response) must carry the INF of the request (§11.3.2.3); a different one leaves the request unanswered.`,
    atr: toHex(T1_ATR),
    steps: [
      step('§11.6.2.2: S(IFS request) FE; the card answers S(IFS response) with INF 20 (wrong)', sBlock(S.IFS, false, [0xfe]),
        H(sBlock(S.IFS, true, [0x20]))),
      step('rule 7.3: the reader resends S(IFS request) FE; now answered correctly', sBlock(S.IFS, false, [0xfe]),
        H(sBlock(S.IFS, true, [0xfe]))),
      step('§11.6.2: I(0) exchange', iBlock(0, false, fromHex('00 B0 00 00 04')), H(iBlock(0, false, cat(seq(4, 0xa0), '90 00')))),
    ],
  },
  apdus: [{ command: '00 B0 00 00 04', clause: 'rule 7.3', response: hx(cat(seq(4, 0xa0), '90 00')) }],
};

const t1MissingTck: Scenario = {
  file: 't1-missing-tck.json',
  card: {
    name: 'blackbox t1-missing-tck: ISO 7816-3 §8.2.5 TCK absent although T=1 is offered',
    comment: 'ATR 3B 80 01: TD1 = 01 offers T=1, so TCK shall follow; the card stops after TD1. The ATR is incomplete (§8.2.5; §8.1 initial waiting time); no exchange may succeed.',
    atr: '3B 80 01',
    steps: [step('never reached: the ATR is incomplete', '*', H(iBlock(0, false, fromHex('90 00'))))],
  },
  // No ATR is accepted, so the card stays unpowered: CCID XfrBlock to an inactive card fails with ICC_MUTE.
  apdus: [{ command: '00 B0 00 00 04', clause: '§8.2.5', error: 'ICC_MUTE' }],
};

export const scenarios = {
  t0Cases, t0ProcedureConflict, t0Mute, t0Parity, t0WrongExpectation, t0Guard255,
  t1Exchanges, t1Errors, t1Mute, t1Crc, t1BadTck,
  ppsEcho, ppsMute, ppsNoPps1, ppsBadPck, ppsT1,
  t1Recovery, t0Guard, ppsSpecific, ppsImplicit, ppsOtherPps1, ppsUnrequestedPps2, ppsOtherProtocol,
  t1IfsRetry, t1MissingTck,
} satisfies Record<string, Scenario>;
export type ScenarioName = keyof typeof scenarios;

export const scriptText = (s: Scenario): string => `${JSON.stringify(s.card, null, 2)}\n`;
