/**
 * The rates the ESP32-S3 boards negotiate (ISO 7816-3 §7.1 etu = F / (D · f), §9 PPS): the table in
 * hal/moddable/README.md is what the boards' clocks, LEDC, the UART divider and the session's rate
 * choice give today (host-tests/device/rate-table.ts), and the figures that matter are worked out
 * here by hand from the ESP32-S3 TRM's dividers (UART: 80 MHz ÷ (integer + sixteenths); LEDC:
 * 80 MHz ÷ divider ÷ 2^resolution), independently of the code that builds the table.
 */
import test from 'ava';
import { chooseRate, RATE_TOLERANCE } from '../../firmware/iso7816/pps/rate.js';
import { baudRate } from '../../firmware/iso7816/timing.js';
import { cardUartCapabilities, closestBaud, MAX_BAUD } from '../../hal/moddable/card-line.js';
import { boardClocks, exactClock, rateSection, readmeTable } from './rate-table.js';

test('hal/moddable/README.md has the rate tables of the boards as they are (regenerate: npx tsx host-tests/device/rate-table.ts)', async (t) => {
  t.is(readmeTable(), rateSection(await boardClocks()));
});

test('§9: TA1 = 17 (Fi 372, Di 64, f max 5 MHz) is negotiated as is on every board: 860.2 kbit/s, the UART dividing 80 MHz by exactly 93', async (t) => {
  for (const { board, clocksHz } of await boardClocks()) {
    t.deepEqual(chooseRate(1, 7, clocksHz, clocksHz[0], cardUartCapabilities), { fiIndex: 1, diIndex: 7, F: 372, D: 64, clockHz: 5_000_000 }, board);
  }
  const baud = (64 * 5_000_000) / 372;
  t.is((80_000_000 * 372) / (64 * 5_000_000), 93);
  t.is(closestBaud(baud), 80_000_000 / 93);
  t.is(MAX_BAUD, baud);
});

test('every board clock is one LEDC makes exactly: 80 MHz ÷ 4 (2-bit resolution) ÷ a whole divider', async (t) => {
  for (const { board, clocksHz } of await boardClocks()) {
    for (const hz of clocksHz) {
      t.true(Number.isInteger(80_000_000 / 4 / hz), `${board}: ${hz} Hz`);
      t.true(exactClock(hz), `${board}: ${hz} Hz`);
    }
  }
  t.false(exactClock(6_000_000), '80 / 4 / 6 is no whole divider');
});

test('§9: no board ever proposes a rate beyond the UART or off by more than the tolerance, whatever the TA1', async (t) => {
  for (const { board, clocksHz } of await boardClocks()) {
    for (let fi = 0; fi < 16; fi++) {
      for (let di = 0; di < 16; di++) {
        const choice = chooseRate(fi, di, clocksHz, clocksHz[0], cardUartCapabilities);
        if (choice === null) continue;
        const baud = baudRate(choice.F, choice.D, choice.clockHz);
        t.true(baud <= MAX_BAUD * (1 + 1e-12), `${board} TA1 ${fi.toString(16)}${di.toString(16)}`);
        t.true(Math.abs(closestBaud(baud) - baud) <= baud * RATE_TOLERANCE, `${board} TA1 ${fi.toString(16)}${di.toString(16)}`);
      }
    }
  }
});

test('§9 with the 20 MHz clock: TA1 = 67 (Fi 1860, Di 64, f max 20 MHz) runs at 20 MHz, 688.2 kbit/s, the UART dividing by 116.25 (1860 · 16 / 256 sixteenths)', async (t) => {
  const tda = (await boardClocks()).find((b) => b.board === 'esp32s3-devkitc')!;
  const choice = chooseRate(6, 7, tda.clocksHz, tda.clocksHz[0], cardUartCapabilities)!;
  t.is(choice.clockHz, 20_000_000);
  const baud = (64 * 20_000_000) / 1860;
  t.is(80_000_000 / baud, 116.25);
  t.true(Math.abs(closestBaud(baud) - baud) / baud < 1e-5);
});
