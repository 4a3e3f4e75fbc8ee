/**
 * The import picture of the repository, checked from the sources so that no upward arrow can come
 * back. The layers, top to bottom: the two composition roots (firmware/main.ts on the device, the
 * host's reader composition and CLI in host-tests/), firmware/ccid, firmware/iso7816, then the HAL:
 * hal/interfaces (types only), implemented by hal/moddable (ESP32-S3) and hal/sim (the host).
 * - hal/ imports nothing from firmware/, boards/ or host-tests/: a HAL sits below the code using it.
 * - firmware/ and hal/interfaces run unchanged in XS: no Node module, no npm package, no platform
 *   module (only firmware/main.ts, boards/* and hal/moddable/* import `embedded:*`, `mc/*`, `timer`…).
 * - hal/sim is the host's: only host-tests/, boards/sim and hal/sim itself import it.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const npmPackages = new Set([...Object.keys(packageJson.dependencies ?? {}), ...Object.keys(packageJson.devDependencies ?? {})]);
const nodeBuiltins = new Set(builtinModules);
/** Top-level folders whose modules XS names by their path (`hal/moddable/card-uart`). */
const REPO_FOLDERS = ['firmware/', 'hal/', 'boards/', 'host-tests/'];

type Kind = 'repo' | 'node' | 'npm' | 'platform';
interface Edge {
  from: string;
  specifier: string;
  kind: Kind;
  /** Repository path of the imported module (kind 'repo'), without extension. */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((f) => !f.includes('node_modules'))
    .sort();
}

/**
 * Static imports and re-exports (type-only ones too: a type import is an arrow of the picture),
 * side-effect imports, dynamic imports and require calls. Statements start a line, as everywhere in
 * this repository; dynamic forms are matched anywhere.
 */
const STATIC_IMPORT =
  /^(?:import|export)\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\}|[\w$]+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+[\w$]+))?)\s+from\s*['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /(?<![.\w$])(?:import|require)\s*\(\s*['"]([^'"]+)['"]/g;

function stripExtension(file: string): string {
  return file.replace(/\.(ts|js|mjs)$/, '');
}

function edgesOf(file: string): Edge[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT].flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
  return specifiers.map((specifier) => {
    let kind: Kind;
    let to = '';
    if (specifier.startsWith('.')) {
      kind = 'repo';
      to = stripExtension(path.normalize(path.join(path.dirname(file), specifier)));
    } else if (REPO_FOLDERS.some((folder) => specifier.startsWith(folder))) {
      kind = 'repo'; // an XS module specifier from the manifest's module map
      to = stripExtension(specifier);
    } else if (specifier.startsWith('node:') || nodeBuiltins.has(specifier.split('/')[0])) {
      kind = 'node';
    } else if (npmPackages.has(specifier) || [...npmPackages].some((p) => specifier.startsWith(`${p}/`))) {
      kind = 'npm';
    } else {
      kind = 'platform';
    }
    return { from: stripExtension(file), specifier, kind, to };
  });
}

const files = ['firmware', 'hal', 'boards', 'host-tests'].flatMap(sourceFiles);
const edges = files.flatMap(edgesOf);
const under = (module: string, folder: string) => module === folder || module.startsWith(`${folder}/`);
const show = (e: Edge) => `${e.from} imports '${e.specifier}'`;

test('the extractor sees the imports it must judge (type-only, multi-line, platform, Node)', (t) => {
  const has = (from: string, predicate: (e: Edge) => boolean) => edges.some((e) => e.from === from && predicate(e));
  t.true(has('firmware/main', (e) => e.kind === 'platform' && e.specifier === 'mc/config'));
  t.true(has('firmware/ccid/ccid-class', (e) => e.to === 'hal/interfaces/slot'));
  t.true(has('hal/sim/sim-slot', (e) => e.to === 'hal/interfaces/slot'), 'a multi-line type-only import');
  t.true(has('hal/moddable/scheduler', (e) => e.kind === 'platform' && e.specifier === 'timer'));
  t.true(has('host-tests/reader/reader', (e) => under(e.to, 'firmware')));
  t.true(edges.some((e) => e.kind === 'node'));
  t.true(edges.some((e) => e.kind === 'npm'));
  for (const e of edges) if (e.kind === 'repo') t.true(files.some((f) => stripExtension(f) === e.to), `${show(e)}: no such module`);
});

test('DESIGN import rule: hal/ never imports firmware/, boards/ or host-tests/ (no upward arrow)', (t) => {
  const upward = edges.filter((e) => under(e.from, 'hal') && e.kind === 'repo' && !under(e.to, 'hal'));
  t.deepEqual(upward.map(show), []);
});

test('DESIGN import rule: hal/interfaces imports only hal/interfaces', (t) => {
  const out = edges.filter((e) => under(e.from, 'hal/interfaces') && !(e.kind === 'repo' && under(e.to, 'hal/interfaces')));
  t.deepEqual(out.map(show), []);
});

test('DESIGN import rule: firmware/ imports only firmware/ and hal/interfaces (main.ts also hal/moddable and platform modules)', (t) => {
  const bad = edges.filter((e) => {
    if (!under(e.from, 'firmware')) return false;
    if (e.kind === 'repo' && (under(e.to, 'firmware') || under(e.to, 'hal/interfaces'))) return false;
    if (e.from === 'firmware/main' && (e.kind === 'platform' || (e.kind === 'repo' && under(e.to, 'hal/moddable')))) return false;
    return true;
  });
  t.deepEqual(bad.map(show), []);
});

test('DESIGN import rule: firmware/ and hal/interfaces use nothing from Node (no Node module, no npm package, no Node types)', (t) => {
  const portable = (e: Edge) => under(e.from, 'firmware') || under(e.from, 'hal/interfaces');
  t.deepEqual(edges.filter((e) => portable(e) && (e.kind === 'node' || e.kind === 'npm')).map(show), []);
  // Node's globals (Buffer, process, setTimeout…) fail the device type-check, which sees no Node types.
  const device = JSON.parse(readFileSync(path.join(root, 'tsconfig.device.json'), 'utf8')) as {
    compilerOptions: { types?: string[]; lib?: string[] };
    include: string[];
  };
  t.deepEqual(device.compilerOptions.types, []);
  t.is(device.compilerOptions.lib, undefined, 'the base lib (ECMAScript only, no DOM)');
  t.deepEqual([...device.include].sort(), ['firmware/**/*.ts', 'hal/interfaces/**/*.ts']);
});

test('DESIGN import rule: only firmware/main.ts, boards/* and hal/moddable/* import platform modules', (t) => {
  const bad = edges.filter((e) => {
    const importsPlatform = e.kind === 'platform' || (e.kind === 'repo' && under(e.to, 'hal/moddable'));
    if (!importsPlatform) return false;
    if (e.from === 'firmware/main' || under(e.from, 'boards') || under(e.from, 'hal/moddable')) return false;
    // Host tests of hal/moddable load its TypeScript halves with stand-ins for the platform.
    return !(under(e.from, 'host-tests') && e.kind === 'repo');
  });
  t.deepEqual(bad.map(show), []);
});

test('DESIGN import rule: only host-tests/, boards/sim and hal/sim itself import hal/sim', (t) => {
  const bad = edges.filter((e) => e.kind === 'repo' && under(e.to, 'hal/sim')
    && !(under(e.from, 'host-tests') || under(e.from, 'boards/sim') || under(e.from, 'hal/sim')));
  t.deepEqual(bad.map(show), []);
});

test('DESIGN import rule: the device boards never import the simulator, and the simulator no platform module', (t) => {
  const bad = edges.filter((e) => (under(e.from, 'boards') && !under(e.from, 'boards/sim') && e.kind === 'repo' && under(e.to, 'hal/sim'))
    || (under(e.from, 'hal/sim') && e.kind === 'platform'));
  t.deepEqual(bad.map(show), []);
});
