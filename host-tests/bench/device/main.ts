/**
 * The firmware-cost rig on a real ESP32-S3: the firmware alone — CCID class, slot engine, ISO 7816-3
 * session, T=0 / T=1 — between the rig's doubles (host-tests/bench/firmware-rig.ts: a USB double
 * above, a wire card UART replaying a recorded simulated card below), timed with the board's
 * microsecond clock (esp_timer, through hal/moddable/scheduler.ts). What `npm run bench -- firmware`
 * counts in computrons on the host, this measures in microseconds on the board, so the first person
 * with a board knows the real margin instead of the estimate (host-tests/bench/ESP32S3-ESTIMATE.md).
 *
 * For each case it prints the XS time per APDU and per character on the card line, with the rig's
 * own time (the same transfers replayed to a consumer that does nothing, firmware-rig.ts calibrate)
 * taken off, and the line rate the firmware sustains: the bit rate at which the line takes as long
 * as XS does (12 etu a character). What the device's card UART adds in XS (card-uart.ts: two native
 * calls and one delivery per block or TPDU) is not in the rig; card-block.c does the per-byte work.
 * Build and run (README, "Measure it on a board"):
 *   mcconfig -d -m -p esp32/esp32s3 host-tests/bench/device/manifest.json
 */
import { Esp32Scheduler } from '../../../hal/moddable/scheduler.js';
import { COST_CASES } from '../cost-cases.js';
import { calibrate, run, setup } from '../firmware-rig.js';

/** APDUs timed per case (a cycle of the recording is two). */
const SHORT_APDUS = 200;
const LONG_APDUS = 10;
/** Rounds per case; each side's quickest counts. */
const ROUNDS = 3;
/** Etu per character on the line (§7.2: 12 with N = 0). */
const ETU_PER_CHARACTER = 12;

const clock = new Esp32Scheduler();

function microseconds(work: () => void): number {
  const start = clock.now();
  work();
  return (clock.now() - start) / 1000;
}

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

/** One case, then back to the event loop (the task watchdog), then the next. */
function measure(index: number): void {
  const c = COST_CASES[index];
  if (c === undefined) {
    trace('done\n');
    return;
  }
  const s = setup({ card: c.card, prepare: c.prepare, apdu: c.apdu });
  const apdus = c.apdu.length > 100 ? LONG_APDUS : SHORT_APDUS;
  run({ count: 2 });
  // The quickest of a few rounds of each: an interrupt or another task in one round would otherwise
  // go to whichever side it fell in, and the difference could even come out negative.
  let all = Infinity;
  let rig = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    all = Math.min(all, microseconds(() => run({ count: apdus })) / apdus);
    rig = Math.min(rig, microseconds(() => calibrate({ cycles: apdus / 2 })) / apdus);
  }
  const firmware = all - rig;
  const perByte = firmware / s.lineBytes;
  const sustainedBaud = (s.lineBytes * ETU_PER_CHARACTER * 1e6) / firmware;
  trace(`${c.name} (T=${s.protocol}, ${s.lineBytes} line bytes, ${s.transfers} block-level transfers): `);
  trace(`${fixed(firmware, 0)} µs per APDU (rig ${fixed(rig, 0)} µs taken off), ${fixed(perByte, 2)} µs per line byte, `);
  trace(`the line could run at ${fixed(sustainedBaud / 1000, 1)} kbit/s before XS is the bottleneck\n`);
  clock.at(clock.now(), () => measure(index + 1));
}

export default function main(): void {
  trace('firmware-cost rig on the ESP32-S3 (XS time, esp_timer microseconds)\n');
  clock.at(clock.now(), () => measure(0));
}
