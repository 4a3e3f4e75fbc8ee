// Checks of the black-box helpers themselves (independent vectors), and that scripts/*.json match cards.ts.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarios, scriptText } from './cards.js';
import { crc16, fromHex, lrc, pps, withTck, block, sBlock, S } from './iso.js';

/** One cell of a reflected CRC table (register = i, 8 shifts), to compare with libccid's crctab. */
function cell(i: number): number {
  let v = i;
  for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
  return v;
}

test('ISO 7816-3 §11.4.4 CRC helper: catalogue check value and libccid table cells', (t) => {
  // CRC-16/MCRF4XX (poly 0x1021 reflected, init FFFF, no xorout), check value of "123456789":
  // 0x6F91 (Greg Cook's CRC RevEng catalogue).
  t.is(crc16([...Buffer.from('123456789', 'ascii')]), 0x6f91);
  // libccid src/openct/checksum.c crctab[1], crctab[128], crctab[255].
  t.is(cell(1), 0x1189);
  t.is(cell(128), 0x8408);
  t.is(cell(255), 0x0f78);
  // A block followed by its CRC (high byte first) — checking the residue: recomputing over the
  // prologue+INF gives the same 2 bytes.
  const b = block(0xc1, [0xfe], 'crc');
  const c = crc16(b.slice(0, -2));
  t.deepEqual(b.slice(-2), [c >> 8, c & 0xff]);
});

test('ISO 7816-3 §8.2.5 TCK, §11.4.3 LRC and §9.2 PCK helpers', (t) => {
  // TCK of the Yubikey 4 ATR of the reference list (3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4).
  t.deepEqual(withTck(fromHex('3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34')).slice(-1), [0xd4]);
  t.is(lrc([0x00, 0xc1, 0x01, 0xfe]), 0x3e);
  t.deepEqual(sBlock(S.IFS, false, [0xfe]), fromHex('00 C1 01 FE 3E'));
  t.deepEqual(pps(0, 0x95), fromHex('FF 10 95 7A'));
  t.deepEqual(pps(1, 0x13), fromHex('FF 11 13 FD'));
});

test('blackbox scripts/*.json are the ones cards.ts writes (npx tsx host-tests/blackbox/write-scripts.ts)', (t) => {
  for (const s of Object.values(scenarios)) {
    const path = fileURLToPath(new URL(`./scripts/${s.file}`, import.meta.url));
    t.is(readFileSync(path, 'utf8'), scriptText(s), s.file);
  }
});
