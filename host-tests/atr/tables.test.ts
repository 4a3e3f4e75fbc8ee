import test from 'ava';
import { diValue, fiValue, fmaxHz } from '../../firmware/iso7816/tables.js';

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
