/**
 * Soak: 10⁶ exchanges (XfrBlock SELECT MF on the `t1` card) through USB/IP against `ccid-reader serve
 * --time-scale max` running with a 64 MB heap limit; the server's resident memory (VmRSS) after
 * power-on and a warm-up, at the end, and the largest seen. A server that kept anything per
 * exchange would grow steadily, and with 64 MB of heap it would die long before the end.
 * The client here speaks USB/IP over the Unix socket itself (no pcscd): the server's own cost is what
 * is measured, one exchange at a time as libccid does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { ensureCliBuilt, REPO_ROOT } from '../cli/build.js';
import { UsbipClient } from '../usbip/socket-client.js';

const EXCHANGES = 1_000_000;
const WARM_UP = 20_000;
const HEAP_MB = 64;
/** The process's resident set in MB, or NaN once it is gone. */
function rssMb(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return NaN;
  }
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 102.4) / 10;
}

function waitForListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('control: listening')) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
  });
}

export interface SoakResult {
  exchanges: number;
  /** Exchanges answered before the end, or before the server died. */
  completed: number;
  /** How the server ended early (exit code or signal, its last words), or null. */
  died: string | null;
  'heap limit MB': number;
  seconds: number;
  'exchanges / s': number;
  'RSS after warm-up MB': number;
  'RSS at the end MB': number;
  'RSS largest MB': number;
}

export async function benchSoak(exchanges = EXCHANGES): Promise<SoakResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ccid-soak-'));
  const usbip = join(dir, 'usbip.sock');
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, ensureCliBuilt(), 'serve', '--usbip', `unix:${usbip}`,
    '--control', `unix:${join(dir, 'control.sock')}`, '--card', 't1', '--time-scale', 'max'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let completed = 0;
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-400)));
  const died = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(`exit ${code ?? signal}: ${output.trim().split('\n').pop() ?? ''}`)));
  try {
    await waitForListening(child);
    const socket = createConnection(usbip);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.setNoDelay(true);
    const client = new UsbipClient(socket);
    await client.import();
    const configuration = await client.submit(0, 1, 255, undefined, { bmRequestType: 0x80, bRequest: 6, wValue: 0x0200, wIndex: 0, wLength: 255 });
    const endpoints = endpointsOf(configuration);
    await client.submit(0, 0, 0, undefined, { bmRequestType: 0, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
    const out = endpoints.addressOf['bulk-out'] & 0x0f;
    const inEp = endpoints.addressOf['bulk-in'] & 0x0f;
    let seq = 0;
    // A final reply (not a time extension, CCID §6.2.6 bmCommandStatus 2) to one command.
    const exchange = async (message: Uint8Array): Promise<Buffer> => {
      message[6] = seq++ & 0xff;
      await client.submit(out, 0, message.length, message);
      for (;;) {
        const reply = await client.submit(inEp, 1, 65_546);
        if (reply[7] >> 6 !== 2) return reply;
      }
    };
    // The card is inserted at start: poll GetSlotStatus until the presence switch has settled, then power on.
    const powerOn = Uint8Array.of(0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    let atr = await exchange(powerOn);
    for (let i = 0; i < 100 && (atr[7] & 0x40) !== 0; i++) atr = await exchange(powerOn);
    if ((atr[7] & 0x40) !== 0) throw new Error('power-on failed');
    const select = Uint8Array.of(0x6f, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00);
    const run = async (n: number, count: boolean): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const reply = await exchange(select);
        if (reply[reply.length - 2] !== 0x90 || reply[reply.length - 1] !== 0) throw new Error(`exchange ${i} failed`);
        if (count) completed++;
      }
    };
    await run(WARM_UP, false);
    const pid = child.pid!;
    const before = rssMb(pid);
    let largest = before;
    let last = before;
    const sampler = setInterval(() => {
      const now = rssMb(pid);
      if (!Number.isNaN(now)) last = now;
      largest = Math.max(largest, last);
    }, 500);
    const start = performance.now();
    // A server that dies mid-soak leaves the client waiting: its death ends the run.
    const ended = await Promise.race([run(exchanges, true).then(() => null), died]);
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    const after = ended === null ? rssMb(pid) : last;
    socket.destroy();
    return {
      exchanges,
      completed,
      died: ended,
      'heap limit MB': HEAP_MB,
      seconds: Math.round(seconds * 10) / 10,
      'exchanges / s': Math.round(completed / seconds),
      'RSS after warm-up MB': before,
      'RSS at the end MB': after,
      'RSS largest MB': Math.max(largest, after),
    };
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const invokedDirectly = process.argv[1] !== undefined && /soak-bench\.ts$/.test(process.argv[1]);
if (invokedDirectly) console.table([await benchSoak(Number(process.argv[2] ?? EXCHANGES))]);
