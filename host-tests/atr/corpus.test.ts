/**
 * Every literal ATR of pcsc-tools' smartcard_list.txt (no `.`/`[` wildcards) through the decoder, checked
 * against invariants that follow from ISO/IEC 7816-3:2006 §8.2 alone, recomputed here independently.
 * The file comes with Debian's pcsc-tools, which `npm test` installs: without it this test fails, naming it.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { SMARTCARD_LIST as LIST, requirePackages } from '../setup/debian-packages.js';
import { atrRemaining, decodeAtr, type AtrError } from '../../firmware/iso7816/atr/decode.js';
import { atrToJson } from '../cli/atr-json.js';

const LITERAL = /^[0-9A-Fa-f]{2}( [0-9A-Fa-f]{2})*\s*$/;

interface Structure {
  /** Bytes up to the end of the historical bytes. */
  bodyLength: number;
  tckRequired: boolean;
  t15InTd1: boolean;
}

/** §8.2: the length the structure announces, or null when the bytes end inside the interface bytes. */
function structure(atr: Uint8Array): Structure | null {
  if (atr.length < 2) return null;
  const k = atr[1] & 0x0f;
  let header = atr[1];
  let at = 2;
  let tckRequired = false;
  let t15InTd1 = false;
  for (let i = 1; ; i++) {
    const count = [0x10, 0x20, 0x40, 0x80].filter((m) => header & m).length;
    if (at + count > atr.length) return null;
    at += count;
    if (!(header & 0x80)) break;
    header = atr[at - 1];
    if ((header & 0x0f) !== 0) tckRequired = true;
    if (i === 1 && (header & 0x0f) === 15) t15InTd1 = true;
  }
  return { bodyLength: at + k, tckRequired, t15InTd1 };
}

test('ISO 7816-3 §8.2 corpus: every literal ATR of pcsc-tools decodes consistently with the TCK and length rules', (t) => {
  requirePackages('pcsc-tools');
  const lines = readFileSync(LIST, 'latin1').split('\n');
  const counts: Partial<Record<AtrError, number>> = {};
  let atrs = 0;
  let clean = 0;
  // Collected and asserted once: tens of thousands of separate assertions would cost more than the decoding.
  const problems: string[] = [];
  const check = (ok: boolean, what: string, where: string) => { if (!ok) problems.push(`${where}: ${what}`); };
  const same = (a: unknown, b: unknown, what: string, where: string) => check(a === b, `${what}: ${String(a)} ≠ ${String(b)}`, where);
  for (let n = 0; n < lines.length; n++) {
    if (!LITERAL.test(lines[n])) continue;
    const where = `L${n + 1}: ${lines[n]}`;
    const atr = Uint8Array.from(lines[n].trim().split(/\s+/), (h) => parseInt(h, 16));
    const info = decodeAtr(atr);
    const json = atrToJson(info);
    atrs++;
    if (info.errors.length === 0) clean++;
    for (const e of info.errors) counts[e] = (counts[e] ?? 0) + 1;

    const has = (e: AtrError) => info.errors.includes(e);
    same(json.atr, lines[n].replace(/\s/g, '').toUpperCase(), 'atr echo', where);
    same(has('bad-ts'), atr[0] !== 0x3b && atr[0] !== 0x3f, 'bad-ts', where);
    if (info.convention === null) continue;
    check(info.protocols.length > 0 && !info.protocols.includes(15), 'protocols empty or with 15', where);
    same(new Set(info.protocols).size, info.protocols.length, 'protocols unique', where);
    same(info.defaultProtocol, info.specificMode?.protocol ?? info.protocols[0], 'defaultProtocol', where);
    same(info.t1 !== null, info.protocols.includes(1), 't1 iff T=1 offered', where);
    same(info.tck.valid === null, !info.tck.present, 'tck.valid null iff absent', where);

    const s = structure(atr);
    if (s === null) {
      check(has('truncated'), 'ends inside the interface bytes but not truncated', where);
      continue;
    }
    const total = s.bodyLength + (s.tckRequired ? 1 : 0);
    same(has('t15-in-td1'), s.t15InTd1, 't15-in-td1', where);
    same(info.tck.required, s.tckRequired, 'tck.required', where);
    same(has('truncated'), atr.length < s.bodyLength, 'truncated', where);
    same(has('missing-tck'), s.tckRequired && atr.length === s.bodyLength, 'missing-tck', where);
    same(has('trailing-bytes'), atr.length > total, 'trailing-bytes', where);
    same(info.tck.present, s.tckRequired && atr.length >= total, 'tck.present', where);
    if (info.tck.present) {
      const xor = atr.subarray(1, total).reduce((x, b) => x ^ b, 0);
      same(info.tck.valid, xor === 0, 'tck.valid', where);
      same(has('bad-tck'), xor !== 0, 'bad-tck', where);
    }
    if (atr.length >= s.bodyLength) same(info.historical.length, atr[1] & 0x0f, 'historical length = K', where);
    if (info.errors.length === 0) same(atr.length, total, 'length of an error-free ATR', where);
    // Framing agrees with decoding: complete exactly at the structural length.
    same(atrRemaining(atr, atr.length), Math.max(0, total - atr.length), 'atrRemaining at the end', where);
    check(atrRemaining(atr, Math.min(atr.length, total) - 1) > 0, 'atrRemaining complete too early', where);
  }
  t.deepEqual(problems, []);
  t.log(`${atrs} literal ATRs, ${clean} without errors; error counts: ${JSON.stringify(counts)}`);
  t.true(atrs > 3000, `only ${atrs} literal ATRs found in ${LIST}`);
});
