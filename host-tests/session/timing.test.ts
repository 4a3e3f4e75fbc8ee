/**
 * The timing module (firmware/iso7816/timing.ts) against the clauses' own formulas and numbers, and
 * the rule that it is the only place a timing rule is derived.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  blockWaitingEtu, blockWaitingNs, characterWaitingEtu, cyclesToEtu, cyclesToNs, dataRate, etuNs, TIMING_PROFILES,
  workWaitingEtu, workWaitingNs, type WaitingAttributes,
} from '../../firmware/iso7816/timing.js';

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

test('ISO 7816-3 §11.4.3: CWT = 11 + 2^CWI etu; BWT = 11 etu + 2^BWI · 960 · Fd / f, whatever F and D', (t) => {
  t.is(characterWaitingEtu(13), 11 + 8192);
  t.is(characterWaitingEtu(0), 12);
  // BWI 4 at Fd/Dd: 11 + 16 · 960 = 15 371 etu; at F 512 / D 8 the 960 · Fd / f part is 16 · 960 · 372 · 8 / 512 etu.
  t.is(blockWaitingEtu(4, 372, 1), 15_371);
  t.is(blockWaitingEtu(4, 512, 8), 11 + (16 * 960 * 372 * 8) / 512);
});

const ATTRIBUTES: WaitingAttributes = Object.freeze({ F: 372, D: 1, clockHz: 4e6, WI: 10, waitFi: 372, bwi: 4, cwi: 13 });

test('ISO 7816-3 §10.2, §11.4.3: WWT and BWT in ns from the attributes in force; WWT with the card\'s Fi, not the F in force', (t) => {
  t.is(workWaitingNs(ATTRIBUTES), 892_800_000, '10 · 960 · 372 / 4 MHz');
  t.is(workWaitingNs({ ...ATTRIBUTES, waitFi: 512 }), 1_228_800_000, 'a card at Fd whose TA1 says Fi 512');
  t.is(workWaitingNs({ ...ATTRIBUTES, F: 512, D: 8, waitFi: 512 }), 1_228_800_000, 'independent of D');
  t.is(blockWaitingNs(ATTRIBUTES), 11 * 93_000 + 1_428_480_000, '11 etu + 16 · 960 · 372 / 4 MHz');
  t.is(workWaitingNs({ ...ATTRIBUTES, clockHz: 0 }), 0, 'no clock, no time');
  t.is(blockWaitingNs({ ...ATTRIBUTES, clockHz: 0 }), 0);
});

test('CCID §5.1 dwDataRate: f · D / F in whole bit/s (10 752 at 4 MHz, Fd/Dd)', (t) => {
  t.is(dataRate(372, 1, 4e6), 10_752);
  t.is(dataRate(512, 8, 4e6), 62_500);
});

/** Source text without comments (this repository's firmware has no regular expression literals). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}

test('ISO 7816-3 timing is derived in one module: no other firmware source writes Fd (372), the 960 of WT and BWT, or an etu in ns', (t) => {
  const root = fileURLToPath(new URL('../../firmware/', import.meta.url));
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
  t.true(files.includes('iso7816/timing.ts'));
  for (const file of files) {
    if (file === 'iso7816/timing.ts' || file === 'iso7816/tables.ts') continue; // the rules; Table 7 (Fi 372 for FI 0 and 1)
    const source = code(readFileSync(path.join(root, file), 'utf8'));
    t.false(/\b(372|960)\b/.test(source), `${file} writes 372 or 960`);
    t.false(/\b1e9\b|1_000_000_000/.test(source), `${file} converts to ns itself`);
  }
});
