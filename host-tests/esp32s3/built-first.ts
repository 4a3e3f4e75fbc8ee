/**
 * Imported by the test files that run the virtual ESP32-S3 board: a `before` hook builds the board
 * (the hal/moddable C to WebAssembly, the firmware bundle) into build/esp32s3-sim once, with a
 * timeout of its own, so the tests after it — and the `ccid-reader --board esp32s3` processes they
 * start, which use the same cache — stay within ava's 10 s even on a loaded machine.
 */
import test from 'ava';
import { createEsp32s3Reader, prepareEsp32s3 } from '../reader/esp32s3-reader.js';

test.before('the virtual ESP32-S3 board is built', async (t) => {
  // A cold build compiles four C files with clang and bundles the firmware: seconds, more when loaded.
  t.timeout(180_000);
  await prepareEsp32s3('esp32s3');
  createEsp32s3Reader('esp32s3').close();
});
