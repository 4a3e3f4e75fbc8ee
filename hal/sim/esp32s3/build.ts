/**
 * Builds the virtual ESP32-S3 board's WebAssembly from the repository's own C: the three native
 * modules of hal/moddable, compiled as the Moddable SDK compiles them (moddable-build.ts: its
 * defines, mc.defines.h from the manifests) against the declarations of hal/sim/esp32s3/include and
 * the real XS headers of @agoric/xsnap, plus the board's C side (c/: the XS shim, the ESP-IDF
 * structure adapters, a small libc). Every function the drivers call that is not defined in C must
 * be one the models implement (`imports`): wasm-ld refuses anything else.
 *
 * Built with Debian's clang and lld (wasm32, no libc), at run time, and cached under build/ by a
 * hash of everything that goes in; never committed. Concurrent builds (test processes) are safe: the
 * result is written to a temporary file and renamed. Host-only (Node).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { definesHeader, deviceDefines, MODDABLE_ESP32S3_DEFINES, XS17_COMPAT_FLAGS } from './moddable-build.js';

export interface BuiltBoard {
  readonly path: string;
  readonly bytes: Uint8Array;
  /** True when this call compiled it (false: taken from the cache). */
  readonly compiled: boolean;
  /** Wall-clock milliseconds the compilation took (0 from the cache). */
  readonly buildMs: number;
}

/**
 * The repository (or installed package) root: the nearest directory above `from` whose package.json
 * is this project's. Works from the sources and from the bundled command in build/cli/.
 */
export function projectRoot(from: string | URL): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'ccid-reader') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no ccid-reader package.json above ${fileURLToPath(from)}`);
    dir = parent;
  }
}

/** The driver sources, in link order. */
export const DRIVER_SOURCES: readonly string[] = Object.freeze(['hal/moddable/card-uart.c', 'hal/moddable/card-block.c', 'hal/moddable/usb-device.c', 'hal/moddable/scheduler.c']);
const BOARD_SOURCES: readonly string[] = Object.freeze(['hal/sim/esp32s3/c/esp-idf.c', 'hal/sim/esp32s3/c/xs-shim.c', 'hal/sim/esp32s3/c/libc.c']);

/** TinyUSB API generation compiled in: espressif/tinyusb 0.19.0~3, the version the manifest pins. */
const TINYUSB_MINOR = 19;

function filesUnder(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

function tool(name: string): string {
  for (const candidate of [name, `${name}-14`, `${name}-15`, `${name}-16`]) {
    for (const dir of ['/usr/bin', '/usr/local/bin']) if (existsSync(join(dir, candidate))) return join(dir, candidate);
  }
  throw new Error(`the virtual ESP32-S3 board needs ${name} (Debian packages clang and lld: apt-get install clang lld)`);
}

/**
 * What building the board needs on this machine: the XS headers (npm ci), clang and wasm-ld. Throws
 * the line that names what to install, so a command can check before it starts (prepareEsp32s3).
 */
export function boardTools(root: string): { xsIncludes: string; clang: string; wasmLd: string } {
  const xsIncludes = join(root, 'node_modules/@agoric/xsnap/moddable/xs/includes');
  if (!existsSync(join(xsIncludes, 'xsmc.h'))) throw new Error('the virtual ESP32-S3 board needs the XS headers of @agoric/xsnap, a development dependency: run it from a clone of the repository after npm ci');
  return { xsIncludes, clang: tool('clang'), wasmLd: tool('wasm-ld') };
}

/**
 * The board's WebAssembly for `imports` (the names of the functions the models provide), building
 * it if the cache (build/esp32s3-sim, or `cacheDir`: an empty one measures a build) has none for
 * these inputs.
 */
export function buildBoard(root: string, imports: readonly string[], cacheDir = join(root, 'build/esp32s3-sim')): BuiltBoard {
  const { xsIncludes, clang, wasmLd } = boardTools(root);
  const defines = definesHeader(deviceDefines(root));
  const flags = [
    '--target=wasm32-unknown-unknown', '-O2', '-fvisibility=default', '-std=gnu17', '-nostdlib', '-mbulk-memory',
    '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter',
    ...MODDABLE_ESP32S3_DEFINES, '-Werror=implicit-function-declaration', ...XS17_COMPAT_FLAGS,
    `-DSTUB_TUSB_MINOR=${TINYUSB_MINOR}`,
  ];
  const inputs = [...DRIVER_SOURCES, ...BOARD_SOURCES, ...filesUnder(root, 'hal/sim/esp32s3/include'), ...filesUnder(root, 'hal/sim/esp32s3/c/libc')];
  const hash = createHash('sha256');
  hash.update(spawnSync(clang, ['--version'], { encoding: 'utf8' }).stdout ?? '');
  hash.update(JSON.stringify({ flags, imports, defines }));
  for (const file of inputs) hash.update(`${file}\0`).update(readFileSync(join(root, file)));
  for (const file of ['xs.h', 'xsmc.h']) hash.update(readFileSync(join(xsIncludes, file)));
  const key = hash.digest('hex').slice(0, 24);
  const dir = cacheDir;
  const path = join(dir, `board-${key}.wasm`);
  if (existsSync(path)) return { path, bytes: readFileSync(path), compiled: false, buildMs: 0 };

  mkdirSync(dir, { recursive: true });
  const work = join(dir, `tmp-${process.pid}-${key}`);
  mkdirSync(work, { recursive: true });
  try {
    writeFileSync(join(work, 'mc.defines.h'), defines);
    writeFileSync(join(work, 'imports.txt'), `${imports.join('\n')}\n`);
    const args = [
      ...flags,
      `-isystem${join(root, 'hal/sim/esp32s3/c/libc')}`, `-I${join(root, 'hal/sim/esp32s3/include')}`, `-I${xsIncludes}`, `-I${work}`,
      ...[...DRIVER_SOURCES, ...BOARD_SOURCES].map((f) => join(root, f)),
      `-fuse-ld=${wasmLd}`,
      '-Wl,--no-entry', '-Wl,--export-dynamic', '-Wl,--export-table', '-Wl,-z,stack-size=65536',
      `-Wl,--allow-undefined-file=${join(work, 'imports.txt')}`,
      '-o', join(work, 'board.wasm'),
    ];
    const started = performance.now();
    const run = spawnSync(clang, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const buildMs = performance.now() - started;
    if (run.error) throw run.error;
    if (run.status !== 0) throw new Error(`building the virtual ESP32-S3 board failed:\n${run.stdout}${run.stderr}`);
    renameSync(join(work, 'board.wasm'), path);
    return { path, bytes: readFileSync(path), compiled: true, buildMs };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
