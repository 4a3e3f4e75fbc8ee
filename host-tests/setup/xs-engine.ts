/**
 * The XS engine the tests and benches run the firmware in: @agoric/xsnap's worker, a C program built
 * from the sources in its npm package. package.json's `allowScripts` keeps npm from running the
 * package's own build during `npm ci` (it would fail there on a machine without a C compiler, before
 * anything could say why); this module runs the same build — the package's `build:from-env` script:
 * its src/build.js with the variables of its build.env — once gcc and make are there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPackage, missingPackages, type DebianPackage } from './debian-packages.js';

const XSNAP_DIR = fileURLToPath(new URL('../../node_modules/@agoric/xsnap/', import.meta.url));
const PLATFORM_DIR: Readonly<Record<string, string>> = Object.freeze({ linux: 'lin', darwin: 'mac' });

/** The Debian packages the build needs. */
export const XS_BUILD_PACKAGES: readonly DebianPackage[] = Object.freeze(['gcc', 'libc6-dev', 'make'].map(findPackage));

export function xsWorkerPath(): string {
  return join(XSNAP_DIR, 'xsnap-native/xsnap/build/bin', PLATFORM_DIR[process.platform] ?? process.platform, 'release/xsnap-worker');
}

export function xsEngineBuilt(): boolean {
  return existsSync(xsWorkerPath());
}

/** `needs`: the packages whose absence stopped the build (empty when something else did). */
export type XsBuildOutcome = { readonly ok: true; readonly built: boolean } | { readonly ok: false; readonly line: string; readonly needs: readonly string[] };

/** Builds the engine when its worker binary is missing. Never throws: a failure is a line to print. */
export function buildXsEngine(): XsBuildOutcome {
  if (xsEngineBuilt()) return { ok: true, built: false };
  if (!existsSync(join(XSNAP_DIR, 'package.json'))) return { ok: false, line: 'the XS engine is not installed: run npm ci', needs: [] };
  const missing = missingPackages(XS_BUILD_PACKAGES.map((p) => p.name));
  // Off Debian the tools have other names and places: try `cc` and `make` on PATH before giving up.
  if (missing.length > 0 && spawnSync('sh', ['-c', 'command -v cc && command -v make'], { stdio: 'ignore' }).status !== 0) {
    const needs = missing.map((p) => p.name);
    return { ok: false, line: `the XS engine needs a C compiler and make: apt-get install ${needs.join(' ')} (as root; npm test does it on Debian)`, needs };
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const line of readFileSync(join(XSNAP_DIR, 'build.env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const result = spawnSync(process.execPath, ['src/build.js'], { cwd: XSNAP_DIR, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0 || !xsEngineBuilt()) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`.trim().split('\n').slice(-5).join('\n');
    return { ok: false, line: `the XS engine build failed:\n${tail}`, needs: [] };
  }
  return { ok: true, built: true };
}
