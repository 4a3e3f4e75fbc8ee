import test from 'ava';
import fc from 'fast-check';
import { atrRemaining, decodeAtr } from '../../firmware/iso7816/atr/decode.js';
import { atrToJson } from '../cli/atr-json.js';
import { bytes } from './vectors.js';

test('§8.1 framing: bad TS is -1 at once; nothing received needs TS and T0', (t) => {
  t.is(atrRemaining(bytes('03'), 1), -1);
  t.is(atrRemaining(bytes('3C 00'), 2), -1);
  t.is(atrRemaining(new Uint8Array(0), 0), 2);
  t.is(atrRemaining(bytes('3F'), 1), 1);
});

test('§8.2 framing: byte by byte through 3B DB 96 00 81 B1 FE 45 1F 03 … 18 [pcsc-tools L11026]', (t) => {
  const atr = bytes('3B DB 96 00 81 B1 FE 45 1F 03 80 F9 A0 00 00 03 08 00 00 10 00 18');
  // After T0 (DB): TA1 TC1 TD1 + K = 11 known; TD1 = 81 (T=1) adds TD2 and the TCK; TD2 = B1 adds TA3 TB3 TD3;
  // TD3 = 1F adds TA4.
  const expected = [2, 1, 14, 13, 12, 13, 15, 14, 13, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
  t.deepEqual(Array.from({ length: atr.length + 1 }, (_, n) => atrRemaining(atr, n)), expected);
});

test('§8.2.5 framing: TCK awaited only when some TDi indicates T ≠ 0', (t) => {
  t.is(atrRemaining(bytes('3B 02 14 50'), 4), 0);
  t.is(atrRemaining(bytes('3B 80 80 01'), 4), 1);
  t.is(atrRemaining(bytes('3B 80 80 00'), 4), 0);
});

test('framing reads only the first `length` bytes and clamps odd lengths', (t) => {
  const buf = bytes('3B 80 81 1F C7 D9');
  t.is(atrRemaining(buf, 3), atrRemaining(buf.slice(0, 3), 3));
  t.is(atrRemaining(buf, 100), 0);
  t.is(atrRemaining(buf, -5), 2);
  t.is(atrRemaining(buf, 2.7), atrRemaining(buf, 2));
});

/** A structurally valid ATR: random groups chained by TDi, K historical bytes, TCK iff some T ≠ 0. */
const validAtr = fc
  .record({
    inverse: fc.boolean(),
    groups: fc.array(fc.record({ abc: fc.integer({ min: 0, max: 7 }), t: fc.integer({ min: 0, max: 15 }) }), { maxLength: 5 }),
    lastAbc: fc.integer({ min: 0, max: 7 }),
    k: fc.integer({ min: 0, max: 15 }),
    fill: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  })
  .map(({ inverse, groups, lastAbc, k, fill }) => {
    const out: number[] = [inverse ? 0x3f : 0x3b];
    let f = 0;
    const next = () => fill[f++ % fill.length];
    // Y of each header: its TA/TB/TC bits plus TD when another group follows.
    const ys = [...groups.map((g) => g.abc | 8), lastAbc];
    out.push((ys[0] << 4) | k);
    let tck = false;
    for (let i = 0; i < ys.length; i++) {
      for (let bit = 0; bit < 3; bit++) if (ys[i] & (1 << bit)) out.push(next());
      if (i < groups.length) {
        // T = 15 is not allowed in TD1 (§8.2.3): keep the generated ATR error-free.
        const t = i === 0 && groups[i].t === 15 ? 14 : groups[i].t;
        if (t !== 0) tck = true;
        out.push((ys[i + 1] << 4) | t);
      }
    }
    for (let j = 0; j < k; j++) out.push(next());
    if (tck) out.push(out.slice(1).reduce((x, b) => x ^ b, 0));
    return Uint8Array.from(out);
  });

test('§8.2 property: decodeAtr never throws on arbitrary bytes and its JSON serialises', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), (b) => {
    JSON.stringify(atrToJson(decodeAtr(b)));
  }), { numRuns: 500 });
  t.pass();
});

test('§8.2 property: decodeAtr never throws on inputs that start like ATRs', (t) => {
  fc.assert(fc.property(fc.constantFrom(0x3b, 0x3f), fc.uint8Array({ maxLength: 40 }), (ts, rest) => {
    const info = decodeAtr(Uint8Array.from([ts, ...rest]));
    return info.convention !== null && info.protocols.length > 0;
  }), { numRuns: 500 });
  t.pass();
});

test('§8.2 property: atrRemaining never throws, whatever the bytes and the length', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), fc.integer({ min: -3, max: 60 }), (b, n) => {
    const r = atrRemaining(b, n);
    return Number.isInteger(r) && r >= -1;
  }), { numRuns: 500 });
  t.pass();
});

test('§8.2 property: on a valid ATR fed byte by byte atrRemaining is > 0 until exactly its length, a lower bound, then 0', (t) => {
  fc.assert(fc.property(validAtr, (atr) => {
    for (let n = 0; n < atr.length; n++) {
      const r = atrRemaining(atr, n);
      if (r <= 0 || n + r > atr.length) return false;
    }
    return atrRemaining(atr, atr.length) === 0;
  }), { numRuns: 300 });
  t.pass();
});

test('§8.2 property: decodeAtr accepts every generated valid ATR without framing errors, protocols from the TDi', (t) => {
  fc.assert(fc.property(validAtr, (atr) => {
    const info = decodeAtr(atr);
    const framing = info.errors.filter((e) => e === 'truncated' || e === 'missing-tck' || e === 'bad-tck' || e === 'trailing-bytes');
    const tds = info.interfaceBytes.filter((b) => b.name === 'TD').map((b) => b.value & 0x0f);
    const offered = [...new Set(tds.filter((x) => x !== 15))];
    return framing.length === 0 && info.tck.required === tds.some((x) => x !== 0) &&
      JSON.stringify(info.protocols) === JSON.stringify(offered.length > 0 ? offered : [0]);
  }), { numRuns: 300 });
  t.pass();
});

test('§8.2 property: every proper prefix of a valid ATR decodes as truncated or missing-tck', (t) => {
  fc.assert(fc.property(validAtr, (atr) => {
    for (let n = 1; n < atr.length; n++) {
      const errors = decodeAtr(atr.subarray(0, n)).errors;
      const expected = n === atr.length - 1 && decodeAtr(atr).tck.required ? 'missing-tck' : 'truncated';
      if (!errors.includes(expected)) return false;
    }
    return true;
  }), { numRuns: 150 });
  t.pass();
});
