/**
 * The real PC/SC stack against the simulated reader, on a machine without a USB bus: our libusb
 * stand-in (libccid's USB calls go to `ccid-reader serve` over USB/IP), a copy of Debian's libccid
 * bundle that `ccid-reader host-setup --apply` made list the reader, a static reader entry for
 * `pcscd -c` (udev sees no device here), and pcscd plus its clients in a private mount namespace with
 * a tmpfs on /run (pcscd 1.9's socket path is fixed: so the host's pcscd is never touched and test
 * files run in parallel). Everything started here is stopped by `close()`, in every case.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIM_BOARD_USB } from '../../boards/sim/board.js';
import { ensureCliBuilt } from '../cli/build.js';
import { runCli } from '../cli/run-cli.js';
import { LIBCCID_BUNDLE, requirePackages } from '../setup/debian-packages.js';
import { run, startManaged, type Managed, type RunResult } from './processes.js';
import { boardFolder, type ReaderBoardName } from '../reader/board-names.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STANDIN_DIR = join(REPO_ROOT, 'build', 'libusb-standin');
const STANDIN_SOURCES = join(REPO_ROOT, 'host-tests', 'interop', 'libusb-standin');
/** The simulated board's USB identity (boards/sim/board.ts). */
export const READER_NAME = SIM_BOARD_USB.product;
/** Debian's python: pyscard is installed for it, not for a pyenv python on PATH. */
export const PYTHON = '/usr/bin/python3';

/**
 * Interop runs in real time against pcscd and libccid, whose own waits are seconds long (a 3 s read
 * timeout, up to 60 s for a power-on): its tests and hooks take this instead of ava's 10 s.
 */
export function interopTimeout(t: { timeout(ms: number, message?: string): void }): void {
  t.timeout(120_000, 'interop: pcscd, libccid and ccid-reader serve in real time');
}

/** The Debian packages the interop harness runs (host-tests/setup/debian-packages.ts). */
export const INTEROP_PACKAGES = Object.freeze(['pcscd', 'libccid', 'pcsc-tools', 'opensc', 'python3-pyscard', 'tshark', 'gcc', 'libc6-dev']);

/** Fails at once, naming what to install, when a package the harness runs is missing. */
export function requireTools(): void {
  requirePackages(...INTEROP_PACKAGES);
}

let building: Promise<string> | null = null;

/** Builds the libusb stand-in when a source is newer than the library; returns its directory. */
export function buildStandin(): Promise<string> {
  building ??= (async () => {
    const library = join(STANDIN_DIR, 'libusb-1.0.so.0');
    const newest = Math.max(...readdirSync(STANDIN_SOURCES).map((f) => statSync(join(STANDIN_SOURCES, f)).mtimeMs));
    if (existsSync(library) && statSync(library).mtimeMs >= newest) return STANDIN_DIR;
    const result = await run('sh', [join(STANDIN_SOURCES, 'build.sh'), STANDIN_DIR], { timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`stand-in build failed:\n${result.stdout}${result.stderr}`);
    return STANDIN_DIR;
  })();
  return building;
}

/**
 * A copy of Debian's libccid bundle, made to list the reader the way the README tells users to:
 * `ccid-reader host-setup --apply` on it. Returns the driver library's path.
 */
async function privateBundle(dropDir: string, hostSetup: boolean): Promise<string> {
  const bundle = join(dropDir, 'ifd-ccid.bundle');
  // Debian's Info.plist is a symlink to /etc/libccid_Info.plist: copy the file it points to, or the
  // edit would go into the system's own list.
  cpSync(LIBCCID_BUNDLE, bundle, { recursive: true, dereference: true });
  if (!hostSetup) return join(bundle, 'Contents', 'Linux', 'libccid.so');
  const setup = await runCli(['host-setup', '--board', boardFolder(board), '--bundle', bundle, '--apply']);
  if (setup.code !== 0) throw new Error(`host-setup --apply failed:\n${setup.stdout}${setup.stderr}`);
  return join(bundle, 'Contents', 'Linux', 'libccid.so');
}

const hex4 = (id: number): string => id.toString(16).padStart(4, '0');

/**
 * The board `serve` runs (`--board`): `sim`, unless a test file imports on-esp32s3.ts first, which
 * runs the same interop tests on the virtual ESP32-S3 board (the device firmware on its drivers).
 */
let board: ReaderBoardName = 'sim';
export function useInteropBoard(name: ReaderBoardName): void {
  board = name;
}

export interface PcscOptions {
  /** Card inserted at start (a built-in name or a scripted-card file); none when absent. */
  card?: string;
  /** Extra `ccid-reader serve` options (e.g. `--level tpdu`, `--pcap FILE`). */
  serveArgs?: readonly string[];
  /** Capture the USB traffic (`serve --pcap`) and the contacts (`--contacts-pcap`). */
  pcap?: boolean;
  /**
   * The USB/IP server to start instead of `ccid-reader serve` (command and leading arguments; it gets
   * `--usbip unix:PATH --control unix:PATH` and must print "control: listening"), e.g. a bench's
   * stand-in device.
   */
  server?: readonly string[];
  /** libccid log level (Info.plist ifdLogLevel bits; 4 = COMM dumps every message). */
  ccidLogLevel?: number;
  /**
   * false: Debian's bundle as installed, without `host-setup --apply`, and startPcsc returns without
   * waiting for the reader to be listed (to show that an unlisted ID is not opened).
   */
  hostSetup?: boolean;
}

export interface PcscEnv {
  /** Scratch directory, removed by close(). */
  readonly dir: string;
  /** The USB capture file (with `pcap: true`); written as the traffic happens. */
  readonly pcap: string;
  /** The ISO 7816 capture of ATRs and APDUs at the contacts (with `pcap: true`). */
  readonly contactsPcap: string;
  /** Sends one control line (`insert NAME`, `remove`, `status`) and returns the one-line answer. */
  control(line: string): Promise<string>;
  /** Runs a client inside the namespace where pcscd's socket is. */
  run(command: string, args: readonly string[], timeoutMs?: number, input?: string): Promise<RunResult>;
  /** Starts a long-running client (e.g. pcsc_scan) inside the namespace. */
  start(command: string, args: readonly string[]): Managed;
  /** Runs a pyscard script with Debian's python. */
  python(script: string, timeoutMs?: number): Promise<RunResult>;
  /** serve's and pcscd's output, for failure messages. */
  logs(): string;
  /** Process ids of the USB/IP server and of pcscd (benches read their CPU time in /proc). */
  readonly pids: { readonly server: number; readonly pcscd: number };
  close(): Promise<void>;
}

function sendControl(path: string, line: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let text = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`control '${line}': no answer`)); }, timeoutMs);
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        socket.end();
        resolve(text.slice(0, nl));
      }
    });
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
}

/** Starts serve and pcscd and waits until pcscd lists the reader. */
export async function startPcsc(options: PcscOptions = {}): Promise<PcscEnv> {
  requireTools();
  const standin = await buildStandin();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-interop-'));
  const usbipSocket = join(dir, 'usbip.sock');
  const controlSocket = join(dir, 'control.sock');
  const pcap = join(dir, 'usb.pcap');
  const contactsPcap = join(dir, 'contacts.pcap');
  const hostSetup = options.hostSetup ?? true;
  const libccid = await privateBundle(join(dir, 'drivers'), hostSetup);
  const confDir = join(dir, 'reader.conf.d');
  mkdirSync(confDir);
  writeFileSync(join(confDir, 'ccid-reader-sim'),
    `FRIENDLYNAME "${READER_NAME}"\nDEVICENAME usb:${hex4(SIM_BOARD_USB.vendorId)}/${hex4(SIM_BOARD_USB.productId)}\nLIBPATH ${libccid}\n`);

  const stoppers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  let serve: Managed | null = null;
  let pcscd: Managed | null = null;
  const logs = (): string => `--- serve ---\n${serve?.output() ?? ''}\n--- pcscd ---\n${pcscd?.output() ?? ''}`;
  try {
    const [command, ...leading] = options.server ?? [process.execPath, ensureCliBuilt(), 'serve'];
    serve = startManaged(command, [
      ...leading,
      '--usbip', `unix:${usbipSocket}`, '--control', `unix:${controlSocket}`,
      ...(options.card ? ['--card', options.card] : []), ...(options.pcap ? ['--pcap', pcap, '--contacts-pcap', contactsPcap] : []),
      ...(board === 'sim' ? [] : ['--board', board]),
      ...(options.serveArgs ?? []),
    ], { cwd: REPO_ROOT });
    const s = serve;
    stoppers.push(() => s.stop());
    await serve.waitFor(/control: listening/, 30_000);

    const env = {
      ...process.env,
      LD_LIBRARY_PATH: standin,
      CCID_READER_USBIP: `unix:${usbipSocket}`,
      PCSCLITE_HP_DROPDIR: join(dir, 'drivers'),
      LIBCCID_ifdLogLevel: `0x${(options.ccidLogLevel ?? 3).toString(16).padStart(4, '0')}`,
    };
    // unshare execs sh, which execs pcscd: the child's pid is pcscd's, and its mount namespace is
    // where the clients must look for /run/pcscd/pcscd.comm.
    pcscd = startManaged('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      'mount -t tmpfs tmpfs /run && mkdir -p /run/pcscd && exec pcscd -f -c "$0" $1', confDir, options.ccidLogLevel === undefined ? '' : '-d'], { env });
    const p = pcscd;
    stoppers.push(() => p.stop());
    const pid = pcscd.child.pid;
    if (pid === undefined) throw new Error('pcscd did not start');
    // Entering a mount namespace resets the root directory to the namespace's (setns(2)), which is
    // not pcscd's when the tests run in a chroot: --root takes pcscd's root too, so the clients see
    // the tmpfs /run pcscd listens in.
    const enter = ['--target', String(pid), '--mount', '--root'];

    const runIn = (command: string, args: readonly string[], timeoutMs = 30_000, input?: string): Promise<RunResult> =>
      run('nsenter', [...enter, command, ...args], { timeoutMs, input });
    const deadline = Date.now() + 30_000;
    for (;;) {
      // Until pcscd's socket is up a client's context fails (SCARD_E_NO_SERVICE); then, with the
      // bundle host-setup prepared, the reader must be listed too.
      const listed = await runIn(PYTHON, ['-c', 'from smartcard.System import readers\nprint([str(r) for r in readers()])'], 10_000);
      if (listed.code === 0 && (!hostSetup || listed.stdout.includes(READER_NAME))) break;
      if (Date.now() > deadline || pcscd.child.exitCode !== null) throw new Error(`${hostSetup ? 'reader never listed' : 'pcscd never answered'}: ${listed.stdout}${listed.stderr}\n${logs()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    return {
      dir,
      pcap,
      contactsPcap,
      control: (line) => sendControl(controlSocket, line),
      run: runIn,
      start: (command, args) => {
        const m = startManaged('nsenter', [...enter, command, ...args]);
        stoppers.push(() => m.stop());
        return m;
      },
      python: (script, timeoutMs = 60_000) => runIn(PYTHON, ['-c', script], timeoutMs),
      logs,
      pids: { server: serve.child.pid ?? 0, pcscd: pid },
      close,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const details = logs();
    await close();
    throw new Error(`${message}\n${details}`);
  }
}
