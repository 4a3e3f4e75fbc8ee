/**
 * A smoke check that the XS runner really executes firmware code: the ATR decoder (ISO 7816-3 §8.2)
 * on vectors whose every field is worked out by hand below. Names start with "xs-smoke" so they do not
 * collide with the protocol scenarios the session, T=1 and CCID work adds.
 */
import { decodeAtr } from '../../firmware/iso7816/atr/decode.js';
import { toHex } from '../../hal/sim/hex.js';
import { check, type Scenario } from './scenario.js';

function bytes(hexText: string): Uint8Array {
  const clean = hexText.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

export const scenarios: Scenario[] = [
  {
    // JCOP 2.4.1 (smartcard_list.txt): TA1 = 13 (Fi 372, Di 4), TD1 = 81 → T=1, TD2 = 31 → TA3 TB3
    // for T=1 (IFSC 254, BWI 4, CWI 5), 8 historical bytes "JCOPv241", TCK B7 (XOR T0…TCK = 0).
    name: 'xs-smoke: §8.2 T=1 ATR with TA1, IFSC and BWI/CWI decodes in XS',
    run() {
      const info = decodeAtr(bytes('3B F8 13 00 00 81 31 FE 45 4A 43 4F 50 76 32 34 31 B7'));
      same(info.errors, [], 'errors');
      same(info.convention, 'direct', 'convention');
      same(info.protocols, [1], 'protocols');
      same([info.fiIndex, info.diIndex, info.fi, info.di], [1, 3, 372, 4], 'Fi/Di');
      same(info.t1, { ifsc: 254, cwi: 5, bwi: 4, edc: 'lrc' }, 't1');
      same(toHex(info.historical), '4A434F5076323431', 'historical');
      same(info.tck, { required: true, present: true, valid: true }, 'tck');
    },
  },
  {
    // Schlumberger Multiflex 3k (smartcard_list.txt): T0 = 02, no interface bytes, 2 historical bytes.
    name: 'xs-smoke: §8.2 plain T=0 ATR takes the defaults (Fi 372, Di 1, WI 10)',
    run() {
      const info = decodeAtr(bytes('3B 02 14 50'));
      same(info.errors, [], 'errors');
      same(info.protocols, [0], 'protocols');
      same([info.fi, info.di, info.n, info.wi], [372, 1, 0, 10], 'defaults');
      same(info.tck, { required: false, present: false, valid: null }, 'tck');
    },
  },
  {
    name: 'xs-smoke: §8.1 a TS other than 3B/3F and a short ATR are errors, not exceptions',
    run() {
      same(decodeAtr(bytes('00 11 22')).errors, ['bad-ts'], 'bad TS');
      same(decodeAtr(bytes('3B F8 13')).errors.includes('truncated'), true, 'truncated');
    },
  },
];
