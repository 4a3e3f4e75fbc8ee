// Black-box checks of PPS (ISO/IEC 7816-3 §9) through `ccid-reader sim --json` with the scripted
// cards of cards.ts (scripts/pps-*.json).
import test from 'ava';
import { scenarios } from './cards.js';
import { checkApdu, checkScriptCompleted, durationUs } from './check.js';

const { ppsEcho, ppsMute, ppsNoPps1, ppsBadPck, ppsT1, ppsSpecific, ppsImplicit, ppsOtherPps1, ppsUnrequestedPps2, ppsOtherProtocol } = scenarios;

test('ISO 7816-3 §9.3: PPS echoed for TA1 = 95 → fi 512, di 16; f within fmax 5 MHz; APDUs work', async (t) => {
  const r = await checkScriptCompleted(t, ppsEcho);
  t.is(r.fi, 512);
  t.is(r.di, 16);
  t.true(r.clockHz <= 5_000_000, `clockHz ${r.clockHz} > fmax (§8.3 table, FI = 9)`);
  await checkApdu(t, ppsEcho, 0);
  // 7 characters of case 1 at ≥ 12 etu: at Fd/Dd this is ≥ 7.8 ms; at Fi 512/Di 16 it is far shorter.
  t.true(durationUs(r, 0) < 2000, `case 1 took ${durationUs(r, 0)} µs: not at the negotiated rate`);
});
test('ISO 7816-3 §10.2 after PPS: WT = 960 · WI · Fi / f does not shrink with Di (100000 etu wait at Di 16)',
  (t) => checkApdu(t, ppsEcho, 1).then(() => {}));

test('ISO 7816-3 §9.3: no PPS response → the reader falls back to Fd/Dd (fi 372, di 1) and the APDUs work', async (t) => {
  const r = await checkScriptCompleted(t, ppsMute);
  t.is(r.fi, 372);
  t.is(r.di, 1);
  await checkApdu(t, ppsMute, 0);
  await checkApdu(t, ppsMute, 1);
});

test('ISO 7816-3 §9.3: PPS response without PPS1 is a success at Fd/Dd (fi 372, di 1)', async (t) => {
  const r = await checkScriptCompleted(t, ppsNoPps1);
  t.is(r.fi, 372);
  t.is(r.di, 1);
  await checkApdu(t, ppsNoPps1, 0);
  await checkApdu(t, ppsNoPps1, 1);
});

test('ISO 7816-3 §9.3: PPS response with a wrong PCK fails → Fd/Dd (fi 372, di 1), APDUs work', async (t) => {
  const r = await checkScriptCompleted(t, ppsBadPck);
  t.is(r.fi, 372);
  t.is(r.di, 1);
  await checkApdu(t, ppsBadPck, 0);
  await checkApdu(t, ppsBadPck, 1);
});

test('ISO 7816-3 §9.3 + §11.4.3: PPS for T=1 (TA1 = 13) → fi 372, di 4; BWT keeps its Fd-based length', async (t) => {
  const r = await checkScriptCompleted(t, ppsT1);
  t.is(r.protocol, 1);
  t.is(r.fi, 372);
  t.is(r.di, 4);
  await checkApdu(t, ppsT1, 0);
});

test('ISO 7816-3 §8.3 TA2 + §9.1: specific mode (TA2 = 00) → no PPS, TA1 values used at once (fi 512, di 16)', async (t) => {
  const r = await checkScriptCompleted(t, ppsSpecific);
  t.is(r.fi, 512);
  t.is(r.di, 16);
  await checkApdu(t, ppsSpecific, 0);
  await checkApdu(t, ppsSpecific, 1);
  t.true(durationUs(r, 0) < 2000, `case 1 took ${durationUs(r, 0)} µs: not at Fi 512 / Di 16`);
});
test('ISO 7816-3 §8.3 TA2 b5 = 1 + §9.1: specific mode with implicit parameters → no PPS, Fd/Dd (fi 372, di 1)', async (t) => {
  const r = await checkScriptCompleted(t, ppsImplicit);
  t.is(r.fi, 372);
  t.is(r.di, 1);
  await checkApdu(t, ppsImplicit, 0);
  await checkApdu(t, ppsImplicit, 1);
});
for (const [s, what] of [[ppsOtherPps1, 'PPS1 different from the request'], [ppsUnrequestedPps2, 'PPS2 not requested'],
  [ppsOtherProtocol, 'another protocol in PPS0']] as const) {
  test(`ISO 7816-3 §9.3: PPS response with ${what} is unsuccessful → Fd/Dd (fi 372, di 1), APDUs work`, async (t) => {
    const r = await checkScriptCompleted(t, s);
    t.is(r.fi, 372);
    t.is(r.di, 1);
    await checkApdu(t, s, 0);
    await checkApdu(t, s, 1);
  });
}
