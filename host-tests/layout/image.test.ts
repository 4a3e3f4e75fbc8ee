/**
 * The device image holds what the device runs: every TypeScript module manifest.json puts into the
 * build is reached from firmware/main.ts (the device's composition root) through imports, and
 * everything main.ts reaches is in the build. Host-side codecs, JSON views and test helpers live in
 * host-tests/, so they can be neither.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { edges, root, under } from './imports.js';

interface Manifest {
  modules?: Record<string, string | string[]>;
  preload?: string[];
}

/** The .ts modules a manifest's "modules" map names (mcconfig: a trailing `*` is one folder level). */
function manifestModules(manifestPath: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(root, manifestPath), 'utf8')) as Manifest;
  const dir = path.dirname(manifestPath);
  const out: string[] = [];
  for (const sources of Object.values(manifest.modules ?? {})) {
    for (const source of [sources].flat()) {
      if (!source.startsWith('./')) continue;
      const target = path.normalize(path.join(dir, source));
      if (!target.endsWith('*')) {
        if (existsSync(path.join(root, `${target}.ts`))) out.push(target);
        continue;
      }
      const folder = path.dirname(target);
      for (const name of readdirSync(path.join(root, folder))) {
        if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path.join(folder, name.slice(0, -3)));
      }
    }
  }
  return out;
}

const built = new Set([...manifestModules('manifest.json'), ...manifestModules('hal/moddable/manifest.json')]);
/** `embedded:provider/builtin` is the board's host/provider.js (hal/moddable/manifest.json). */
const providers = readdirSync(path.join(root, 'boards')).filter((b) => b.startsWith('esp32s3')).map((b) => `boards/${b}/host/provider`);

function reachedFromMain(): Set<string> {
  const seen = new Set<string>();
  const queue = ['firmware/main', ...providers];
  while (queue.length > 0) {
    const module = queue.pop()!;
    if (seen.has(module)) continue;
    seen.add(module);
    for (const e of edges) if (e.from === module && e.kind === 'repo') queue.push(e.to);
  }
  return seen;
}

const reached = reachedFromMain();

test('the walk sees the device: main, the session, the CCID class, the ESP32-S3 drivers, the board providers', (t) => {
  for (const m of ['firmware/main', 'firmware/iso7816/atr/decode', 'firmware/iso7816/session/session', 'firmware/ccid/ccid-class', 'hal/moddable/card-uart', 'hal/interfaces/slot', ...providers]) {
    t.true(reached.has(m), m);
  }
  t.true(built.size > 30);
});

test('every module manifest.json builds into the device image is reached from firmware/main.ts', (t) => {
  t.deepEqual([...built].filter((m) => !reached.has(m)).sort(), []);
});

test('everything firmware/main.ts reaches is built by manifest.json (nothing host-only, nothing left out)', (t) => {
  const outside = [...reached].filter((m) => !built.has(m) && !providers.includes(m));
  t.deepEqual(outside.sort(), []);
  for (const m of reached) t.true(under(m, 'firmware') || under(m, 'hal/common') || under(m, 'hal/interfaces') || under(m, 'hal/moddable') || providers.includes(m), m);
});

test('small files: no firmware module over 400 lines (one job each; the device image is read on the device too)', (t) => {
  const long: string[] = [];
  for (const module of built) {
    if (!module.startsWith('firmware/')) continue;
    const lines = readFileSync(path.join(root, `${module}.ts`), 'utf8').split('\n').length;
    if (lines > 400) long.push(`${module}: ${lines} lines`);
  }
  t.deepEqual(long, []);
});
