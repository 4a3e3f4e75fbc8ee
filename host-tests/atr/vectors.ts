/**
 * ATR golden vectors. Each records where the bytes come from; every expected value was derived by
 * hand from ISO/IEC 7816-3:2006 §8 (not captured from the decoder's output).
 * "pcsc-tools L<n>" = line n of /usr/share/pcsc/smartcard_list.txt, Debian pcsc-tools 1.6.2-1.
 */

/** Parse test hex ("3B 00", "3b:00"). */
export function bytes(hex: string): Uint8Array {
  const digits = hex.replace(/[\s:]/g, '');
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The contract object with every field at its default (TA1, TC1, TC2, T=15 TA absent). */
export function defaults(hex: string): Record<string, unknown> {
  return {
    atr: hex.replace(/[\s:]/g, '').toUpperCase(), convention: 'direct', protocols: [0], defaultProtocol: 0, fiIndex: 1, diIndex: 1, fi: 372, di: 1,
    fmaxHz: 5_000_000, n: 0, wi: 10, specificMode: null, t1: null, classes: ['A'], clockStop: null,
    historical: '', tck: { required: false, present: false, valid: null }, errors: [],
  };
}

const T1_DEFAULTS = { ifsc: 32, cwi: 13, bwi: 4, edc: 'lrc' };
const TCK_OK = { required: true, present: true, valid: true };

export interface Golden {
  readonly name: string;
  readonly source: string;
  readonly hex: string;
  readonly expected: Record<string, unknown>;
}

export const GOLDEN: readonly Golden[] = [
  {
    name: 'T0 with K only: T=0 by default, no TCK (§8.2.5)',
    source: 'pcsc-tools L69',
    hex: '3B 02 14 50',
    expected: { ...defaults('3B 02 14 50'), historical: '1450' },
  },
  {
    name: 'EMV basic ATR for T=0: TB1 = 00, TC1 = 00',
    source: 'constructed to the EMV 4.3 Book 1 "basic ATR" structure for T=0 (K = 0)',
    hex: '3B 60 00 00',
    expected: defaults('3B 60 00 00'),
  },
  {
    name: 'EMV basic ATR for T=1: TD1 = 81, TD2 = 31, TA3 IFSC, TB3 BWI/CWI',
    source: 'constructed to the EMV 4.3 Book 1 "basic ATR" structure for T=1; TCK computed by hand',
    hex: '3B E0 00 00 81 31 FE 45 EB',
    expected: {
      ...defaults('3B E0 00 00 81 31 FE 45 EB'), protocols: [1], defaultProtocol: 1,
      t1: { ifsc: 254, cwi: 5, bwi: 4, edc: 'lrc' }, tck: TCK_OK,
    },
  },
  {
    name: 'TD1 T=0 then TD2 T=1: both offered, T=0 default, T=1 defaults (PC/SC Part 3 storage card)',
    source: 'pcsc-tools L7713 (PC/SC Part 3 contactless storage card, MIFARE Classic 1K)',
    hex: '3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A',
    expected: {
      ...defaults('3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A'), protocols: [0, 1],
      t1: T1_DEFAULTS, historical: '804F0CA00000030603000100000000', tck: TCK_OK,
    },
  },
  {
    name: 'TA1 DI = 8 (Di 12), TA3/TB3 after TD2 T=1',
    source: 'pcsc-tools L12888 (Estonian ID card EstEID 3.0); pyscard parseATR (smartcard-atr.appspot.com) agrees',
    hex: '3B FE 18 00 00 80 31 FE 45 80 31 80 66 40 90 A4 16 2A 00 83 0F 90 00 EF',
    expected: {
      ...defaults('3B FE 18 00 00 80 31 FE 45 80 31 80 66 40 90 A4 16 2A 00 83 0F 90 00 EF'), protocols: [0, 1], diIndex: 8, di: 12,
      t1: { ifsc: 254, cwi: 5, bwi: 4, edc: 'lrc' }, historical: '803180664090A4162A00830F9000', tck: TCK_OK,
    },
  },
  {
    name: 'T=1 only, then T=15 class indicator TA4 = 03 (classes A, B; clock stop not supported)',
    source: 'pcsc-tools L11026',
    hex: '3B DB 96 00 81 B1 FE 45 1F 03 80 F9 A0 00 00 03 08 00 00 10 00 18',
    expected: {
      ...defaults('3B DB 96 00 81 B1 FE 45 1F 03 80 F9 A0 00 00 03 08 00 00 10 00 18'), protocols: [1], defaultProtocol: 1,
      fiIndex: 9, diIndex: 6, fi: 512, di: 32, fmaxHz: 5_000_000, t1: { ifsc: 254, cwi: 5, bwi: 4, edc: 'lrc' },
      classes: ['A', 'B'], clockStop: 'not-supported', historical: '80F9A00000030800001000',
      tck: TCK_OK,
    },
  },
  {
    name: 'TA2 after TD1 T=1 is the specific mode byte, not IFSC (§8.3); IFSC from TA3',
    source: 'pcsc-tools L7929',
    hex: '3B 90 96 91 81 B1 FE 55 1F C7 D4',
    expected: {
      ...defaults('3B 90 96 91 81 B1 FE 55 1F C7 D4'), protocols: [1], defaultProtocol: 1, fiIndex: 9, diIndex: 6, fi: 512,
      di: 32, specificMode: { protocol: 1, canChange: false, implicit: false },
      t1: { ifsc: 254, cwi: 5, bwi: 5, edc: 'lrc' }, classes: ['A', 'B', 'C'], clockStop: 'no-preference',
      tck: TCK_OK,
    },
  },
  {
    name: 'TA3 after TD2 T=15 is the class indicator, not IFSC (§8.2.3 note on 3B 80 81 1F C7)',
    source: 'constructed from ISO/IEC 7816-3 §8.2 (TD1 T=1, TD2 T=15 with TA3): 3B 80 81 1F C7 D9; TCK checked by hand',
    hex: '3B 80 81 1F C7 D9',
    expected: {
      ...defaults('3B 80 81 1F C7 D9'), protocols: [1], defaultProtocol: 1, t1: T1_DEFAULTS,
      classes: ['A', 'B', 'C'], clockStop: 'no-preference', tck: TCK_OK,
    },
  },
  {
    name: 'specific mode T=0 (TA2 = 80: cannot change, parameters from TA1); ASCII historical bytes',
    source: 'pcsc-tools L8797',
    hex: '3B 9F 11 10 80 41 54 39 38 53 43 30 33 32 43 54 31 2E 35 35',
    expected: {
      ...defaults('3B 9F 11 10 80 41 54 39 38 53 43 30 33 32 43 54 31 2E 35 35'),
      specificMode: { protocol: 0, canChange: false, implicit: false },
      historical: '4154393853433033324354312E3535',
    },
  },
  {
    name: 'specific mode with implicit parameters (TA2 b5 = 1)',
    source: 'constructed (no literal ATR in pcsc-tools has TA2 b5 = 1)',
    hex: '3B 90 11 10 10',
    expected: { ...defaults('3B 90 11 10 10'), specificMode: { protocol: 0, canChange: true, implicit: true } },
  },
  {
    name: 'TC1 N = 2 and TC2 WI = 100 (§10.2)',
    source: 'pcsc-tools L12983',
    hex: '3B FF 11 00 02 40 64 80 69 A2 07 01 03 57 00 00 FF 00 83 00 90 00',
    expected: { ...defaults('3B FF 11 00 02 40 64 80 69 A2 07 01 03 57 00 00 FF 00 83 00 90 00'), n: 2, wi: 100,
      historical: '8069A2070103570000FF0083009000' },
  },
  {
    name: 'T=15 class indicator C6 (classes B, C; clock stop no preference), SPU in TB3',
    source: 'pcsc-tools L10056',
    hex: '3B 9F 96 C0 0A 3F C6 A0 80 31 E0 73 FE 21 1B 65 D0 01 74 0E EB 81 0F D7',
    expected: {
      ...defaults('3B 9F 96 C0 0A 3F C6 A0 80 31 E0 73 FE 21 1B 65 D0 01 74 0E EB 81 0F D7'), fiIndex: 9, diIndex: 6, fi: 512, di: 32,
      classes: ['B', 'C'], clockStop: 'no-preference', historical: '8031E073FE211B65D001740EEB810F', tck: TCK_OK,
    },
  },
  {
    name: 'inverse convention (TS = 3F), TB1 and TC1, T=0 only',
    source: 'pcsc-tools L13755',
    hex: '3F 65 25 00 24 09 6B 90 00',
    expected: { ...defaults('3F 65 25 00 24 09 6B 90 00'), convention: 'inverse', historical: '24096B9000' },
  },
  {
    name: 'class indicator with b6–b1 = 0 lists no class; clock stop state H',
    source: 'constructed; TCK computed by hand',
    hex: '3B 80 80 1F 80 9F',
    expected: { ...defaults('3B 80 80 1F 80 9F'), classes: [], clockStop: 'high', tck: TCK_OK },
  },
  {
    name: 'BWI above 9 (RFU) is reported as sent, without an error code',
    source: 'constructed; TCK computed by hand',
    hex: '3B 80 81 21 A5 85',
    expected: {
      ...defaults('3B 80 81 21 A5 85'), protocols: [1], defaultProtocol: 1, t1: { ifsc: 32, cwi: 5, bwi: 10, edc: 'lrc' },
      tck: TCK_OK,
    },
  },
];
