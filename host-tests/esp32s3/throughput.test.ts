/**
 * The card line at full speed on the virtual ESP32-S3 board, with a 10 µs interrupt latency (five
 * times the board's default): the whole device path — firmware, card-uart.ts, card-uart.c and
 * card-block.c on the modelled UART — against the time the characters need when packed as tightly
 * as ISO 7816-3 allows (§7.2 guard time, §11.2 BGT, §7.2 T=0 turnaround; the card answers at once).
 * Virtual time is exact, so these are tests; `npm run bench -- esp32s3` shows the same figures.
 */
import test from 'ava';
import { esp32s3Echo } from './echo.js';

test('§11: T=1 ECHO of 4 KB each way at Fi 372 / Di 64, 5 MHz (860.2 kbit/s) takes at most 1.01 of the wire minimum', async (t) => {
  t.timeout(120_000);
  const row = await esp32s3Echo('t1-fast', 10_000, 4096);
  t.is(row.kbitPerS, 860.2);
  t.is(row.characters, 8467);
  t.log(`${row.virtualUs} µs, wire minimum ${row.idealUs} µs: ${row.idealRatio}`);
  t.true(row.idealRatio! <= 1.01, `${row.idealRatio}`);
});

test('§10: T=0 ECHO of 4 KB each way at 13.4 kbit/s (TA1 11 at 5 MHz: the fastest rate whose error signal holds with 10 µs latency) stays within 2 % of the wire minimum', async (t) => {
  t.timeout(120_000);
  const row = await esp32s3Echo('t0-5mhz', 10_000, 4096);
  t.is(row.kbitPerS, 13.4);
  t.log(`${row.virtualUs} µs, wire minimum ${row.lineUs} µs: ${row.lineRatio}`);
  t.true(row.lineRatio <= 1.02, `${row.lineRatio}`);
});
