/**
 * Every literal ATR of pcsc-tools' smartcard_list.txt (no `.`/`[` wildcards) through the decoder, checked
 * against invariants that follow from ISO/IEC 7816-3:2006 §8.2 alone, recomputed here independently.
 * The file comes with Debian's pcsc-tools, which CI installs: if it is missing this test fails.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { atrRemaining, atrToJson, decodeAtr, type AtrError } from '../../firmware/iso7816/atr.js';

const LIST = '/usr/share/pcsc/smartcard_list.txt';
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
  const lines = readFileSync(LIST, 'latin1').split('\n');
  const counts: Partial<Record<AtrError, number>> = {};
  let atrs = 0;
  let clean = 0;
  for (let n = 0; n < lines.length; n++) {
    if (!LITERAL.test(lines[n])) continue;
    const where = `L${n + 1}: ${lines[n]}`;
    const atr = Uint8Array.from(lines[n].trim().split(/\s+/), (h) => parseInt(h, 16));
    const info = decodeAtr(atr);
    const json = atrToJson(info);
    atrs++;
    if (info.errors.length === 0) clean++;
    for (const e of info.errors) counts[e] = (counts[e] ?? 0) + 1;

    t.is(json.atr, lines[n].replace(/\s/g, '').toUpperCase(), where);
    t.is(info.errors.includes('bad-ts'), atr[0] !== 0x3b && atr[0] !== 0x3f, where);
    if (info.convention === null) continue;
    t.true(info.protocols.length > 0 && !info.protocols.includes(15), where);
    t.is(new Set(info.protocols).size, info.protocols.length, where);
    t.is(info.defaultProtocol, info.specificMode?.protocol ?? info.protocols[0], where);
    t.is(info.t1 !== null, info.protocols.includes(1), where);
    t.is(info.tck.valid === null, !info.tck.present, where);

    const s = structure(atr);
    if (s === null) {
      t.true(info.errors.includes('truncated'), where);
      continue;
    }
    t.is(info.errors.includes('t15-in-td1'), s.t15InTd1, where);
    t.is(info.tck.required, s.tckRequired, where);
    const total = s.bodyLength + (s.tckRequired ? 1 : 0);
    t.is(info.errors.includes('truncated'), atr.length < s.bodyLength, where);
    t.is(info.errors.includes('missing-tck'), s.tckRequired && atr.length === s.bodyLength, where);
    t.is(info.errors.includes('trailing-bytes'), atr.length > total, where);
    t.is(info.tck.present, s.tckRequired && atr.length >= total, where);
    if (info.tck.present) {
      const xor = atr.subarray(1, total).reduce((x, b) => x ^ b, 0);
      t.is(info.tck.valid, xor === 0, where);
      t.is(info.errors.includes('bad-tck'), xor !== 0, where);
    }
    if (atr.length >= s.bodyLength) t.is(info.historical.length, atr[1] & 0x0f, where);
    if (info.errors.length === 0) t.is(atr.length, total, where);
    // Framing agrees with decoding: complete exactly at the structural length.
    t.is(atrRemaining(atr, atr.length), atr.length >= total ? 0 : total - atr.length, where);
    t.true(atrRemaining(atr, Math.min(atr.length, total) - 1) > 0, where);
  }
  t.log(`${atrs} literal ATRs, ${clean} without errors; error counts: ${JSON.stringify(counts)}`);
  t.true(atrs > 3000, `only ${atrs} literal ATRs found in ${LIST}`);
});
