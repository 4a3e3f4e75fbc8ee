/**
 * The bench app for a board (host-tests/bench/device: the firmware-cost rig timed with the board's
 * microsecond clock) resolves as mcconfig resolves it, without the Moddable SDK: every module its
 * main reaches, types included, is in the manifest under a specifier that mirrors its path and
 * nothing else is (mcconfig compiles every listed module); the sources exist; main is the app's;
 * the project tsconfig is extended through $(APP_DIR); only ESP32 targets build it. Its type-check
 * is tsconfig.moddable.json's (host-tests/device/typecheck.test.ts).
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const appDir = 'host-tests/bench/device';

interface Manifest {
  build?: Record<string, string>;
  include?: string[];
  creation?: { main?: string; static?: number; chunk?: { initial: number; incremental: number }; heap?: { initial: number; incremental: number }; stack?: number };
  modules?: Record<string, string>;
  typescript?: { tsconfig?: { extends?: string } };
  platforms?: Record<string, { dependency?: { idf?: string }[]; error?: string }>;
}

const manifest = JSON.parse(readFileSync(join(root, appDir, 'manifest.json'), 'utf8')) as Manifest;

/** A build variable as mcconfig resolves it: "./…" relative to the manifest's folder. */
function variable(name: string): string {
  const value = manifest.build?.[name];
  if (value === undefined) throw new Error(`no build variable ${name}`);
  return value.startsWith('./') ? normalize(join(appDir, value)).replace(/\/$/, '') || '.' : value;
}

/** Every repository file the module's imports reach (type imports too: tsc needs them), by relative path. */
function closure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]/g)) {
      const target = normalize(join(dirname(file), m[1].replace(/\.js$/, '.ts')));
      if (!existsSync(join(root, target))) throw new Error(`${file}: ${m[1]} not found`);
      todo.push(target);
    }
  }
  return seen;
}

test('every module the app\'s main reaches, and only those, is in the manifest, its specifier mirroring its path (C halves too)', (t) => {
  const files = closure([`${appDir}/main.ts`]);
  const wanted = new Map<string, string>();
  for (const file of files) {
    const specifier = file.replace(/\.ts$/, '');
    wanted.set(specifier, file);
    if (existsSync(join(root, `${specifier}.c`))) wanted.set(`${specifier}#c`, `${specifier}.c`);
  }
  const listed = new Map<string, string>();
  for (const [specifier, source] of Object.entries(manifest.modules ?? {})) {
    t.true(source.startsWith('./'), `${specifier}: a path from the manifest's folder`);
    const path = relative(root, join(root, appDir, source));
    t.is(path, specifier, `${specifier} → ${source}`);
    t.true(existsSync(join(root, `${path}.ts`)) || existsSync(join(root, `${path}.c`)), `${source} exists`);
    listed.set(specifier, path);
  }
  t.deepEqual([...listed.keys()].sort(), [...new Set([...wanted.keys()].map((k) => k.replace(/#c$/, '')))].sort());
});

test('nothing the app compiles uses Node: every module it reaches runs in XS as it does in the firmware-cost bench', (t) => {
  for (const file of closure([`${appDir}/main.ts`])) {
    const text = readFileSync(join(root, file), 'utf8');
    t.notRegex(text, /from ['"](node:|fs['"]|path['"]|process['"])/, file);
    t.notRegex(text, /\bprocess\.|\bBuffer\./, file);
  }
});

test('creation.main is the app\'s main; APP_DIR is the repository root; the project tsconfig is extended through it', (t) => {
  t.is(manifest.creation?.main, `${appDir}/main`);
  t.true(existsSync(join(root, `${appDir}/main.ts`)));
  t.is(variable('APP_DIR'), '.');
  t.is(manifest.typescript?.tsconfig?.extends, '$(APP_DIR)/tsconfig.base.json');
  t.deepEqual(manifest.include, ['$(MODDABLE)/examples/manifest_base.json']);
});

test('creation: fixed XS heaps that fit an ESP32-S3 without PSRAM', (t) => {
  const { chunk, heap, stack } = manifest.creation ?? {};
  t.is(manifest.creation?.static, 0);
  t.is(chunk?.incremental, 0);
  t.is(heap?.incremental, 0);
  t.true(chunk!.initial + heap!.initial * 16 <= 256 * 1024);
  t.true(stack! >= 512);
});

test('platforms: ESP32 targets with the esp_timer component the microsecond clock needs; anything else is an error', (t) => {
  t.deepEqual(Object.keys(manifest.platforms ?? {}), ['esp32', '...']);
  t.deepEqual(manifest.platforms?.esp32?.dependency, [{ idf: 'esp_timer' }]);
  t.truthy(manifest.platforms?.['...']?.error);
});
