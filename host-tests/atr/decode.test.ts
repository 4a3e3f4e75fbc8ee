import test from 'ava';
import { decodeAtr } from '../../firmware/iso7816/atr/decode.js';
import { atrToJson } from '../cli/atr-json.js';
import { diValue, fiValue, fmaxHz } from '../../firmware/iso7816/tables.js';
import { bytes, defaults, GOLDEN } from './vectors.js';

const json = (hex: string) => atrToJson(decodeAtr(bytes(hex)));

for (const v of GOLDEN) {
  test(`ISO 7816-3 §8.2/§8.3 golden: ${v.name} [${v.source}]`, (t) => {
    t.deepEqual(json(v.hex), v.expected);
  });
}

test('ccid-reader atr --json contract: the fields in the contract order', (t) => {
  t.deepEqual(Object.keys(json('3B 00')), [
    'atr', 'convention', 'protocols', 'defaultProtocol', 'fiIndex', 'diIndex', 'fi', 'di', 'fmaxHz', 'n', 'wi',
    'specificMode', 't1', 'classes', 'clockStop', 'historical', 'tck', 'errors',
  ]);
});

test('§8.1 TS: neither 3B nor 3F is bad-ts and nothing else is interpreted (TS 03 = inverse card read direct)', (t) => {
  t.deepEqual(json('03 E0 00 00 81 31 FE 45 EB'), {
    ...defaults('03 E0 00 00 81 31 FE 45 EB'), convention: null, protocols: [], defaultProtocol: null, errors: ['bad-ts'],
  });
});

test('§8.1 an empty answer has no TS: truncated, convention null', (t) => {
  const info = decodeAtr(new Uint8Array(0));
  t.is(info.convention, null);
  t.deepEqual(info.errors, ['truncated']);
});

test('§8.2.2 TS alone: T0 missing is truncated', (t) => {
  t.deepEqual(json('3B').errors, ['truncated']);
});

test('§8.2.2 truncated inside the interface bytes: TD1 announced but absent [constructed]', (t) => {
  const j = json('3B 90 96');
  t.deepEqual(j.errors, ['truncated']);
  t.is(j.fiIndex, 9);
  t.deepEqual(j.tck, { required: false, present: false, valid: null });
});

test('§8.2.4 K historical bytes announced, fewer received: truncated, the received ones kept [pcsc-tools L186]', (t) => {
  const j = json('3B 04 60 89');
  t.deepEqual(j.errors, ['truncated']);
  t.is(j.historical, '6089');
});

test('§8.2.5 TCK required (TD2 T=1) but absent after K historical bytes: missing-tck [pcsc-tools L6854]', (t) => {
  const j = json('3B 8C 80 01 50 27 52 31 81 00 00 00 00 00 71 81');
  t.deepEqual(j.errors, ['missing-tck']);
  t.deepEqual(j.tck, { required: true, present: false, valid: null });
  t.deepEqual(j.protocols, [0, 1]);
});

test('§8.2.5 T=0 and T=15 offered: TCK still required [pcsc-tools L8514]', (t) => {
  const j = json('3B 9E 95 80 1F C7 80 31 E0 73 FE 21 1B 66 D0 02 19 15 13 00');
  t.deepEqual(j.errors, ['missing-tck']);
  t.deepEqual(j.protocols, [0]);
  t.deepEqual(j.classes, ['A', 'B', 'C']);
});

test('§8.2.5 XOR of T0…TCK not 0: bad-tck [pcsc-tools L5852]', (t) => {
  const j = json('3B 86 80 01 06 75 77 81 02 8F 00');
  t.deepEqual(j.errors, ['bad-tck']);
  t.deepEqual(j.tck, { required: true, present: true, valid: false });
});

test('§8.2.5 T=0 only: a byte after the historical bytes is trailing, not a TCK [pcsc-tools L72]', (t) => {
  const j = json('3B 02 14 50 11');
  t.deepEqual(j.errors, ['trailing-bytes']);
  t.deepEqual(j.tck, { required: false, present: false, valid: null });
  t.is(j.historical, '1450');
});

test('§8.2.5 bytes after TCK are trailing; TCK still checked [pcsc-tools L5566 head, constructed tail]', (t) => {
  const j = json('3B 80 81 1F C7 D9 00');
  t.deepEqual(j.errors, ['trailing-bytes']);
  t.deepEqual(j.tck, { required: true, present: true, valid: true });
});

test('§11.4.2 IFSC FF is invalid, reported as sent [pcsc-tools L11977]', (t) => {
  const j = json('3B EF 00 FF 81 31 FF 65 49 42 4D 20 4D 46 43 39 32 32 39 32 38 39 30 17');
  t.deepEqual(j.errors, ['invalid-ifsc']);
  t.deepEqual(j.t1, { ifsc: 255, cwi: 5, bwi: 6, edc: 'lrc' });
  t.is(j.n, 255);
});

test('§11.4.2 IFSC 00 is invalid [constructed]', (t) => {
  t.deepEqual(json('3B 80 81 11 00 10').errors, ['invalid-ifsc']);
});

test('§11.4.2 invalid IFSC in inverse convention [pcsc-tools L14298]', (t) => {
  const j = json('3F FF 95 00 FF 91 81 71 FF 47 00 44 4E 41 53 50 53 30 31 20 44 73 68 36 30 39 16');
  t.is(j.convention, 'inverse');
  t.deepEqual(j.errors, ['invalid-ifsc']);
  t.deepEqual(j.specificMode, { protocol: 1, canChange: false, implicit: false });
  t.deepEqual(j.t1, { ifsc: 255, cwi: 7, bwi: 4, edc: 'lrc' });
});

test('§11.4.4 first TC for T=1 b1 = 1: CRC [constructed]', (t) => {
  const j = json('3B 80 81 41 01 41');
  t.deepEqual(j.errors, []);
  t.deepEqual(j.t1, { ifsc: 32, cwi: 13, bwi: 4, edc: 'crc' });
});

test('§8.2.3 T=15 in TD1: t15-in-td1, its bytes still framed; TA2 stays the specific mode byte [pcsc-tools L5585]', (t) => {
  t.deepEqual(json('3B 81 1F 00 CC 52'), {
    ...defaults('3B 81 1F 00 CC 52'), specificMode: { protocol: 0, canChange: true, implicit: false },
    historical: 'CC', tck: { required: true, present: true, valid: true }, errors: ['t15-in-td1'],
  });
});

test('§8.3 Table 7 RFU FI = F: rfu-fi, fi and fmax null, DI still decoded [pcsc-tools L1094]', (t) => {
  const j = json('3B 3B F7 18 00 00 80 31 FE 45 73 66 74 65 2D');
  t.deepEqual(j.errors, ['rfu-fi']);
  t.like(j, { fiIndex: 15, fi: null, fmaxHz: null, diIndex: 7, di: 64 });
});

test('§8.3 Table 8 RFU DI = 0: rfu-di; FI = 0 is Fi 372 at 4 MHz [pcsc-tools L920]', (t) => {
  const j = json('3B 34 00 00 30 42 30 30');
  t.deepEqual(j.errors, ['rfu-di']);
  t.like(j, { fiIndex: 0, fi: 372, fmaxHz: 4_000_000, diIndex: 0, di: null, historical: '30423030' });
});

test('§8.2.3 protocols: each T once, in TD order, T=15 excluded [constructed]', (t) => {
  // TD1 T=1, TD2 T=0, TD3 T=1, TD4 T=15 (TA5 class indicator), TCK.
  const j = json('3B 80 81 80 81 1F 07 18');
  t.deepEqual(j.protocols, [1, 0]);
  t.is(j.defaultProtocol, 1);
  t.deepEqual(j.errors, []);
  t.deepEqual(j.classes, ['A', 'B', 'C']);
});

test('§8.2 an ATR structurally longer than 33 bytes is decoded by its structure, without error code [constructed]', (t) => {
  // T0 with all of group 1 and K = 15; TD1 T=1 announcing TD2 only; TD2, TD3, TD4 T=1 announcing full
  // groups; TD5 T=1 ending the chain; TCK: 35 bytes. IFSC comes from TA3, the first TA for T=1.
  const body = [0xff, 0x11, 0x00, 0x00, 0x81, 0xf1, 0xfe, 0x45, 0x00, 0xf1, 0x20, 0x45, 0x00, 0xf1, 0x20, 0x45, 0x00, 0x01,
    ...Array.from({ length: 15 }, (_, i) => 0x41 + i)];
  const tck = body.reduce((x, b) => x ^ b, 0);
  const atr = Uint8Array.from([0x3b, ...body, tck]);
  t.is(atr.length, 35);
  const info = decodeAtr(atr);
  t.deepEqual(info.errors, []);
  t.deepEqual(info.t1, { ifsc: 254, cwi: 5, bwi: 4, edc: 'lrc' });
  t.is(info.historical.length, 15);
});

test('decodeAtr copies: later changes to the input do not reach the result', (t) => {
  const input = bytes('3B 02 14 50');
  const info = decodeAtr(input);
  input[2] = 0;
  t.is(info.historical[0], 0x14);
  t.is(info.atr[2], 0x14);
});

// ISO/IEC 7816-3:2006 §8.3 Tables 7 and 8, as restated in EMV Book 1 and illumos usr/src/common/ccid/atr.c.
const FI = [372, 372, 558, 744, 1116, 1488, 1860, null, null, 512, 768, 1024, 1536, 2048, null, null];
const FMAX_MHZ = [4, 5, 6, 8, 12, 16, 20, null, null, 5, 7.5, 10, 15, 20, null, null];
const DI = [null, 1, 2, 4, 8, 16, 32, 64, 12, 20, null, null, null, null, null, null];

test('ISO 7816-3 §8.3 Table 7: Fi and f(max) for every FI, RFU cells null (FI = 2 is 558, not 372)', (t) => {
  for (let i = 0; i < 16; i++) {
    t.is(fiValue(i), FI[i], `FI ${i}`);
    t.is(fmaxHz(i), FMAX_MHZ[i] === null ? null : FMAX_MHZ[i]! * 1e6, `FI ${i}`);
  }
});

test('ISO 7816-3 §8.3 Table 8: Di for every DI, RFU cells null (DI = 7 is 64, not RFU)', (t) => {
  for (let i = 0; i < 16; i++) t.is(diValue(i), DI[i], `DI ${i}`);
});

test('§8.3 tables: indices outside 0…15 or not integers are null, never a throw', (t) => {
  for (const i of [-1, 16, 1.5, Number.NaN, Infinity]) {
    t.is(fiValue(i), null);
    t.is(fmaxHz(i), null);
    t.is(diValue(i), null);
  }
});
