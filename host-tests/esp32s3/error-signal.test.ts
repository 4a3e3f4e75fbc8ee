/**
 * ISO 7816-3 §7.3 on the virtual ESP32-S3 board, measured on the I/O line (error-signal.ts), for the
 * interrupt latencies 2, 5, 10 and 20 µs at every rate the board negotiates:
 * - the reader's error signal starts at 10.5 ± 0.2 etu and lasts 1 to 2 etu, and the card's
 *   repetition is received; where the latency does not allow that start, no signal is sent at all,
 *   the parity error goes upstream and the driver's trace says the signal is off — and only where
 *   the latency (to the 1 µs the driver's timer resolves) exceeds 0.2 etu;
 * - after the card's error signal the reader repeats no earlier than 2 etu after its detection
 *   (13 etu after the rejected character's leading edge), and the card gets the byte exactly once.
 */
import test from 'ava';
import {
  BOARD_RATES, etuNsOf, measureReaderSignal, measureRepetition, REPEAT_NOT_BEFORE_ETU, SIGNAL_START_TOLERANCE_ETU,
  type Rate,
} from './error-signal.js';

const BYTE = 0x5a;
const kbit = (rate: Rate): string => `${(1e6 / etuNsOf(rate)).toFixed(1)} kbit/s (${(etuNsOf(rate) / 1000).toFixed(1)} µs/etu)`;

for (const latencyUs of [2, 5, 10, 20]) {
  test(`§7.3 error signal and repetition with a ${latencyUs} µs interrupt latency, at every rate the board negotiates`, async (t) => {
    // Longer than ava's 10 s: two measured exchanges on the virtual board per negotiated rate.
    t.timeout(180_000);
    let highestSignal: Rate | null = null;
    for (const rate of BOARD_RATES) {
      const etu = etuNsOf(rate);
      const at = `${kbit(rate)}, ${latencyUs} µs`;
      const signal = await measureReaderSignal(latencyUs * 1000, rate);
      if (signal.sent) {
        t.true(signal.inSpec, `${at}: error signal at ${signal.startEtu?.toFixed(3)} etu for ${signal.widthEtu?.toFixed(3)} etu`);
        t.is(signal.received, BYTE, `${at}: the card's repetition is received`);
        t.deepEqual(signal.errors, [], at);
        if (highestSignal === null || etu < etuNsOf(highestSignal)) highestSignal = rate;
      } else {
        t.deepEqual(signal.errors, ['parity'], `${at}: no error signal, the parity error goes upstream`);
        t.true(signal.saidOff, `${at}: the trace says the error signal is off`);
        t.true((latencyUs + 1) * 1000 > SIGNAL_START_TOLERANCE_ETU * etu, `${at}: off although the latency fits in 0.2 etu`);
      }
      const repetition = await measureRepetition(latencyUs * 1000, rate);
      t.true(repetition.repeated && repetition.inSpec,
        `${at}: repetition ${repetition.delayEtu?.toFixed(2)} etu after the rejected character (≥ ${REPEAT_NOT_BEFORE_ETU}), the card's signal ended at ${repetition.signalEndEtu?.toFixed(2)} etu`);
      t.deepEqual(repetition.cardReceived, [BYTE], `${at}: the card got the byte once`);
      t.deepEqual(repetition.errors, [], at);
    }
    t.log(`error signal held up to ${highestSignal === null ? 'no rate (always off)' : kbit(highestSignal)}; repetition at every rate`);
    if (latencyUs <= 10) t.not(highestSignal, null, 'the ATR rate has its error signal at ≤ 10 µs latency');
  });
}

test('§7.3 late interrupts (30 µs at 6.4 µs/etu): the card\'s error signal is seen even once the spurious character it started is complete', async (t) => {
  const rate = BOARD_RATES.find((r) => r.F === 512 && r.D === 16)!;
  const repetition = await measureRepetition(30_000, rate);
  t.true(repetition.repeated && repetition.inSpec);
  t.deepEqual(repetition.cardReceived, [BYTE]);
  t.deepEqual(repetition.errors, []);
});
