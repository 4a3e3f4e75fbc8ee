/**
 * The device firmware as the virtual ESP32-S3 board runs it: firmware/main.ts and a board's provider
 * (boards/esp32s3-devkitc…/host/provider.js) bundled by esbuild into one module under
 * build/esp32s3-sim/, resolved as mcconfig resolves the manifest's modules: `hal/moddable/*` and
 * the provider from the repository, `embedded:io/digital`, `embedded:io/pwm`, `timer` and
 * `mc/config` from the board (the `platform` argument), the globals Native, native and trace as
 * arguments. The module exports one function that evaluates the firmware afresh for a board.
 *
 * One observation point the device does not have: main.ts's import of firmware/iso7816/session/session.ts
 * goes through a module that re-exports it with createCardSlot reporting each slot it creates
 * (platform.slotCreated), for the host tools (status, the contacts capture).
 *
 * Rebuilt when one of its sources is newer (build/esp32s3-sim/firmware-<board>.json lists them);
 * an installed package without the sources uses the module it ships. Host-only (Node).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CardContactsConstructor } from '../../hal/interfaces/card-contacts.js';
import type { CardUartConstructor } from '../../hal/interfaces/card-uart.js';
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { projectRoot } from '../../hal/sim/esp32s3/build.js';

import { ESP32S3_BOARDS, type Esp32s3BoardName } from './board-names.js';

export type { Esp32s3BoardName } from './board-names.js';

/**
 * What the bundle's function returns: main() and the provider's `device`, and the drivers main.ts
 * binds (for rigs that drive one of them directly, as host-tests/sim/helpers.ts does on the sim board).
 */
export interface Firmware {
  main(): void;
  readonly device: unknown;
  readonly drivers: {
    cardContactsFor(board: unknown, scheduler: unknown): CardContactsConstructor;
    cardUartFor(line: unknown, trace?: Trace): CardUartConstructor;
    readonly Esp32Scheduler: new () => Scheduler;
  };
}

export type FirmwareFactory = (platform: unknown, Native: unknown, native: unknown, trace: unknown) => Firmware;

interface Inputs {
  readonly builtAtMs: number;
  readonly files: readonly string[];
}

const loaded = new Map<Esp32s3BoardName, Promise<FirmwareFactory>>();

function stale(root: string, inputsPath: string, modulePath: string): boolean {
  if (!existsSync(modulePath) || !existsSync(inputsPath)) return true;
  const inputs = JSON.parse(readFileSync(inputsPath, 'utf8')) as Inputs;
  return inputs.files.some((file) => !existsSync(join(root, file)) || statSync(join(root, file)).mtimeMs > inputs.builtAtMs);
}

/** The firmware bundle of `board`, built if needed, loaded once per process. */
export function loadFirmware(board: Esp32s3BoardName): Promise<FirmwareFactory> {
  let promise = loaded.get(board);
  if (promise === undefined) loaded.set(board, (promise = load(board)));
  return promise;
}

async function load(board: Esp32s3BoardName): Promise<FirmwareFactory> {
  const root = projectRoot(import.meta.url);
  const dir = join(root, 'build/esp32s3-sim');
  const modulePath = join(dir, `firmware-${board}.mjs`);
  const inputsPath = join(dir, `firmware-${board}.json`);
  const sources = existsSync(join(root, 'firmware/main.ts'));
  if (sources && stale(root, inputsPath, modulePath)) await bundle(root, board, dir, modulePath, inputsPath);
  if (!existsSync(modulePath)) {
    throw new Error(`the virtual ${board} board runs the repository's firmware and C sources, which this installation does not have: run it from a clone of the repository (npm ci; clang and lld)`);
  }
  const module = (await import(`${pathToFileURL(modulePath).href}?t=${statSync(modulePath).mtimeMs}`)) as { default: FirmwareFactory };
  return module.default;
}

async function bundle(root: string, board: Esp32s3BoardName, dir: string, modulePath: string, inputsPath: string): Promise<void> {
  // esbuild is a development tool: imported by a computed name so that the bundled command does
  // not take it in (the installed package uses the module built with it).
  const esbuildName = 'esbuild';
  const esbuild = (await import(esbuildName)) as typeof import('esbuild');
  const provider = join(root, 'boards', ESP32S3_BOARDS[board].folder, 'host/provider.js');
  const session = join(root, 'firmware/iso7816/session/session.ts');
  const virtual: Record<string, string> = {
    'embedded:io/digital': 'export default platform.Digital;',
    'embedded:io/pwm': 'export default platform.PWM;',
    timer: 'export default platform.Timer;',
    'mc/config': 'export default platform.config;',
    'firmware-session': [
      `import { createCardSlot as create } from ${JSON.stringify(session)};`,
      `export * from ${JSON.stringify(session)};`,
      'export function createCardSlot(options) { return platform.slotCreated(create(options)); }',
    ].join('\n'),
    entry: [
      `export { default as main } from ${JSON.stringify(join(root, 'firmware/main.ts'))};`,
      `export { default as device } from ${JSON.stringify(provider)};`,
      `import { cardContactsFor } from ${JSON.stringify(join(root, 'hal/moddable/card-contacts.ts'))};`,
      `import { cardUartFor } from ${JSON.stringify(join(root, 'hal/moddable/card-uart.ts'))};`,
      `import { Esp32Scheduler } from ${JSON.stringify(join(root, 'hal/moddable/scheduler.ts'))};`,
      'export const drivers = Object.freeze({ cardContactsFor, cardUartFor, Esp32Scheduler });',
    ].join('\n'),
  };
  const startedMs = Date.now();
  const result = await esbuild.build({
    entryPoints: ['entry'], bundle: true, write: false, format: 'iife', globalName: '__firmware', platform: 'neutral',
    target: 'es2022', logLevel: 'silent', metafile: true, absWorkingDir: root,
    plugins: [{
      name: 'moddable-modules',
      setup(build) {
        build.onResolve({ filter: /^(embedded:io\/(digital|pwm)|timer|mc\/config|entry)$/ }, (args) => ({ path: args.path, namespace: 'platform' }));
        build.onResolve({ filter: /^embedded:provider\/builtin$/ }, () => ({ path: provider }));
        build.onResolve({ filter: /^hal\/moddable\// }, (args) => ({ path: join(root, `${args.path}.ts`) }));
        build.onResolve({ filter: /\/iso7816\/session\/session\.js$/ }, (args) =>
          (args.importer.endsWith(join('firmware', 'main.ts')) ? { path: 'firmware-session', namespace: 'platform' } : undefined));
        build.onLoad({ filter: /.*/, namespace: 'platform' }, (args) => ({ contents: virtual[args.path], loader: 'js', resolveDir: root }));
      },
    }],
  });
  const code = [
    '// Generated by host-tests/reader/esp32s3-firmware.ts from the repository\'s sources. Do not edit.',
    'export default function firmware(platform, Native, native, trace) {',
    result.outputFiles[0].text,
    'return __firmware;',
    '}',
    '',
  ].join('\n');
  const files = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('platform:') && !file.startsWith('node_modules'));
  mkdirSync(dir, { recursive: true });
  const temp = `${modulePath}.${process.pid}.tmp`;
  writeFileSync(temp, code);
  renameSync(temp, modulePath);
  writeFileSync(`${inputsPath}.${process.pid}.tmp`, `${JSON.stringify({ builtAtMs: startedMs, files } satisfies Inputs)}\n`);
  renameSync(`${inputsPath}.${process.pid}.tmp`, inputsPath);
}
