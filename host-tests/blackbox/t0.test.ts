// Black-box checks of T=0 (ISO/IEC 7816-3 §10, APDU mapping §12.2) through `ccid-reader sim --json`
// with the scripted cards of cards.ts (scripts/t0-*.json).
import test from 'ava';
import { scenarios } from './cards.js';
import { checkApdu, checkScriptCompleted, durationUs } from './check.js';

const ETU_US = (372 / 1 / 4_000_000) * 1e6; // Fd/Dd at the board's 4 MHz: 93 µs
const WT_ETU = 10 * 960; // §10.2, WI = 10 by default
const { t0Cases, t0ProcedureConflict, t0Mute, t0Parity, t0WrongExpectation, t0Guard, t0Guard255 } = scenarios;

test('ISO 7816-3 §8.2 + §10: ATR 3B 00 gives T=0 at Fd 372 / Dd 1', async (t) => {
  const r = await checkScriptCompleted(t, t0Cases);
  t.is(r.atr, '3B00');
  t.is(r.protocol, 0);
  t.is(r.fi, 372);
  t.is(r.di, 1);
});

test('ISO 7816-3 §12.2.2 T=0 case 1: header with P3 = 00, status returned', (t) => checkApdu(t, t0Cases, 0).then(() => {}));
test('ISO 7816-3 §12.2.3 + §10.3.2 T=0 case 2: Le = 00 goes out as P3 = 00 and means 256 bytes', async (t) => {
  const r = await checkApdu(t, t0Cases, 1);
  // 5 header characters + INS + 256 data + 2 status, each at least 12 etu (§7.2).
  t.true(durationUs(r, 1) >= (5 + 1 + 256 + 2) * 12 * ETU_US * 0.99, `duration ${durationUs(r, 1)} µs`);
});
test('ISO 7816-3 §12.2.3 T=0 case 2: Le = 05 goes out as P3 = 05', (t) => checkApdu(t, t0Cases, 2).then(() => {}));
test('ISO 7816-3 §10.3.3 T=0: SW1 (6A) as the first procedure byte ends the command', (t) => checkApdu(t, t0Cases, 3).then(() => {}));
test('ISO 7816-3 §12.2.4 T=0 case 3: INS procedure byte, then all the data', (t) => checkApdu(t, t0Cases, 4).then(() => {}));
test('ISO 7816-3 §12.2.5 T=0 case 4: sent as case 3, then 61xx → GET RESPONSE with P3 = min(xx, Ne) (Ne 16 < xx 32)',
  (t) => checkApdu(t, t0Cases, 5).then(() => {}));
test('ISO 7816-3 §12.2.5 T=0 case 4: Le = 00 (Ne 256), 61 20 → GET RESPONSE P3 = 20', (t) => checkApdu(t, t0Cases, 6).then(() => {}));
test('ISO 7816-3 §12.2.5 T=0 case 4: 90 00 after the data, no GET RESPONSE', (t) => checkApdu(t, t0Cases, 7).then(() => {}));
test('ISO 7816-3 §12.2.3 T=0 6Cxx: the reader resends the same header with P3 = xx', (t) => checkApdu(t, t0Cases, 8).then(() => {}));
test('ISO 7816-3 §10.3.3 T=0 INS ⊕ FF: one data byte at a time, then INS for the rest (sending)',
  (t) => checkApdu(t, t0Cases, 9).then(() => {}));
test('ISO 7816-3 §10.3.3 T=0 INS ⊕ FF: one data byte at a time, then INS for the rest (receiving)',
  (t) => checkApdu(t, t0Cases, 10).then(() => {}));
test('ISO 7816-3 §12.2.4 + §10.3.3 T=0 case 3: status right after the header → no data sent, status returned',
  (t) => checkApdu(t, t0Cases, 11).then(() => {}));
test('ISO 7816-3 §12.2.5 + §10.3.3 T=0 case 4: error status right after the header → no GET RESPONSE',
  (t) => checkApdu(t, t0Cases, 12).then(() => {}));
test('ISO 7816-3 §12.2.5 T=0 case 4: 61 00 (256 available), Ne 256 → GET RESPONSE P3 = 00', (t) => checkApdu(t, t0Cases, 13).then(() => {}));
test('ISO 7816-3 §12.2.5 T=0 case 4: 61 00 (256 available), Ne 16 → GET RESPONSE P3 = 10', (t) => checkApdu(t, t0Cases, 14).then(() => {}));
test('ISO 7816-3 §12.2.3 T=0 case 2 (EMV Book 1 §9.3.1.2): 61 04 → GET RESPONSE with P3 = min(04, Ne)', (t) => checkApdu(t, t0Cases, 15).then(() => {}));
test('ISO 7816-3 §10.3.3 T=0: data then a warning status (62 82) → data and status returned', (t) => checkApdu(t, t0Cases, 16).then(() => {}));
test('ISO 7816-3 §10.3.3 + §10.2 T=0 NULL 60: each NULL restarts WT (2 × 9000 etu of silence), NULL after data', async (t) => {
  const r = await checkApdu(t, t0Cases, 17);
  t.true(durationUs(r, 17) >= 18000 * ETU_US, `duration ${durationUs(r, 17)} µs`);
});
test('ISO 7816-3 §10 / §12.2: every transmission of the reader matched the script (t0-cases)', (t) =>
  checkScriptCompleted(t, t0Cases).then(() => {}));

test('ISO 7816-3 §10.3.3 T=0: an invalid procedure byte (A5) → PROCEDURE_BYTE_CONFLICT', async (t) => {
  await checkApdu(t, t0ProcedureConflict, 0);
  await checkScriptCompleted(t, t0ProcedureConflict);
});

test('ISO 7816-3 §10.2 T=0: card silent mid-command → ICC_MUTE, not before WT = 9600 etu', async (t) => {
  const r = await checkApdu(t, t0Mute, 0);
  t.true(durationUs(r, 0) >= WT_ETU * ETU_US, `duration ${durationUs(r, 0)} µs < WT ${WT_ETU * ETU_US} µs`);
  // And not absurdly later either (WT plus the transfer itself, with margin).
  t.true(durationUs(r, 0) <= (WT_ETU + 200) * ETU_US * 1.1, `duration ${durationUs(r, 0)} µs`);
  await checkScriptCompleted(t, t0Mute);
});

test('ISO 7816-3 §7.3 T=0: a character that keeps its parity error → bounded repetitions → XFR_PARITY_ERROR', async (t) => {
  await checkApdu(t, t0Parity, 0);
});

test('Scripted card contract with ISO 7816-3 §12.2.3 P3 = Le: a wrong expectation fails the script at step 2', async (t) => {
  const r = await checkApdu(t, t0WrongExpectation, 0);
  await checkApdu(t, t0WrongExpectation, 1);
  t.is(r.script?.completed, false);
  t.is(r.script?.failedStep, 2);
  t.truthy(r.script?.reason);
});

test('ISO 7816-3 §8.3 TC1 = 0A: the reader spaces its characters by 12 + N = 22 etu (extra guard time)', async (t) => {
  const r = await checkApdu(t, t0Guard, 0);
  // 205 characters from the reader (header + 200 data bytes) at ≥ 22 etu each; at 12 etu this would be ≈ 229 ms.
  t.true(durationUs(r, 0) >= 205 * 22 * ETU_US * 0.99, `duration ${durationUs(r, 0)} µs: extra guard time not applied`);
});
test('ISO 7816-3 §10.2 T=0: TC2 = 01 → WT = 960 etu: 900 etu silences pass (behind NULLs)', async (t) => {
  const r = await checkApdu(t, t0Guard, 1);
  t.is(r.atr, '3BC00A4001');
});
test('ISO 7816-3 §10.2 T=0: TC2 = 01 → WT = 960 etu: an 1100 etu silence → ICC_MUTE, after WT', async (t) => {
  const r = await checkApdu(t, t0Guard, 2);
  t.true(durationUs(r, 2) >= 960 * ETU_US, `duration ${durationUs(r, 2)} µs`);
  t.true(durationUs(r, 2) < 1100 * ETU_US, `duration ${durationUs(r, 2)} µs: WT not taken from TC2`);
  await checkScriptCompleted(t, t0Guard);
});
test('ISO 7816-3 §8.3 TC1 = FF (N = 255) T=0: minimum delay 12 etu, not 12 + 255', async (t) => {
  const r = await checkApdu(t, t0Guard255, 0);
  await checkScriptCompleted(t, t0Guard255);
  // 205 reader characters + 3 card characters at 12 etu, plus a little turnaround.
  const etu = durationUs(r, 0) / ETU_US;
  t.true(etu >= 205 * 12 && etu <= (208 * 12 + 50) * 1.02, `${etu} etu`);
});
