/**
 * The bench app for a board (host-tests/bench/device/main.ts) runs in XS as mcconfig would build it,
 * with stand-ins for the only native functions it calls (scheduler.c: the microsecond clock and the
 * one-shot timer) and for XS's `trace`: every case is measured once, one per turn of the event
 * loop, and reported with a time per APDU, per line byte and a sustained rate.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { bundleForXs } from './bundle.js';
import { startXsWorker } from './worker.js';
import { COST_CASES } from '../bench/cost-cases.js';

const STANDINS = `
globalThis.Native = () => class {};
globalThis.__output = [];
globalThis.trace = (...values) => { globalThis.__output.push(values.join('')); };
let fired = null;
const natives = {
  xs_scheduler_microseconds() { return performance.now() * 1000; },
  xs_scheduler_timer(callback) { this.callback = callback; },
  xs_scheduler_timer_start() { fired = this.callback; },
  xs_scheduler_timer_stop() { fired = null; },
};
globalThis.native = (name) => natives[name];
globalThis.__turn = () => {
  const callback = fired;
  fired = null;
  if (callback) callback();
  return callback !== null;
};
`;

test('the board\'s bench app measures every case in XS and prints its time per APDU, per line byte and the rate it sustains', async (t) => {
  t.timeout(600_000);
  const app = await bundleForXs({ entry: { file: fileURLToPath(new URL('../bench/device/main.ts', import.meta.url)) }, globalName: '__app' });
  const worker = await startXsWorker({ name: 'bench-app' });
  try {
    const error = await worker.load('app', `${STANDINS}${app}
globalThis.__xsHandlers.main = () => { __app.default(); return null; };
globalThis.__xsHandlers.turn = () => globalThis.__turn();
globalThis.__xsHandlers.output = () => globalThis.__output.join('');`);
    t.is(error, null);
    await worker.request('main');
    // One case per turn of the event loop, then 'done'.
    for (let turns = 0; turns <= COST_CASES.length; turns++) if (!(await worker.request('turn')).reply) break;
    const output = (await worker.request('output')).reply as string;
    const lines = output.trim().split('\n');
    t.log(output);
    t.is(lines[0], 'firmware-cost rig on the ESP32-S3 (XS time, esp_timer microseconds)');
    t.is(lines.at(-1), 'done');
    t.is(lines.length, COST_CASES.length + 2);
    COST_CASES.forEach((c, i) => {
      t.true(lines[i + 1].startsWith(c.name), lines[i + 1]);
      t.regex(lines[i + 1], /\d+ µs per APDU \(rig \d+ µs taken off\), [\d.]+ µs per line byte, the line could run at [\d.]+ kbit\/s/);
    });
  } finally {
    await worker.close();
  }
});
