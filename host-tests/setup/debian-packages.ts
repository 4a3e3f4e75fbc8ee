/**
 * The Debian packages the project uses besides its npm packages — the one list. `npm test` and
 * `npm run bench` install the missing ones first (host-tests/setup/prepare.ts, as root on Debian);
 * elsewhere they print one line naming what to install, and each test that needs a package fails
 * at once with that line (`requirePackages`), never waiting for it.
 *
 * A package counts as present when a file it installs exists: that works off Debian too (where the
 * same tools come from other packages) and costs one stat, so tests can check before each use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface DebianPackage {
  readonly name: string;
  /** A file the package installs; present = installed. */
  readonly provides: string;
  /** What needs it (shown when it is missing). */
  readonly usedBy: string;
}

/** pcsc-tools' list of real cards' ATRs (about 3800 literal ones). */
export const SMARTCARD_LIST = '/usr/share/pcsc/smartcard_list.txt';
/** Debian's libccid bundle: the driver pcscd loads for USB CCID readers, and its list of readers. */
export const LIBCCID_BUNDLE = '/usr/lib/pcsc/drivers/ifd-ccid.bundle';

export const DEBIAN_PACKAGES: readonly DebianPackage[] = Object.freeze([
  { name: 'gcc', provides: '/usr/bin/gcc', usedBy: 'the XS engine (@agoric/xsnap), the libusb stand-in, the native driver checks' },
  { name: 'libc6-dev', provides: '/usr/include/stdio.h', usedBy: 'the same C builds' },
  { name: 'make', provides: '/usr/bin/make', usedBy: 'the XS engine build' },
  { name: 'clang', provides: '/usr/bin/clang', usedBy: 'the virtual ESP32-S3 board (hal/moddable C compiled to WebAssembly)' },
  { name: 'lld', provides: '/usr/bin/wasm-ld', usedBy: 'the virtual ESP32-S3 board (linking the WebAssembly)' },
  { name: 'pcscd', provides: '/usr/sbin/pcscd', usedBy: 'the PC/SC interop tests and bench' },
  { name: 'libccid', provides: `${LIBCCID_BUNDLE}/Contents/Linux/libccid.so`, usedBy: 'the PC/SC interop tests, host-setup tests' },
  { name: 'pcsc-tools', provides: SMARTCARD_LIST, usedBy: 'the ATR corpus tests (smartcard_list.txt), pcsc_scan in the interop tests' },
  { name: 'opensc', provides: '/usr/bin/opensc-tool', usedBy: 'the PC/SC interop tests' },
  { name: 'python3-pyscard', provides: '/usr/lib/python3/dist-packages/smartcard/System.py', usedBy: 'the PC/SC interop tests' },
  { name: 'tshark', provides: '/usr/bin/tshark', usedBy: 'decoding the USB and ISO 7816 captures' },
  { name: 'sigrok-cli', provides: '/usr/bin/sigrok-cli', usedBy: 'decoding the VCD waveform' },
].map((p) => Object.freeze(p)));

export function findPackage(name: string): DebianPackage {
  const found = DEBIAN_PACKAGES.find((p) => p.name === name);
  if (found === undefined) throw new Error(`'${name}' is not in DEBIAN_PACKAGES (host-tests/setup/debian-packages.ts)`);
  return found;
}

export function missingPackages(names: readonly string[] = DEBIAN_PACKAGES.map((p) => p.name)): DebianPackage[] {
  return names.map(findPackage).filter((p) => !existsSync(p.provides));
}

/** The one line that says what is missing and how to get it. */
export function missingLine(missing: readonly DebianPackage[]): string {
  const names = missing.map((p) => p.name).join(' ');
  return `missing Debian packages: ${names} — install them as root: apt-get install ${names}` +
    ' (npm test does so itself when run as root on Debian)';
}

/** For a test: throws the missing-package line at once when one of `names` is not installed. */
export function requirePackages(...names: string[]): void {
  const missing = missingPackages(names);
  if (missing.length > 0) throw new Error(missingLine(missing));
}

export type InstallOutcome =
  | { readonly kind: 'present' }
  | { readonly kind: 'installed'; readonly names: readonly string[] }
  | { readonly kind: 'not-installed'; readonly line: string };

export interface Host {
  /** Debian (or a derivative) with apt-get. */
  readonly debian: boolean;
  readonly root: boolean;
}

export function thisHost(): Host {
  return {
    debian: process.platform === 'linux' && existsSync('/etc/debian_version') && existsSync('/usr/bin/apt-get'),
    root: process.getuid?.() === 0,
  };
}

/** What to do about `missing` on `host`: run apt-get, or print the line. */
export function installPlan(missing: readonly DebianPackage[], host: Host): { apt: readonly string[] } | { line: string } | null {
  if (missing.length === 0) return null;
  if (!host.debian) {
    return { line: `${missingLine(missing)}; this is not Debian: install the same tools (${missing.map((p) => p.provides).join(', ')}) another way` };
  }
  if (!host.root) return { line: missingLine(missing) };
  return { apt: missing.map((p) => p.name) };
}

/**
 * Installs the missing packages with apt-get when this is Debian and we are root: non-interactive,
 * no stdin, the apt lock waited for at most two minutes. Otherwise (or when apt-get fails) the
 * outcome carries the one line to print; it never throws.
 */
export function installMissing(packages: readonly DebianPackage[] = DEBIAN_PACKAGES, host: Host = thisHost()): InstallOutcome {
  const missing = packages.filter((p) => !existsSync(p.provides));
  const plan = installPlan(missing, host);
  if (plan === null) return { kind: 'present' };
  if ('line' in plan) return { kind: 'not-installed', line: plan.line };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', APT_LISTCHANGES_FRONTEND: 'none' };
  const apt = (args: string[]) => spawnSync('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=120', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const update = apt(['update']);
  const install = update.status === 0 ? apt(['install', '-y', ...plan.apt]) : update;
  if (install.status !== 0) {
    const why = `${install.stderr ?? ''}${install.error?.message ?? ''}`.trim().split('\n').slice(-3).join(' / ');
    return { kind: 'not-installed', line: `${missingLine(missing)}; apt-get failed: ${why}` };
  }
  const still = missing.filter((p) => !existsSync(p.provides));
  if (still.length > 0) return { kind: 'not-installed', line: `${missingLine(still)}; apt-get installed them but ${still.map((p) => p.provides).join(', ')} is still missing` };
  return { kind: 'installed', names: plan.apt };
}
