/**
 * manifest.json (Moddable) maps every device file to a module whose specifier mirrors its path, and
 * nothing host-only; it preloads the device modules, starts at firmware/main, extends the project's
 * tsconfig, and orders its platform blocks so that exact boards win over "esp32/*" (mcconfig takes
 * the first key that matches, in file order).
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Manifest {
  build?: Record<string, string>;
  include?: string | string[];
  creation?: { main?: string; static?: number; chunk?: { initial: number; incremental: number }; heap?: { initial: number; incremental: number }; stack?: number };
  config?: Record<string, unknown>;
  modules?: Record<string, string | string[]>;
  preload?: string[];
  typescript?: { tsconfig?: { extends?: string } };
  defines?: Record<string, Record<string, number>>;
  platforms?: Record<string, Manifest & { dependency?: { idf?: string; name?: string; version?: string; includes?: string[] }[]; error?: string }>;
}

function read(path: string): Manifest {
  return JSON.parse(readFileSync(join(root, path), 'utf8')) as Manifest;
}

const top = read('manifest.json');
const espBlock = top.platforms?.['esp32/*'];
const halPath = 'hal/moddable/manifest.json';
const hal = read(halPath);

/** Files mcconfig picks for a module source pattern (its `*` matches one directory level). */
const MODULE_EXTENSIONS = ['.ts', '.js', '.c', '.h'];
function expand(manifestDir: string, target: string, source: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!source.startsWith('./')) return files;
  const path = join(root, manifestDir, source);
  if (!source.endsWith('*')) {
    for (const ext of MODULE_EXTENSIONS) if (existsSync(path + ext)) files.set(relative(root, path + ext), target);
    return files;
  }
  const dir = dirname(path);
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (!statSync(full).isFile() || name.endsWith('.d.ts') || name.startsWith('manifest')) continue;
    const ext = MODULE_EXTENSIONS.find((e) => name.endsWith(e));
    if (ext) files.set(relative(root, full), target.slice(0, -1) + name.slice(0, -ext.length));
  }
  return files;
}

function moduleMap(): Map<string, string> {
  const map = new Map<string, string>();
  const add = (dir: string, modules: Manifest['modules']) => {
    for (const [target, sources] of Object.entries(modules ?? {})) {
      for (const source of [sources].flat()) for (const [file, specifier] of expand(dir, target, source)) map.set(file, specifier);
    }
  };
  add('.', top.modules);
  add('hal/moddable', hal.modules);
  return map;
}

function deviceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(dir, name);
      if (name === 'typings') continue; // declarations for the host type-check only
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if ((name.endsWith('.ts') && !name.endsWith('.d.ts')) || name.endsWith('.c')) out.push(path);
    }
  };
  for (const dir of ['firmware', 'hal/common', 'hal/interfaces', 'hal/moddable']) walk(dir);
  return out.sort();
}

test('every device file is a module whose specifier mirrors its path', (t) => {
  const map = moduleMap();
  for (const file of deviceFiles()) {
    t.is(map.get(file), file.replace(/\.(ts|c)$/, ''), file);
  }
});

test('nothing host-only is in the module map (hal/sim, boards/sim, host-tests, node_modules)', (t) => {
  const text = JSON.stringify(top) + JSON.stringify(hal);
  for (const path of ['hal/sim', 'boards/sim', 'host-tests', 'node_modules']) t.false(text.includes(path), path);
  for (const file of moduleMap().keys()) t.regex(file, /^(firmware|hal\/common|hal\/interfaces|hal\/moddable)\//);
});

test('the host-only typings of hal/moddable stay out of the build (they would clash with the SDK\'s)', (t) => {
  for (const file of moduleMap().keys()) t.false(file.startsWith('hal/moddable/typings/'), file);
});

test('creation.main is firmware/main, and firmware/main.ts exists', (t) => {
  t.is(top.creation?.main, 'firmware/main');
  t.true(existsSync(join(root, 'firmware/main.ts')));
});

test('creation: fixed XS heaps for an ESP32-S3 without PSRAM (no static block, nothing incremental)', (t) => {
  const { chunk, heap, stack } = top.creation ?? {};
  t.is(top.creation?.static, 0);
  t.is(chunk?.incremental, 0);
  t.is(heap?.incremental, 0);
  // Above the SDK's esp32s3 target (78 848 bytes, 4 928 slots, 512 slots), below what its 512 KB leaves.
  t.true(chunk!.initial >= 78_848 && chunk!.initial + heap!.initial * 16 <= 256 * 1024);
  t.true(stack! >= 512);
  t.is(typeof top.config?.trace, 'number');
});

/** Module-level frozen tables (`const X = Object.freeze(...)`): what preloading keeps in flash. */
const FROZEN_TABLE = /^(export )?const [A-Za-z_$][\w$]*(: [^=]+)? = Object\.freeze\(/m;

test('preload: every module with frozen tables is preloaded; every entry is a device module; never main', (t) => {
  const modules = deviceFiles().filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  const preload = new Set(top.preload ?? []);
  for (const entry of preload) t.true(modules.includes(entry), `preload names a missing module: ${entry}`);
  t.false(preload.has('firmware/main'), 'main drives hardware: it runs at start-up, not at build time');
  const tables = modules.filter((m) => m !== 'firmware/main' && FROZEN_TABLE.test(readFileSync(join(root, `${m}.ts`), 'utf8')));
  t.true(tables.length > 5);
  for (const module of tables) t.true(preload.has(module), `add "${module}" to manifest.json "preload"`);
});

test('TypeScript: the project tsconfig is extended through $(APP_DIR), which has no include or files', (t) => {
  t.is(top.build?.APP_DIR, './');
  t.is(top.typescript?.tsconfig?.extends, '$(APP_DIR)/tsconfig.base.json');
  const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
  t.is(base.include, undefined);
  t.is(base.files, undefined);
  t.is(base.compilerOptions.noEmitOnError, true);
});

test('platform blocks: exact boards first, then esp32/*, then "..." (an error); one exact block per board', (t) => {
  const keys = Object.keys(top.platforms ?? {});
  const boards = readdirSync(join(root, 'boards')).filter((name) => name.startsWith('esp32s3')).sort();
  const exact = keys.filter((k) => k.startsWith('esp32/') && k !== 'esp32/*');
  t.deepEqual([...exact].sort(), boards.map((b) => `esp32/${b}`));
  t.deepEqual(keys, [...exact, 'esp32/*', '...']);
  t.truthy(top.platforms?.['...']?.error);
  for (const key of [...exact, 'esp32/*']) t.deepEqual(top.platforms?.[key]?.include, ['./' + halPath], key);
  t.truthy(espBlock);
});

test('the HAL manifest brings ECMA-419 Digital and PWM, the board provider, TinyUSB and the UART driver', (t) => {
  t.deepEqual(hal.include, ['$(IO)/digital/manifest.json', '$(IO)/pwm/manifest.json']);
  t.is(hal.modules?.['embedded:provider/builtin'], '$(SUBPLATFORMDIRECTORY)/host/provider');
  const deps = hal.platforms?.esp32?.dependency ?? [];
  for (const idf of ['esp_driver_uart', 'esp_driver_gpio', 'esp_timer']) t.true(deps.some((d) => d.idf === idf), idf);
  // Pinned to the versions hal/sim/esp32s3/include mirrors (mcmanifest.js appends "version" to the
  // name for idf.py add-dependency: espressif/esp_tinyusb==2.2.1).
  t.is(deps.find((d) => d.name === 'esp_tinyusb')?.version, '==2.2.1');
  t.is(deps.find((d) => d.name === 'tinyusb')?.version, '==0.19.0~3');
  t.deepEqual(deps.find((d) => d.name === 'tinyusb')?.includes, ['src']);
  t.true((hal.defines?.ccid?.max_message ?? 0) >= 271, 'room for dwMaxCCIDMessageLength');
});
