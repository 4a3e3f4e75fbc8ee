import test from 'ava';
import { cyclesToEtu, cyclesToNs, etuNs, guardTimeEtu, TIMING_PROFILES, workWaitingEtu } from '../../firmware/iso7816/timing.js';

test('ISO 7816-3 §7.1: 1 etu = F / (D · f)', (t) => {
  t.is(etuNs(372, 1, 3_720_000), 100_000);
  t.is(etuNs(512, 8, 4_000_000), 16_000);
  t.is(cyclesToNs(400, 4_000_000), 100_000);
  t.is(cyclesToEtu(40_000, 372, 1), 40_000 / 372);
});

test('ISO 7816-3 §10.2: WT = WI · 960 · Fi / f, independent of D, in etu of the rate in force', (t) => {
  // Fd/Dd in force: WI = 10 gives the initial waiting time, 9600 etu.
  t.is(workWaitingEtu(10, 372, 372, 1), 9600);
  // After PPS to Fi 512 / Di 8 the same WT in seconds is 8 × as many (shorter) etu.
  t.is(workWaitingEtu(10, 512, 512, 8), 76_800);
  // PPS kept Fd while TA1 says Fi 512: WT still uses Fi.
  t.is(workWaitingEtu(10, 512, 372, 1) * etuNs(372, 1, 4e6), (10 * 960 * 512 * 1e9) / 4e6);
});

test('ISO 7816-3 §8.3 TC1: GT = 12 etu + N etu; N = 255 is 12 etu in T=0, 11 etu in T=1', (t) => {
  t.is(guardTimeEtu(0, 0), 12);
  t.is(guardTimeEtu(2, 1), 14);
  t.is(guardTimeEtu(255, 0), 12);
  t.is(guardTimeEtu(255, 1), 11);
});

test('ISO 7816-3 §6.2.2 and EMV Book 1 timing profiles: RST low ≥ 400 / 40 000–45 000 cycles, ATR window 40 000 / 42 001, EMV ATR ≤ 20 160 etu', (t) => {
  const { iso, emv } = TIMING_PROFILES;
  t.true(iso.resetLowCycles >= 400);
  t.is(iso.atrWindowCycles, 40_000);
  t.is(iso.atrTotalEtu, 0);
  t.true(iso.muteRetries);
  t.true(emv.resetLowCycles >= 40_000 && emv.resetLowCycles <= 45_000);
  t.is(emv.atrWindowCycles, 42_001);
  t.is(emv.atrTotalEtu, 20_160);
  t.false(emv.muteRetries);
  t.true(Object.isFrozen(TIMING_PROFILES) && Object.isFrozen(emv));
});
