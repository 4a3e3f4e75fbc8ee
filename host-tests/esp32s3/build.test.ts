/**
 * The virtual ESP32-S3 board's WebAssembly (hal/sim/esp32s3/build.ts) against the sources: the
 * natives the TypeScript halves call are the C's exports, one for one, and every function the
 * models provide to the drivers is one the mirrored headers declare (the board's own adapters,
 * sim_*, apart): a model cannot stand in for an API the device does not have.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../hal/sim/esp32s3/build.js';
import { createEsp32s3Reader, prepareEsp32s3 } from '../reader/esp32s3-reader.js';
import './built-first.js';

const root = projectRoot(import.meta.url);

async function boardModule(): Promise<WebAssembly.Module> {
  await prepareEsp32s3('esp32s3');
  const reader = createEsp32s3Reader('esp32s3');
  reader.close();
  return new WebAssembly.Module(reader.board.esp32s3.chip.build.bytes);
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name));
}

test('every native of hal/moddable/*.ts is an export of the C, and every xs_ export has its caller', async (t) => {
  const module = await boardModule();
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name).filter((n) => n.startsWith('xs_')));
  const called = new Set<string>();
  for (const file of filesUnder('hal/moddable', '.ts')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bnative\('(xs_\w+)'\)|\bNative\('(xs_\w+)'\)/g)) called.add(m[1] ?? m[2]);
  }
  t.true(called.size > 15);
  t.deepEqual([...called].filter((n) => !exported.has(n)), [], 'called but not in the C');
  t.deepEqual([...exported].filter((n) => !called.has(n)), [], 'in the C but never called');
});

test('every function the models provide is declared by the mirrored headers (or is one of the board\'s own sim_ adapters)', async (t) => {
  const module = await boardModule();
  const headers = filesUnder('hal/sim/esp32s3/include', '.h').map((f) => readFileSync(f, 'utf8')).join('\n');
  const imports = WebAssembly.Module.imports(module).map((i) => i.name).filter((n) => !n.startsWith('sim_'));
  t.true(imports.length > 40);
  const undeclared = imports.filter((name) => !new RegExp(`\\b${name}\\s*\\(`).test(headers));
  t.deepEqual(undeclared, []);
});
