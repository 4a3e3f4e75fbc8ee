/**
 * The device code (firmware, hal/interfaces, hal/moddable, the ESP32-S3 board providers) type-checks
 * against the declarations of what it uses on the device: ECMA-419 IO, Moddable's timer, mc/config and
 * embedded:provider/builtin, and the XS globals Native/native/trace (hal/moddable/typings).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

test('tsconfig.moddable.json: firmware + hal/moddable + board providers type-check with no error', (t) => {
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.moddable.json', '--noEmit'], { cwd: root, encoding: 'utf8' });
  t.is(run.status, 0, run.stdout + run.stderr);
});
