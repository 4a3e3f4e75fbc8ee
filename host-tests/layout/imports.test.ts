/**
 * The import picture of the repository, checked from the sources so that no upward arrow can come
 * back. The layers, top to bottom: the two composition roots (firmware/main.ts on the device, the
 * host's reader composition and CLI in host-tests/), firmware/ccid, firmware/iso7816, then the HAL:
 * hal/interfaces (types only) and hal/common (the few values every side shares, e.g. trace
 * categories), implemented by hal/moddable (ESP32-S3) and hal/sim (the host).
 * - hal/ imports nothing from firmware/, boards/ or host-tests/: a HAL sits below the code using it.
 * - firmware/, hal/common and hal/interfaces run unchanged in XS: no Node module, no npm package, no
 *   platform module (only firmware/main.ts, boards/* and hal/moddable/* import `embedded:*`, `mc/*`…).
 * - hal/sim is the host's: only host-tests/, boards/sim and hal/sim itself import it.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { edges, files, root, show, stripExtension, under, type Edge } from './imports.js';

test('the extractor sees the imports it must judge (type-only, multi-line, platform, Node)', (t) => {
  const has = (from: string, predicate: (e: Edge) => boolean) => edges.some((e) => e.from === from && predicate(e));
  t.true(has('firmware/main', (e) => e.kind === 'platform' && e.specifier === 'mc/config'));
  t.true(has('firmware/ccid/ccid-class', (e) => e.to === 'hal/interfaces/slot'));
  t.true(has('hal/sim/sim-slot', (e) => e.to === 'hal/interfaces/slot'), 'a multi-line type-only import');
  t.true(has('firmware/main', (e) => e.kind === 'platform' && e.specifier === 'embedded:provider/builtin'));
  t.true(has('host-tests/reader/reader', (e) => under(e.to, 'firmware')));
  t.true(edges.some((e) => e.kind === 'node'));
  t.true(edges.some((e) => e.kind === 'npm'));
  for (const e of edges) if (e.kind === 'repo') t.true(files.some((f) => stripExtension(f) === e.to), `${show(e)}: no such module`);
});

test('import rule: hal/ never imports firmware/, boards/ or host-tests/ (no upward arrow)', (t) => {
  const upward = edges.filter((e) => under(e.from, 'hal') && e.kind === 'repo' && !under(e.to, 'hal'));
  t.deepEqual(upward.map(show), []);
});

test('import rule: hal/interfaces imports only hal/interfaces; hal/common only those two', (t) => {
  const out = edges.filter((e) => under(e.from, 'hal/interfaces') && !(e.kind === 'repo' && under(e.to, 'hal/interfaces')));
  t.deepEqual(out.map(show), []);
  const common = edges.filter((e) => under(e.from, 'hal/common') && !(e.kind === 'repo' && (under(e.to, 'hal/interfaces') || under(e.to, 'hal/common'))));
  t.deepEqual(common.map(show), []);
});

test('hal/interfaces holds types only (no value a module could run)', (t) => {
  const VALUE = /^export\s+(?:default\s+)?(?:declare\s+)?(?:const|let|var|function|async|class|abstract|enum)\b|^export\s*\{(?!\s*type\b)[^}]*\}\s*(?:from|;|$)/m;
  const modules = files.filter((f) => under(f, 'hal/interfaces'));
  t.true(modules.length >= 5);
  for (const file of modules) {
    const text = readFileSync(path.join(root, file), 'utf8');
    t.false(VALUE.test(text), `${file}: ${text.match(VALUE)?.[0]}`);
    t.false(/^import\s+(?!type\b)/m.test(text), `${file} imports a value`);
  }
});

test('import rule: firmware/ imports only firmware/, hal/interfaces and hal/common (main.ts also hal/moddable and platform modules)', (t) => {
  const bad = edges.filter((e) => {
    if (!under(e.from, 'firmware')) return false;
    if (e.kind === 'repo' && (under(e.to, 'firmware') || under(e.to, 'hal/interfaces') || under(e.to, 'hal/common'))) return false;
    if (e.from === 'firmware/main' && (e.kind === 'platform' || (e.kind === 'repo' && under(e.to, 'hal/moddable')))) return false;
    return true;
  });
  t.deepEqual(bad.map(show), []);
});

test('import rule: firmware/, hal/common and hal/interfaces use nothing from Node (no Node module, no npm package, no Node types)', (t) => {
  const portable = (e: Edge) => under(e.from, 'firmware') || under(e.from, 'hal/interfaces') || under(e.from, 'hal/common');
  t.deepEqual(edges.filter((e) => portable(e) && (e.kind === 'node' || e.kind === 'npm')).map(show), []);
  // Node's globals (Buffer, process, setTimeout…) fail the device type-check, which sees no Node types.
  const device = JSON.parse(readFileSync(path.join(root, 'tsconfig.device.json'), 'utf8')) as {
    compilerOptions: { types?: string[]; lib?: string[] };
    include: string[];
  };
  t.deepEqual(device.compilerOptions.types, []);
  t.is(device.compilerOptions.lib, undefined, 'the base lib (ECMAScript only, no DOM)');
  t.deepEqual([...device.include].sort(), ['firmware/**/*.ts', 'hal/common/**/*.ts', 'hal/interfaces/**/*.ts']);
});

test('import rule: only firmware/main.ts, boards/* and hal/moddable/* import platform modules (and hal/moddable)', (t) => {
  const bad = edges.filter((e) => {
    const importsPlatform = e.kind === 'platform' || (e.kind === 'repo' && under(e.to, 'hal/moddable'));
    if (!importsPlatform) return false;
    if (e.from === 'firmware/main' || under(e.from, 'boards') || under(e.from, 'hal/moddable')) return false;
    // Host tests of hal/moddable load its TypeScript halves with stand-ins for the platform.
    return !(under(e.from, 'host-tests') && e.kind === 'repo');
  });
  t.deepEqual(bad.map(show), []);
});

test('import rule: only host-tests/, boards/sim and hal/sim itself import hal/sim', (t) => {
  const bad = edges.filter((e) => e.kind === 'repo' && under(e.to, 'hal/sim')
    && !(under(e.from, 'host-tests') || under(e.from, 'boards/sim') || under(e.from, 'hal/sim')));
  t.deepEqual(bad.map(show), []);
});

test('import rule: the device boards never import the simulator, and the simulator no platform module', (t) => {
  const bad = edges.filter((e) => (under(e.from, 'boards') && !under(e.from, 'boards/sim') && e.kind === 'repo' && under(e.to, 'hal/sim'))
    || (under(e.from, 'hal/sim') && e.kind === 'platform'));
  t.deepEqual(bad.map(show), []);
});
