import test from 'ava';
import fc from 'fast-check';
import { hex, parseHex, toHex } from '../../hal/sim/hex.js';

test('HEX: upper and lower case; spaces, tabs and colons anywhere between digits', (t) => {
  t.deepEqual(parseHex('3b 8F:00\t01'), { bytes: Uint8Array.of(0x3b, 0x8f, 0x00, 0x01) });
  t.deepEqual(parseHex(' 3B:02:14:50 '), { bytes: Uint8Array.of(0x3b, 0x02, 0x14, 0x50) });
  t.deepEqual(parseHex('3 b'), { bytes: Uint8Array.of(0x3b) });
  t.deepEqual(parseHex(''), { bytes: new Uint8Array(0) });
});

test('HEX errors name the problem: odd length apart from a character that is not hex', (t) => {
  t.deepEqual(parseHex('3B 0'), { error: 'odd length: 3 hex digits (two per byte)' });
  t.deepEqual(parseHex('0x3B'), { error: "not hex: 'x' at character 2" });
  t.deepEqual(parseHex('3B-02'), { error: "not hex: '-' at character 3" });
  t.deepEqual(parseHex('3B,02'), { error: "not hex: ',' at character 3" });
  t.throws(() => hex('3G'), { message: "bad hex literal '3G': not hex: 'G' at character 2" });
});

/** Node's own hex encoding, the oracle for the round trip. */
const nodeHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

test('HEX never throws; any bytes written as hex, with any separators, read back the same', (t) => {
  fc.assert(fc.property(fc.string(), (text) => {
    const r = parseHex(text);
    return 'bytes' in r || typeof r.error === 'string';
  }));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('', ' ', ':', '\t'), fc.boolean(), (bytes, separator, lower) => {
    let text = nodeHex(bytes).replace(/(..)(?!$)/g, `$1${separator}`);
    if (lower) text = text.toLowerCase();
    const r = parseHex(text);
    return 'bytes' in r && nodeHex(r.bytes) === nodeHex(bytes) && toHex(bytes) === nodeHex(bytes);
  }));
  t.pass();
});
