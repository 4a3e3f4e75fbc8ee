/**
 * Debian's vsmartcard (vpcd, a pcscd driver, + vicc, a Python ISO 7816-4 card) through pcscd, at its
 * best, for the comparison bench:
 * - its own network and mount namespaces: vpcd listens on every interface, so it only ever sees a
 *   private loopback; pcscd's socket is on a private /run;
 * - `quickack 1` on the loopback routes: Debian's 3.3 vpcd writes the length and the APDU in two
 *   send() calls, and with Nagle's algorithm against delayed ACKs every APDU would wait ~40 ms
 *   (vsmartcard fixed that upstream by sending both at once);
 * - vicc's modules on PYTHONPATH (Debian installs them outside its python's path) and `Crypto` as an
 *   alias of python3-pycryptodome's `Cryptodome` (vicc imports the former);
 * - an ISO 7816 card with extended length (Debian's vicc offers it only short) holding a 4096-byte
 *   EF 1001 in DF 1000, like the simulated `t1` card, so the same client script runs against both.
 *   vicc 3.3 fails on a case 3 command to UPDATE BINARY (Le absent is None, compared with an int);
 *   the launcher reads an absent Le as Ne = 0, as ISO/IEC 7816-4 §5.1 has it.
 * Everything started here is stopped by `close()`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startManaged, type Managed, type RunResult } from '../interop/processes.js';
import { PYTHON } from '../interop/pcscd.js';

export const VSMARTCARD_PACKAGES = ['vsmartcard-vpcd', 'vsmartcard-vpicc', 'python3-pycryptodome'] as const;

const VPCD = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const VICC_MODULES = '/usr/lib/python3/site-packages/virtualsmartcard';
const CRYPTODOME = '/usr/lib/python3/dist-packages/Cryptodome';
/** vpcd's port (its Debian reader.conf: DEVICENAME /dev/null:0x8C7B), inside the private namespace. */
const PORT = 0x8c7b;

const LAUNCHER = `
import logging, sys
from virtualsmartcard.VirtualSmartcard import VirtualICC, Iso7816OS
from virtualsmartcard.SmartcardFilesystem import DF, TransparentStructureEF

class ExtendedOS(Iso7816OS):
    def formatResult(self, seekable, le, data, sw, sm):
        return Iso7816OS.formatResult(self, seekable, 0 if le is None else le, data, sw, sm)

vicc = VirtualICC(None, 'iso7816', 'localhost', int(sys.argv[1]), logginglevel=logging.ERROR)
mf = vicc.os.mf
df = DF(parent=mf, fid=0x1000)
df.append(TransparentStructureEF(parent=df, fid=0x1001, data=bytes(4096)))
mf.append(df)
vicc.os = ExtendedOS(mf, vicc.os.SAM, extended_length=True)
vicc.run()
`;

function missing(): string[] {
  const out: string[] = [];
  if (!existsSync(VPCD)) out.push('vsmartcard-vpcd');
  if (!existsSync('/usr/bin/vicc') || !existsSync(VICC_MODULES)) out.push('vsmartcard-vpicc');
  if (!existsSync(CRYPTODOME)) out.push('python3-pycryptodome');
  return out;
}

/** Installs the Debian packages when missing (as root), or throws one line saying what to install. */
export async function requireVsmartcard(): Promise<void> {
  if (missing().length === 0) return;
  const line = `apt-get install ${VSMARTCARD_PACKAGES.join(' ')}`;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) throw new Error(`the vsmartcard bench needs Debian's vsmartcard: ${line}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): Promise<RunResult> => run('apt-get', ['install', '-y', '--no-install-recommends', ...VSMARTCARD_PACKAGES], { env, timeoutMs: 600_000 });
  let result = await install();
  if (result.code !== 0) {
    await run('apt-get', ['update'], { env, timeoutMs: 600_000 });
    result = await install();
  }
  if (result.code !== 0 || missing().length > 0) throw new Error(`installing vsmartcard failed (${line}):\n${result.stdout}${result.stderr}`);
}

export interface VsmartcardEnv {
  /** Runs a Python script with Debian's python inside the namespaces, where pcscd lists the reader. */
  python(script: string, timeoutMs?: number): Promise<RunResult>;
  logs(): string;
  /** Process ids of vicc and of pcscd (the bench reads their CPU time in /proc). */
  readonly pids: { readonly server: number; readonly pcscd: number };
  close(): Promise<void>;
}

export async function startVsmartcard(): Promise<VsmartcardEnv> {
  await requireVsmartcard();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-vsmartcard-'));
  const conf = join(dir, 'reader.conf.d');
  const py = join(dir, 'python');
  mkdirSync(conf);
  mkdirSync(py);
  writeFileSync(join(conf, 'vpcd'), `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x${PORT.toString(16)}\nLIBPATH ${VPCD}\nCHANNELID 0x${PORT.toString(16)}\n`);
  symlinkSync(CRYPTODOME, join(py, 'Crypto'));
  const launcher = join(dir, 'vicc-extended.py');
  writeFileSync(launcher, LAUNCHER);

  const stoppers: (() => Promise<void>)[] = [];
  let pcscd: Managed | null = null;
  let vicc: Managed | null = null;
  const logs = (): string => `--- pcscd (vpcd) ---\n${pcscd?.output() ?? ''}\n--- vicc ---\n${vicc?.output() ?? ''}`;
  const close = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const routes = ['127.0.0.0/8', '127.0.0.1'].map((dst) => `ip route change local ${dst} dev lo proto kernel scope host src 127.0.0.1 table local quickack 1`);
    pcscd = startManaged('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c',
      ['set -e', 'ip link set lo up', ...routes, 'mount -t tmpfs tmpfs /run', 'mkdir -p /run/pcscd', 'exec pcscd -f -c "$0"'].join('\n'), conf]);
    const p = pcscd;
    stoppers.push(() => p.stop());
    const pid = pcscd.child.pid;
    if (pid === undefined) throw new Error('pcscd did not start');
    const namespaces = [`--net=/proc/${pid}/ns/net`, `--mount=/proc/${pid}/ns/mnt`];
    const python = (script: string, timeoutMs = 60_000): Promise<RunResult> => run('nsenter', [...namespaces, PYTHON, '-c', script], { timeoutMs });
    // vpcd listens once pcscd has loaded it; vicc gives up if nobody listens, so wait for the port.
    const deadline = Date.now() + 30_000;
    const portOpen = `import socket\ns = socket.socket()\ns.settimeout(1)\ns.connect(('127.0.0.1', ${PORT}))`;
    while ((await python(portOpen, 5000)).code !== 0) {
      if (Date.now() > deadline || pcscd.child.exitCode !== null) throw new Error(`vpcd never listened\n${logs()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    vicc = startManaged('nsenter', [...namespaces, PYTHON, launcher, String(PORT)], {
      env: { ...process.env, PYTHONPATH: `${py}:${VICC_MODULES}` },
    });
    const v = vicc;
    stoppers.push(() => v.stop());
    const connect = 'from smartcard.System import readers\nc = readers()[0].createConnection()\nc.connect()\nprint(bytes(c.getATR()).hex())';
    while ((await python(connect, 10_000)).code !== 0) {
      if (Date.now() > deadline || vicc.child.exitCode !== null) throw new Error(`vicc never answered\n${logs()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { python, logs, pids: { server: vicc.child.pid ?? 0, pcscd: pid }, close };
  } catch (error) {
    const details = logs();
    await close();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${details}`);
  }
}
